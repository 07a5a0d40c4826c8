//! The Linux benchmark program (`xtask/linux-bench/bench.c`), built statically with the host's
//! C compiler so that it can run as `/init` with nothing else in the initramfs.

use crate::util::{Failure, install_packages, workspace_root};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The program, built into `dir`.
pub fn build(dir: &Path) -> Result<PathBuf, Failure> {
    let source = workspace_root().join("xtask/linux-bench/bench.c");
    let program = dir.join("bench");
    if Command::new("cc").arg("--version").output().is_err() {
        install_packages(
            &["gcc", "libc6-dev"],
            "Others: install a C compiler and a static C library.",
        )?;
    }
    println!("== building {} (cc -static)", source.display());
    let output = Command::new("cc")
        .args(["-static", "-O2", "-Wall", "-Wextra", "-Werror", "-o"])
        .arg(&program)
        .arg(&source)
        .output()
        .map_err(|e| Failure::new(format!("cc could not be started: {e}")))?;
    if !output.status.success() {
        return Err(Failure::new(format!(
            "the Linux benchmark program did not build; a static C library is needed \
             (Debian: libc6-dev). The compiler said:\n{}",
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(program)
}
