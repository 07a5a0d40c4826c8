//! The command line of `cargo xtask`, parsed by hand (a few flags do not need a parser crate).

use crate::bench::BenchArgs;
use crate::faults::FaultsArgs;
use crate::images::Flavor;
use crate::qemu::{Accel, Firmware};
use crate::test::TestArgs;
use crate::util::Failure;
use std::time::Duration;

pub const USAGE: &str = "\
usage: cargo xtask <command> [options]

commands:
  qemu [options] [-- <kernel command line>]   build and boot the system in QEMU
      --release          optimised kernel
      --uefi             boot with UEFI firmware (OVMF) instead of BIOS
      --accel tcg|kvm    accelerator (default tcg; kvm only on real hardware)
      --gdb              wait for gdb on localhost:1234 before the first instruction
      --display          open QEMU's window: type there (PS/2 keyboard) as well as here
      --flavor micro|monolithic
                         micro (default): drivers, console and file server are ring-3
                         servers; monolithic: the same code built into the kernel
      --fresh-disk       make the data disk (target/moat/disk.img) again from
                         userland/rootfs; otherwise it is kept between boots
      --exit-after-boot  stop once booted (the shell prompt, or the kernel powering off when
                         every task has ended) and exit 0; also accepted after --
    kernel command line words: log=error|warn|info|debug|trace, exit-after-boot
  test [FILTER] [options]   host unit tests, in-guest tests and boot checks
      FILTER             only tests whose name contains FILTER
      --host             only the host unit tests
      --guest            only the in-guest tests and boot checks
      --release          test the optimised kernel
      --timeout SECS     seconds per QEMU run before it counts as hung (default 120;
                         the environment variable MOAT_TIMEOUT_SCALE multiplies it)
  bench [--quick] [--flavor micro|monolithic|both] [--timeout SECS]
                            boot the benchmark system and report guest instructions per
                            operation (QEMU -icount shift=0); --quick: one pass, for CI;
                            --flavor: the service operations (console write, file read,
                            create and delete, listing) on that flavour, or on both with
                            the micro/monolithic ratio
  faults [options]          the fault-injection campaign (docs/faults.md): inject faults
                            into the drivers and servers under a checked workload, on
                            either flavour, and report what each did to the system
      --flavor micro|monolithic|both   (default both)
      --runs N           injections per flavour (default 200)
      --seed S           the plan's seed (default 1); the same seed, the same faults
      --replay ID        only the injection with this id (from target/faults/faults.csv)
      --quick            6 set injections per flavour (a null pointer, a division by zero,
                         a panic, a stack overflow, a hang, a kill); fails if one of
                         them crashes the microkernel
      --timeout SECS     seconds a shell command may take before it counts as hung
                         (default 10; MOAT_TIMEOUT_SCALE multiplies it)
  build [--release]         build the kernel and its BIOS and UEFI images
  help                      this text
";

const DEFAULT_TIMEOUT_SECS: f64 = 120.0;

#[derive(Debug)]
pub enum Command {
    Help,
    Build { release: bool },
    Qemu(QemuArgs),
    Test(TestArgs),
    Bench(BenchArgs),
    Faults(FaultsArgs),
}

#[derive(Debug, PartialEq, Eq)]
pub struct QemuArgs {
    pub release: bool,
    /// Stop once the system is up (the shell's prompt, or the kernel powering off) with exit
    /// status 0, for scripts.
    pub exit_after_boot: bool,
    pub firmware: Firmware,
    pub accel: Accel,
    pub gdb: bool,
    pub display: bool,
    pub fresh_disk: bool,
    pub flavor: Flavor,
    pub cmdline: String,
}

pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, Failure> {
    let mut args = args.into_iter();
    let Some(command) = args.next() else { return Ok(Command::Help) };
    let rest: Vec<String> = args.collect();
    match command.as_str() {
        "help" | "--help" | "-h" => Ok(Command::Help),
        "build" => match rest.as_slice() {
            [] => Ok(Command::Build { release: false }),
            [flag] if flag == "--release" => Ok(Command::Build { release: true }),
            _ => Err(unknown(&rest.join(" "))),
        },
        "qemu" => parse_qemu(rest).map(Command::Qemu),
        "test" => parse_test(rest, std::env::var("MOAT_TIMEOUT_SCALE").ok()).map(Command::Test),
        "bench" => parse_bench(rest, std::env::var("MOAT_TIMEOUT_SCALE").ok()).map(Command::Bench),
        "faults" => {
            parse_faults(rest, std::env::var("MOAT_TIMEOUT_SCALE").ok()).map(Command::Faults)
        }
        other => Err(unknown(other)),
    }
}

fn unknown(what: &str) -> Failure {
    Failure::new(format!("unknown command or option `{what}`\n\n{USAGE}"))
}

fn parse_qemu(args: Vec<String>) -> Result<QemuArgs, Failure> {
    let mut parsed = QemuArgs {
        release: false,
        exit_after_boot: false,
        firmware: Firmware::Bios,
        accel: Accel::Tcg,
        gdb: false,
        display: false,
        fresh_disk: false,
        flavor: Flavor::Micro,
        cmdline: String::new(),
    };
    let mut kernel_words = Vec::new();
    let mut args = args.into_iter();
    let mut after_separator = false;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--exit-after-boot" => {
                parsed.exit_after_boot = true;
                kernel_words.push("exit-after-boot".to_owned());
            }
            "--" => after_separator = true,
            _ if after_separator => kernel_words.push(arg),
            "--release" => parsed.release = true,
            "--display" => parsed.display = true,
            "--fresh-disk" => parsed.fresh_disk = true,
            "--flavor" => parsed.flavor = parse_flavor(args.next())?,
            "--uefi" => parsed.firmware = Firmware::Uefi,
            "--gdb" => parsed.gdb = true,
            "--accel" => {
                parsed.accel = match args.next().as_deref() {
                    Some("tcg") => Accel::Tcg,
                    Some("kvm") => Accel::Kvm,
                    _ => return Err(Failure::new("--accel takes `tcg` or `kvm`")),
                }
            }
            _ => return Err(unknown(&arg)),
        }
    }
    parsed.cmdline = kernel_words.join(" ");
    Ok(parsed)
}

fn parse_test(args: Vec<String>, timeout_scale: Option<String>) -> Result<TestArgs, Failure> {
    let mut filter = None;
    let (mut host_only, mut guest_only, mut release) = (false, false, false);
    let mut timeout_secs = DEFAULT_TIMEOUT_SECS;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--host" => host_only = true,
            "--guest" => guest_only = true,
            "--release" => release = true,
            "--timeout" => timeout_secs = parse_seconds(args.next())?,
            _ if arg.starts_with('-') => return Err(unknown(&arg)),
            _ if filter.is_none() => filter = Some(arg),
            _ => return Err(Failure::new("give at most one test name filter")),
        }
    }
    Ok(TestArgs {
        filter,
        host: !guest_only,
        guest: !host_only,
        release,
        timeout: scaled(timeout_secs, timeout_scale)?,
    })
}

fn parse_bench(args: Vec<String>, timeout_scale: Option<String>) -> Result<BenchArgs, Failure> {
    let mut quick = false;
    let mut flavors = None;
    let mut timeout_secs = DEFAULT_TIMEOUT_SECS;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => quick = true,
            "--flavor" => flavors = Some(parse_flavors(args.next())?),
            "--timeout" => timeout_secs = parse_seconds(args.next())?,
            _ => return Err(unknown(&arg)),
        }
    }
    Ok(BenchArgs { quick, flavors, timeout: scaled(timeout_secs, timeout_scale)? })
}

