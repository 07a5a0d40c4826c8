//! Brings the compiled manifest into the kernel: xtask writes the task table as Rust source
//! (`xtask/src/descriptors.rs`) and names it in `MOAT_MANIFEST_RS`; this copies it to where
//! `src/manifest.rs` includes it. Without xtask the kernel gets an empty table and says so.

use std::path::PathBuf;

const ENV: &str = "MOAT_MANIFEST_RS";
const EMPTY: &str = "use kernel_core::manifest::TaskSpec;\n\
                     pub static TASKS: &[TaskSpec<'static>] = &[];\n";

fn main() {
    println!("cargo:rerun-if-env-changed={ENV}");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let table = match std::env::var_os(ENV) {
        Some(path) => {
            println!("cargo:rerun-if-changed={}", PathBuf::from(&path).display());
            std::fs::read_to_string(&path).unwrap_or_else(|error| {
                panic!(
                    "{ENV} names {}, which cannot be read: {error}",
                    PathBuf::from(&path).display()
                )
            })
        }
        None => {
            println!(
                "cargo:warning={ENV} is not set: this kernel starts no tasks (build it with `cargo xtask`)"
            );
            EMPTY.to_string()
        }
    };
    // Written only when it changed, so an unchanged table does not recompile the kernel.
    let path = out.join("manifest.rs");
    if std::fs::read_to_string(&path).ok().as_deref() != Some(table.as_str()) {
        std::fs::write(&path, table).expect("OUT_DIR is writable");
    }
}
