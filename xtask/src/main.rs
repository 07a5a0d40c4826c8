//! `cargo xtask`: the project's build, boot and test commands (run `cargo xtask help`).
//!
//! xtask builds on stable Rust; it installs the pinned kernel toolchain and QEMU itself when
//! they are missing, so a fresh clone needs nothing but rustup.

/// Parsing the command line.
mod args;
/// `cargo xtask bench`.
mod bench;
/// `cargo xtask bench --flavor`: service operations on each flavour, side by side.
mod bench_services;
/// The boot checks `cargo xtask test` runs.
mod boot_checks;
/// Compiling a manifest into the kernel's static task table.
mod descriptors;
/// The data disk: making, filling and checking it.
mod disk;
/// `cargo xtask faults`: the fault-injection campaign.
mod faults;
/// `cargo xtask gdb`: the kernel under gdb, with its symbols where it runs.
mod gdb;
/// Reading the in-guest test suite's markers from the serial log.
mod guest_log;
/// Building the kernel and its disk images.
mod images;
/// `cargo xtask lab`: the course labs and their student trees.
mod labs;
/// `cargo xtask bench --vs linux`: the same operations on Linux, side by side.
mod linux;
/// The system manifest: `system.toml` and `userland/tests.toml`.
mod manifest;
/// `bench --profile`: where one benchmark operation's instructions go, function by function.
mod profile;
/// Finding or installing QEMU and the one QEMU command line.
mod qemu;
/// Reading QEMU's window back as text.
mod screen;
/// `cargo xtask test`.
mod test;
/// The pinned kernel toolchain.
mod toolchain;
/// `cargo xtask trace`: one command's IPC trace, as text and as a sequence diagram.
mod trace;
/// Checks on the shape of the source tree (host tests only).
#[cfg(test)]
mod tree_checks;
/// Building the user programs and the ramdisk.
mod userland;
/// The error type, process helpers and JSON output.
mod util;

use args::{Command, QemuArgs};
use images::{BuildOptions, Flavor, KernelKind};
use qemu::{GUEST_FAILURE, GUEST_SUCCESS, RunOptions};
use std::process::ExitCode;
use util::Failure;

fn main() -> ExitCode {
    let result = args::parse(std::env::args().skip(1)).and_then(|command| match command {
        Command::Help(text) => {
            println!("{}", text.trim_end());
            Ok(())
        }
        Command::Build { release } => build(release),
        Command::Qemu(qemu_args) => boot(&qemu_args),
        Command::Test(test_args) => test::run(&test_args),
        Command::Bench(bench_args) => bench::run(&bench_args),
        Command::Faults(faults_args) => faults::run(&faults_args),
        Command::Trace(trace_args) => trace::run(&trace_args),
        Command::Gdb { release } => gdb::run(release),
        Command::LabList => labs::list(),
        Command::LabStart { number, dir } => labs::start(number, dir),
        Command::Grade { lab, timeout } => labs::grade::run(lab, timeout),
        Command::LabCheck { labs, quick, timeout } => labs::check::run(&labs, quick, timeout),
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("xtask: {failure}");
            ExitCode::FAILURE
        }
    }
}

fn build(release: bool) -> Result<(), Failure> {
    let images =
        images::build(KernelKind::System, BuildOptions { release, flavor: Flavor::Micro })?;
    println!("kernel: {}", images.kernel.display());
    println!("BIOS image: {}", images.bios.display());
    println!("UEFI image: {}", images.uefi.display());
    Ok(())
}

/// `cargo xtask qemu`: build, then boot with the serial console on this terminal.
fn boot(args: &QemuArgs) -> Result<(), Failure> {
    let options = BuildOptions { release: args.release, flavor: args.flavor };
    let images = images::build(KernelKind::System, options)?;
    qemu::ensure_installed(args.firmware)?;
    let image = match args.firmware {
        qemu::Firmware::Bios => &images.bios,
        qemu::Firmware::Uefi => &images.uefi,
    };
    if args.gdb {
        let gdbinit = gdb::write_script(&images, gdb::PORT)?;
        eprintln!(
            "xtask: QEMU is waiting for a debugger. In another terminal:\n  \
             gdb -x {}\n(then `continue`: it stops at kernel::kmain; `cargo xtask gdb` does both in one)",
            gdbinit.display()
        );
    } else {
        eprintln!("xtask: booting {} (quit with Ctrl-A X)", image.display());
    }
    let options = RunOptions {
        firmware: args.firmware,
        accel: args.accel,
        cpu: None,
        gdb: args.gdb.then_some(gdb::PORT),
        cmdline: args.cmdline.clone(),
        interactive: true,
        icount: false,
        data_disk: Some(disk::persistent(args.fresh_disk, &images.programs)?),
        display: args.display,
        monitor_socket: None,
        trace: None,
        linux: None,
        incoming: None,
    };
    if args.exit_after_boot {
        return boot_and_stop(image, &options);
    }
    let status = qemu::run_interactive(image, &options)?;
    match status.code() {
        Some(GUEST_SUCCESS) | Some(0) => Ok(()),
        Some(GUEST_FAILURE) => Err(Failure::new("the kernel reported a failure")),
        _ => Err(Failure::new(format!("QEMU exited with {status}"))),
    }
}

/// `--exit-after-boot`: show the boot and stop at the shell's prompt (or when the kernel
/// powers off by itself, for manifests whose tasks all end).
fn boot_and_stop(image: &std::path::Path, options: &RunOptions) -> Result<(), Failure> {
    let options = RunOptions { interactive: false, ..options.clone() };
    let session = qemu::Session { input: &[], stop_at: Some(SHELL_PROMPT), screen: None };
    let run = qemu::run_captured(
        image,
        &options,
        std::time::Duration::from_secs(120),
        session,
        |line| {
            println!("{line}");
            false
        },
    )?;
    match run.exit_code {
        Some(0) => {
            println!("{SHELL_PROMPT}\nxtask: the system is up; stopping QEMU (--exit-after-boot)");
            Ok(())
        }
        Some(GUEST_SUCCESS) => Ok(()),
        Some(GUEST_FAILURE) => Err(Failure::new("the kernel reported a failure")),
        other => Err(Failure::new(format!(
            "QEMU stopped without reaching the shell: it exited {}",
            qemu::describe_exit(other)
        ))),
    }
}

/// What the shell prints when it waits for a command.
const SHELL_PROMPT: &str = "moat> ";