fn parse_faults(args: Vec<String>, timeout_scale: Option<String>) -> Result<FaultsArgs, Failure> {
    let mut parsed = FaultsArgs {
        flavors: Flavor::BOTH.to_vec(),
        runs: 200,
        seed: 1,
        replay: None,
        quick: false,
        patience: Duration::ZERO,
    };
    let mut timeout_secs = 10.0;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--flavor" => parsed.flavors = parse_flavors(args.next())?,
            "--runs" => parsed.runs = parse_number(args.next(), "--runs")? as usize,
            "--seed" => parsed.seed = parse_number(args.next(), "--seed")?,
            "--replay" => {
                parsed.replay =
                    Some(args.next().ok_or_else(|| Failure::new("--replay takes an id"))?)
            }
            "--quick" => {
                parsed.quick = true;
                parsed.runs = 6;
            }
            "--timeout" => timeout_secs = parse_seconds(args.next())?,
            _ => return Err(unknown(&arg)),
        }
    }
    parsed.patience = scaled(timeout_secs, timeout_scale)?;
    Ok(parsed)
}

fn parse_number(value: Option<String>, flag: &str) -> Result<u64, Failure> {
    value
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| Failure::new(format!("{flag} takes a whole number")))
}

/// `micro`, `monolithic` or `both`.
fn parse_flavors(value: Option<String>) -> Result<Vec<Flavor>, Failure> {
    match value.as_deref() {
        Some("both") => Ok(Flavor::BOTH.to_vec()),
        _ => parse_flavor(value).map(|flavor| vec![flavor]),
    }
}

fn parse_flavor(value: Option<String>) -> Result<Flavor, Failure> {
    value
        .as_deref()
        .and_then(Flavor::parse)
        .ok_or_else(|| Failure::new("--flavor takes `micro` or `monolithic`"))
}

fn parse_seconds(value: Option<String>) -> Result<f64, Failure> {
    value
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| *s > 0.0)
        .ok_or_else(|| Failure::new("--timeout takes a positive number of seconds"))
}

/// `seconds` times the `MOAT_TIMEOUT_SCALE` factor, if set.
fn scaled(seconds: f64, scale: Option<String>) -> Result<Duration, Failure> {
    let factor = match scale {
        None => 1.0,
        Some(text) => text.parse::<f64>().ok().filter(|s| *s > 0.0).ok_or_else(|| {
            Failure::new(format!("MOAT_TIMEOUT_SCALE={text:?} is not a positive number"))
        })?,
    };
    Ok(Duration::from_secs_f64(seconds * factor))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn qemu_flags_and_kernel_words() {
        let parsed = parse_qemu(words("--uefi --release -- log=debug --exit-after-boot")).unwrap();
        assert_eq!(parsed.firmware, Firmware::Uefi);
        assert!(parsed.release);
        assert_eq!(parsed.cmdline, "log=debug exit-after-boot");
        assert_eq!(parse_qemu(words("--exit-after-boot")).unwrap().cmdline, "exit-after-boot");
    }

    #[test]
    fn qemu_rejects_unknown_flags_and_accelerators() {
        assert!(parse_qemu(words("--frobnicate")).is_err());
        assert!(parse_qemu(words("--accel xen")).is_err());
        assert_eq!(parse_qemu(words("--accel kvm")).unwrap().accel, Accel::Kvm);
    }

    #[test]
    fn test_filter_scopes_and_timeout() {
        let parsed = parse_test(words("heap --guest --timeout 30"), Some("2".into())).unwrap();
        assert_eq!(parsed.filter.as_deref(), Some("heap"));
        assert!(parsed.guest && !parsed.host);
        assert_eq!(parsed.timeout, Duration::from_secs(60));
        assert!(parse_test(words("a b"), None).is_err());
        assert!(parse_test(words("--timeout -1"), None).is_err());
        assert!(parse_test(vec![], Some("fast".into())).is_err());
    }
}
