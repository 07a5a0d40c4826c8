//! Building the user programs and packing them into the ramdisk (the manifest itself is
//! compiled into the kernel: `descriptors.rs`).

use crate::manifest::{self, BootTask};
use crate::toolchain::{self, KERNEL_TARGET};
use crate::util::{Failure, run_status, workspace_root};
use std::collections::BTreeSet;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

/// A built program: its crate name and the executable.
pub type Program = (String, PathBuf);

/// A built ramdisk: the archive, the programs of the boot tasks in it, and the manifest's
/// `programs` for the data disk.
pub struct Ramdisk {
    pub path: PathBuf,
    pub tasks: Vec<Program>,
    pub for_disk: Vec<Program>,
}

/// Builds every program the manifest at `manifest_path` names (its boot `tasks`, already read
/// and checked, and its `programs`) and writes `ramdisk.tar` into `out_dir`: each task's
/// program as `bin/<crate>`. Returns the archive's path and the built `programs`, which go on
/// the data disk.
pub fn build_ramdisk(
    manifest_path: &Path,
    tasks: &[BootTask],
    release: bool,
    out_dir: &Path,
) -> Result<Ramdisk, Failure> {
    let programs = manifest::programs(manifest_path)?;
    let binaries: BTreeSet<&str> = tasks
        .iter()
        .map(|t| t.binary.as_str())
        .chain(programs.iter().map(String::as_str))
        .collect();
    for binary in &binaries {
        if program_dir(binary).is_none() {
            return Err(Failure::new(format!(
                "{}: no program `{binary}` (expected servers/{binary}/ or userland/{binary}/)",
                manifest_path.display()
            )));
        }
    }
    let built = build_programs(&binaries, release)?;
    let path = out_dir.join("ramdisk.tar");
    let in_tasks: BTreeSet<&str> = tasks.iter().map(|t| t.binary.as_str()).collect();
    let for_tasks: Vec<Program> =
        built.iter().filter(|(name, _)| in_tasks.contains(name.as_str())).cloned().collect();
    write_archive(&path, &for_tasks)
        .map_err(|e| Failure::new(format!("writing {}: {e}", path.display())))?;
    let for_disk = built.into_iter().filter(|(name, _)| programs.contains(name)).collect();
    Ok(Ramdisk { path, tasks: for_tasks, for_disk })
}

/// Where the crate of a program lives: servers under `servers/`, the rest under `userland/`.
pub fn program_dir(binary: &str) -> Option<PathBuf> {
    let root = workspace_root();
    ["servers", "userland"]
        .iter()
        .map(|dir| root.join(dir).join(binary))
        .find(|d| d.join("Cargo.toml").exists())
}

/// `cargo build` of the user crates for the kernel target, as static executables laid out by
/// `userland/link.ld`, in their own target folder (their flags differ from the kernel's).
fn build_programs(
    binaries: &BTreeSet<&str>,
    release: bool,
) -> Result<Vec<(String, PathBuf)>, Failure> {
    let root = workspace_root();
    let link_script = root.join("userland/link.ld");
    // Cargo does not notice a changed linker script; its hash in the flags makes it relink.
    let script = std::fs::read(&link_script)
        .map_err(|e| Failure::new(format!("{}: {e}", link_script.display())))?;
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    script.hash(&mut hasher);
    // Without debug information the programs are a tenth of the size, and the firmware loads
    // the ramdisk that much faster (symbols stay, for backtraces by address).
    let rustflags = format!(
        "-C relocation-model=static -C code-model=small -C strip=debuginfo -C link-arg=-T{} \
         --cfg link_script_{:x}",
        link_script.display(),
        hasher.finish()
    );
    let mut cargo = toolchain::cargo();
    cargo.current_dir(&root).env("RUSTFLAGS", rustflags);
    cargo.args(["build", "--quiet", "--target", KERNEL_TARGET, "--target-dir", "target/user"]);
    // No LTO here: the prebuilt `core` uses the kernel code model and programs the small one.
    cargo.args(["--config", "profile.release.lto=false"]);
    if release {
        cargo.arg("--release");
    }
    for binary in binaries {
        cargo.args(["--package", binary]);
    }
    run_status(&mut cargo, "building the user programs")?;
    let profile = if release { "release" } else { "debug" };
    let dir = root.join("target/user").join(KERNEL_TARGET).join(profile);
    Ok(binaries.iter().map(|b| (b.to_string(), dir.join(b))).collect())
}

fn write_archive(path: &Path, built: &[(String, PathBuf)]) -> std::io::Result<()> {
    let mut archive = tar::Builder::new(std::fs::File::create(path)?);
    let mut add = |name: &str, data: &[u8]| {
        let mut header = tar::Header::new_ustar();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0); // the same inputs give the same archive
        header.set_cksum();
        archive.append_data(&mut header, name, data)
    };
    for (binary, file) in built {
        add(&format!("bin/{binary}"), &std::fs::read(file)?)?;
    }
    archive.into_inner()?.sync_all()
}
