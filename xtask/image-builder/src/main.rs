//! Wraps a kernel ELF file into bootable BIOS and UEFI disk images.
//!
//! The `bootloader` crate compiles its own boot stages in its build script with nightly cargo,
//! so this small program is built with the pinned kernel toolchain while `xtask` itself stays on
//! stable. `xtask` runs it as:
//!
//! ```text
//! image-builder --kernel <ELF> --out-dir <DIR> [--ramdisk <FILE>]
//! ```
//!
//! and finds `bios.img` and `uefi.img` in `<DIR>`.

use bootloader::{BootConfig, DiskImageBuilder};
use bootloader_boot_config::LevelFilter;
use std::path::PathBuf;
use std::process::ExitCode;

struct Args {
    kernel: PathBuf,
    out_dir: PathBuf,
    ramdisk: Option<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut kernel = None;
    let mut out_dir = None;
    let mut ramdisk = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().map(PathBuf::from).ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--kernel" => kernel = Some(value()?),
            "--out-dir" => out_dir = Some(value()?),
            "--ramdisk" => ramdisk = Some(value()?),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(Args {
        kernel: kernel.ok_or("--kernel is required")?,
        out_dir: out_dir.ok_or("--out-dir is required")?,
        ramdisk,
    })
}

fn build(args: &Args) -> Result<(), String> {
    let mut builder = DiskImageBuilder::new(args.kernel.clone());
    if let Some(ramdisk) = &args.ramdisk {
        builder.set_ramdisk(ramdisk.clone());
    }
    // The bootloader logs at `Trace` by default; keep the serial console for the kernel's own
    // log and let the bootloader speak only when something is wrong.
    let mut config = BootConfig::default();
    config.log_level = LevelFilter::Warn;
    builder.set_boot_config(&config);

    std::fs::create_dir_all(&args.out_dir)
        .map_err(|e| format!("{}: {e}", args.out_dir.display()))?;
    builder
        .create_bios_image(&args.out_dir.join("bios.img"))
        .map_err(|e| format!("BIOS image: {e:#}"))?;
    builder
        .create_uefi_image(&args.out_dir.join("uefi.img"))
        .map_err(|e| format!("UEFI image: {e:#}"))?;
    Ok(())
}

fn main() -> ExitCode {
    match parse_args().and_then(|args| build(&args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("image-builder: {message}");
            ExitCode::FAILURE
        }
    }
}
