//! The kernel toolchain: pinned here and nowhere else, installed on first use.
//!
//! xtask itself builds with whatever stable Rust the user has. The kernel and the image
//! builder need a nightly (the `bootloader` crate's build script compiles its boot stages with
//! `-Zbuild-std`), so every OS build runs through `rustup run <PINNED> cargo ...`. With
//! `RUSTUP_AUTO_INSTALL=0` rustup installs nothing by itself, so `ensure_installed` does it.

use crate::util::{Failure, run_status};
use std::process::Command;

/// The one place the kernel toolchain is named.
pub const PINNED: &str = "nightly-2026-10-15";
const COMPONENTS: [&str; 2] = ["rust-src", "llvm-tools"];
pub const KERNEL_TARGET: &str = "x86_64-unknown-none";

/// Installs the pinned toolchain, its components and the kernel target if any is missing.
pub fn ensure_installed() -> Result<(), Failure> {
    if Command::new("rustup").arg("--version").output().is_err() {
        return Err(Failure::new(
            "rustup is not installed; the kernel needs a pinned nightly toolchain.\n  \
             Install rustup from your package manager or the Rust website, then run this again.",
        ));
    }
    if is_complete() {
        return Ok(());
    }
    eprintln!(
        "xtask: installing the kernel toolchain {PINNED} with {} and target {KERNEL_TARGET} \
         (one-time download, a few hundred MB)",
        COMPONENTS.join(", ")
    );
    let mut install = Command::new("rustup");
    install.args(["toolchain", "install", PINNED, "--profile", "minimal"]);
    install.args(["--component", &COMPONENTS.join(","), "--target", KERNEL_TARGET]);
    run_status(&mut install, "rustup toolchain install")?;
    if is_complete() {
        Ok(())
    } else {
        Err(Failure::new(format!(
            "rustup finished but {PINNED} still lacks a component; try:\n  \
             rustup component add --toolchain {PINNED} {}\n  \
             rustup target add --toolchain {PINNED} {KERNEL_TARGET}",
            COMPONENTS.join(" ")
        )))
    }
}

fn is_complete() -> bool {
    let listed = |args: &[&str]| {
        Command::new("rustup")
            .args(args)
            .env_remove("RUSTUP_TOOLCHAIN")
            .output()
            .ok()
            .filter(|out| out.status.success())
            .map(|out| String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let Some(components) = listed(&["component", "list", "--installed", "--toolchain", PINNED])
    else {
        return false;
    };
    let has = |name: &str| components.lines().any(|line| line.starts_with(name));
    COMPONENTS.iter().all(|c| has(c)) && has(&format!("rust-std-{KERNEL_TARGET}"))
}

/// `cargo` of the pinned toolchain, with the outer cargo's toolchain choices cleared.
pub fn cargo() -> Command {
    let mut command = Command::new("rustup");
    command.args(["run", PINNED, "cargo"]);
    for inherited in ["RUSTUP_TOOLCHAIN", "CARGO", "RUSTC", "RUSTDOC"] {
        command.env_remove(inherited);
    }
    command
}

/// A program of the `llvm-tools` component (`llvm-objcopy`, `llvm-nm`, `llvm-objdump`).
pub fn llvm_tool(name: &str) -> Result<Command, Failure> {
    let output = Command::new("rustup")
        .args(["run", PINNED, "rustc", "--print", "sysroot"])
        .env_remove("RUSTUP_TOOLCHAIN")
        .output()
        .map_err(|e| Failure::new(format!("running rustc of {PINNED}: {e}")))?;
    let sysroot = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    let host = std::env::consts::ARCH.to_owned() + "-unknown-linux-gnu";
    let bin = std::path::Path::new(&sysroot).join("lib/rustlib").join(host).join("bin");
    Ok(Command::new(bin.join(name)))
}

/// Copies the ELF `from` to `to` without its debug information.
pub fn strip_debug(from: &std::path::Path, to: &std::path::Path) -> Result<(), Failure> {
    let mut strip = llvm_tool("llvm-objcopy")?;
    strip.arg("--strip-debug").arg(from).arg(to);
    run_status(&mut strip, "stripping the kernel's debug information")
}
