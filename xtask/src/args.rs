//! The command line of `cargo xtask`, parsed with clap's derive API into the plain argument
//! types the commands take.

use crate::bench::BenchArgs;
use crate::faults::FaultsArgs;
use crate::faults::outcome::Moments;
use crate::images::Flavor;
use crate::qemu::{Accel, Firmware};
use crate::test::TestArgs;
use crate::trace::TraceArgs;
use crate::util::Failure;
use clap::error::ErrorKind;
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use std::fmt::Write as _;
use std::str::FromStr;
use std::time::Duration;

/// What to do, with every option resolved (defaults filled in, timeouts scaled).
#[derive(Debug)]
pub enum Command {
    /// Print this help text: `help`, `--help` or no command at all.
    Help(String),
    Build {
        release: bool,
    },
    /// The system under QEMU and gdb, stopped at `kmain` with symbols.
    Gdb {
        release: bool,
    },
    /// List the course labs.
    LabList,
    /// Make the student tree for a lab.
    LabStart {
        number: u32,
        dir: Option<std::path::PathBuf>,
    },
    /// Grade labs both ways: the solution, then a fresh student tree.
    LabCheck {
        labs: Vec<u32>,
        quick: bool,
        timeout: Duration,
    },
    /// Grade a lab on this tree.
    Grade {
        lab: u32,
        timeout: Duration,
    },
    Qemu(QemuArgs),
    Test(TestArgs),
    Bench(BenchArgs),
    Faults(FaultsArgs),
    Trace(TraceArgs),
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

/// Build, boot and test Moat.
#[derive(Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask", max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Option<Sub>,
}

#[derive(Subcommand)]
enum Sub {
    /// build and boot the system in QEMU
    Qemu(QemuOpts),
    /// host unit tests, in-guest tests and boot checks
    Test(TestOpts),
    /// boot the benchmark system and report guest instructions per operation
    ///
    /// Boots the benchmark system under QEMU with -icount shift=0, so that a duration in TSC
    /// ticks is a count of guest instructions, and reports each operation's cost; with
    /// --flavor, the service operations instead, on one flavour or on both side by side.
    Bench(BenchOpts),
    /// the fault-injection campaign (docs/faults.md)
    ///
    /// Injects faults into the drivers and servers under a checked workload, on either
    /// flavour, and reports what each did to the system.
    Faults(FaultsOpts),
    /// run one shell command with the kernel's IPC trace on; write the trace as text and as a
    /// sequence diagram (SVG) under target/trace/
    ///
    /// Boots the system on a fresh data disk under `-icount shift=0` (times are guest
    /// instructions, and the same command gives the same trace), runs the commands of
    /// --before, then `trace COMMAND` and `trace show` in the shell. docs/tracing.md explains
    /// how to read the result.
    Trace(TraceOpts),
    /// build the kernel and its BIOS and UEFI images
    #[command(args_override_self = true)]
    Build {
        /// optimised kernel
        #[arg(long)]
        release: bool,
    },
    /// debug the kernel: QEMU waits, gdb on this terminal stops at kmain with symbols
    ///
    /// Boots the system under QEMU stopped at its first instruction (the serial output goes to
    /// a log file, named when it starts) and runs gdb with the kernel's symbols loaded where
    /// the kernel runs; `continue` stops at kernel::kmain. QEMU stops when gdb quits.
    #[command(args_override_self = true)]
    Gdb {
        /// optimised kernel
        #[arg(long)]
        release: bool,
    },
    /// grade lab N on this tree: each test with its points, then `Score: X/Y`
    ///
    /// Runs the lab's tests, each in a boot of its own whose pass line must carry a nonce
    /// fresh for this run, prints each with its points (and why it failed, and where to
    /// look), writes target/grade/lab-N.json, and exits non-zero when short of full marks.
    #[command(args_override_self = true)]
    Grade {
        /// the lab's number
        lab: u32,
        /// seconds per QEMU run before it counts as hung (MOAT_TIMEOUT_SCALE multiplies it)
        #[arg(long, value_name = "SECS", default_value_t = 120.0, value_parser = seconds,
              allow_negative_numbers = true)]
        timeout: f64,
    },
    /// the course labs: list them, or make the student tree for one (docs/labs.md)
    Lab {
        #[command(subcommand)]
        action: LabAction,
    },
}

#[derive(Subcommand)]
enum LabAction {
    /// the labs, with how many regions each asks the student to write
    List,
    /// make the student tree for lab N in DIR (default ../moat-lab-N)
    ///
    /// The tree is this repository with the code of lab N and every later lab replaced by
    /// stubs that compile, and the earlier labs solved.
    Start {
        /// the lab's number
        number: u32,
        /// where to make the tree (it must not exist, or be empty)
        dir: Option<std::path::PathBuf>,
    },
    /// test the graders both ways: the solution must score full marks, and a fresh student
    /// tree must build and earn nothing on any of its lab's tests
    ///
    /// For each lab (all graded labs if none is named): grades this tree, then makes the
    /// student tree under target/lab-check/ and grades it there with its own xtask.
    #[command(args_override_self = true)]
    Check {
        /// the labs' numbers (default: every graded lab)
        labs: Vec<u32>,
        /// the solution and the student tree of every lab, the finished-tree and fragile
        /// checks for one lab only, chosen by the commit (what CI runs)
        #[arg(long)]
        quick: bool,
        /// seconds per QEMU run before it counts as hung (MOAT_TIMEOUT_SCALE multiplies it)
        #[arg(long, value_name = "SECS", default_value_t = 120.0, value_parser = seconds,
              allow_negative_numbers = true)]
        timeout: f64,
    },
}

// Every subcommand lets a repeated option override itself (the last `--flavor` wins), as the
// hand-written parser did.
#[derive(Args)]
#[command(args_override_self = true)]
struct QemuOpts {
    /// optimised kernel
    #[arg(long)]
    release: bool,
    /// boot with UEFI firmware (OVMF) instead of BIOS
    #[arg(long)]
    uefi: bool,
    /// accelerator (kvm only on real hardware)
    #[arg(long, value_enum, default_value_t = AccelName::Tcg)]
    accel: AccelName,
    /// wait for gdb on localhost:1234 before the first instruction
    #[arg(long)]
    gdb: bool,
    /// open QEMU's window: type there (PS/2 keyboard) as well as here
    #[arg(long)]
    display: bool,
    /// which system to boot
    #[arg(long, value_enum, default_value_t = OneFlavor::Micro)]
    flavor: OneFlavor,
    /// make the data disk (target/moat/disk.img) again from userland/rootfs; otherwise it is
    /// kept between boots
    #[arg(long)]
    fresh_disk: bool,
    /// stop once booted (the shell prompt, or the kernel powering off when every task has
    /// ended) and exit 0; also accepted after --
    #[arg(long)]
    exit_after_boot: bool,
    /// show the kernel's log lines on the console as they happen (otherwise only its warnings
    /// and errors; the shell's `dmesg` shows them all)
    #[arg(long)]
    kernel_log: bool,
    /// the kernel command line: log=LEVEL (what the kernel keeps: error|warn|info|debug|trace),
    /// klog=LEVEL (what it shows on the console), exit-after-boot
    #[arg(last = true, value_name = "KERNEL WORDS")]
    kernel_words: Vec<String>,
}

#[derive(Args)]
#[command(args_override_self = true)]
struct TestOpts {
    /// only tests whose name contains FILTER
    filter: Option<String>,
    /// only the host unit tests
    #[arg(long)]
    host: bool,
    /// only the in-guest tests and boot checks
    #[arg(long)]
    guest: bool,
    /// test the optimised kernel
    #[arg(long)]
    release: bool,
    /// seconds per QEMU run before it counts as hung (the environment variable
    /// MOAT_TIMEOUT_SCALE multiplies it)
    #[arg(long, value_name = "SECS", default_value_t = 120.0, value_parser = seconds,
          allow_negative_numbers = true)]
    timeout: f64,
}

#[derive(Args)]
#[command(args_override_self = true)]
struct BenchOpts {
    /// one pass, for CI: no repeat check, no wall-clock pass
    #[arg(long)]
    quick: bool,
    /// the service operations (console write, file read, create and delete, listing) on that
    /// flavour, or on both with the micro/monolithic ratio, instead of the kernel's own paths
    #[arg(long, value_enum)]
    flavor: Option<Flavors>,
    /// trace one sample of this operation (null_syscall, ipc_call_reply, notification,
    /// interrupt_to_driver, lease_read_4k) instruction by instruction and show where its
    /// instructions go, function by function
    #[arg(long, value_name = "OPERATION", conflicts_with_all = ["quick", "flavor"])]
    profile: Option<String>,
    /// the same operations on another system, side by side with both Moat flavours: `linux`
    /// boots a Debian kernel package on an initramfs holding a static benchmark program
    #[arg(long, value_enum, value_name = "SYSTEM",
          conflicts_with_all = ["quick", "flavor", "profile"])]
    vs: Option<Versus>,
    /// seconds per QEMU run before it counts as hung (MOAT_TIMEOUT_SCALE multiplies it)
    #[arg(long, value_name = "SECS", default_value_t = 120.0, value_parser = seconds,
          allow_negative_numbers = true)]
    timeout: f64,
}

#[derive(Args)]
#[command(args_override_self = true)]
struct FaultsOpts {
    /// the flavours to inject into
    #[arg(long, value_enum, default_value_t = Flavors::Both)]
    flavor: Flavors,
    /// injections per flavour
    #[arg(long, value_name = "N", default_value_t = 200, value_parser = whole_number::<usize>)]
    runs: usize,
    /// the plan's seed; the same seed, the same faults
    #[arg(long, value_name = "S", default_value_t = 1, value_parser = whole_number::<u64>)]
    seed: u64,
    /// only the injection with this id (from target/faults/faults.csv)
    #[arg(long, value_name = "ID", conflicts_with_all = ["quick", "target", "replay_boot"])]
    replay: Option<String>,
    /// the injection with this id and the ones before it in the same boot, in order (from the
    /// last campaign's target/faults/faults.json)
    #[arg(long, value_name = "ID", conflicts_with_all = ["quick", "target"])]
    replay_boot: Option<String>,
    /// boot afresh after each injection the system did not come through, instead of
    /// restoring the machine saved at its first prompt
    #[arg(long)]
    fresh_boots: bool,
    /// every injection into this server (serial, console, keyboard, block or fs): the
    /// plan's kinds and moments, aimed at one target
    #[arg(long, value_name = "NAME")]
    target: Option<String>,
    /// 6 set injections per flavour (a null pointer, a division by zero, a panic, a stack
    /// overflow, a hang, a kill); fails if one of them crashes the microkernel
    #[arg(long)]
    quick: bool,
    /// every fault of the plan at a wait for a message, none midway (the plans the labs'
    /// graders use)
    #[arg(long)]
    at_waits: bool,
    /// run the plan on N QEMUs at once, each with its own disk, the plan split between them
    /// (each injection keeps its id; which ones share a boot changes)
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = whole_number::<usize>)]
    jobs: usize,
    /// seconds a shell command may take before it counts as hung (MOAT_TIMEOUT_SCALE
    /// multiplies it)
    #[arg(long, value_name = "SECS", default_value_t = 10.0, value_parser = seconds,
          allow_negative_numbers = true)]
    timeout: f64,
}

#[derive(Args)]
#[command(args_override_self = true)]
struct TraceOpts {
    /// which system to boot
    #[arg(long, value_enum, default_value_t = OneFlavor::Micro)]
    flavor: OneFlavor,
    /// a shell command to run first, untraced (repeat for more), e.g. `inject fs nullptr`
    #[arg(long, value_name = "COMMAND")]
    before: Vec<String>,
    /// optimised kernel
    #[arg(long)]
    release: bool,
    /// open the diagram in a headless browser (Chromium, installed with apt-get if missing)
    /// and check that it draws the messages
    #[arg(long)]
    check_render: bool,
    /// seconds a shell command may take before it counts as hung (MOAT_TIMEOUT_SCALE
    /// multiplies it)
    #[arg(long, value_name = "SECS", default_value_t = 30.0, value_parser = seconds,
          allow_negative_numbers = true)]
    timeout: f64,
    /// the shell command to trace, e.g. cat README.TXT
    #[arg(last = true, value_name = "COMMAND", required = true)]
    command: Vec<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum AccelName {
    /// software emulation
    Tcg,
    /// hardware virtualisation, only on real hardware
    Kvm,
}

#[derive(Clone, Copy, ValueEnum)]
enum OneFlavor {
    /// drivers, console and file server are ring-3 servers
    Micro,
    /// the same code built into the kernel
    Monolithic,
}

/// The systems `bench --vs` compares Moat with.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Versus {
    Linux,
}

#[derive(Clone, Copy, ValueEnum)]
enum Flavors {
    /// the microkernel system only
    Micro,
    /// the monolithic system only
    Monolithic,
    /// both, side by side
    Both,
}

impl From<OneFlavor> for Flavor {
    fn from(flavor: OneFlavor) -> Flavor {
        match flavor {
            OneFlavor::Micro => Flavor::Micro,
            OneFlavor::Monolithic => Flavor::Monolithic,
        }
    }
}

impl Flavors {
    fn list(self) -> Vec<Flavor> {
        match self {
            Flavors::Micro => vec![Flavor::Micro],
            Flavors::Monolithic => vec![Flavor::Monolithic],
            Flavors::Both => Flavor::BOTH.to_vec(),
        }
    }
}

/// Parses the words after `cargo xtask`; `MOAT_TIMEOUT_SCALE` comes from the environment.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, Failure> {
    parse_with(args, std::env::var("MOAT_TIMEOUT_SCALE").ok().as_deref())
}

/// `parse` with the timeout scale given, so that tests need not touch the environment.
fn parse_with(
    args: impl IntoIterator<Item = String>,
    timeout_scale: Option<&str>,
) -> Result<Command, Failure> {
    let argv = std::iter::once("xtask".to_owned()).chain(args);
    let parsed =
        cli().try_get_matches_from(argv).and_then(|matches| Cli::from_arg_matches(&matches));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(error) if error.kind() == ErrorKind::DisplayHelp => {
            return Ok(Command::Help(error.render().to_string()));
        }
        // clap's message is already a sentence with a usage line; main adds its own prefix.
        Err(error) => {
            let text = error.render().to_string();
            let text = text.strip_prefix("error: ").unwrap_or(&text).trim_end().to_owned();
            return Err(Failure::new(text));
        }
    };
    let scaled = |seconds| scaled(seconds, timeout_scale);
    Ok(match cli.command {
        None => Command::Help(help()),
        Some(Sub::Build { release }) => Command::Build { release },
        Some(Sub::Gdb { release }) => Command::Gdb { release },
        Some(Sub::Lab { action: LabAction::List }) => Command::LabList,
        Some(Sub::Grade { lab, timeout }) => Command::Grade { lab, timeout: scaled(timeout)? },
        Some(Sub::Lab { action: LabAction::Start { number, dir } }) => {
            Command::LabStart { number, dir }
        }
        Some(Sub::Lab { action: LabAction::Check { labs, quick, timeout } }) => {
            Command::LabCheck { labs, quick, timeout: scaled(timeout)? }
        }
        Some(Sub::Qemu(opts)) => Command::Qemu(opts.into_args()),
        Some(Sub::Test(opts)) => Command::Test(TestArgs {
            filter: opts.filter,
            host: !opts.guest,
            guest: !opts.host,
            release: opts.release,
            timeout: scaled(opts.timeout)?,
        }),
        Some(Sub::Bench(opts)) => Command::Bench(BenchArgs {
            quick: opts.quick,
            flavors: opts.flavor.map(Flavors::list),
            profile: opts.profile,
            vs_linux: opts.vs == Some(Versus::Linux),
            timeout: scaled(opts.timeout)?,
        }),
        Some(Sub::Faults(opts)) => Command::Faults(FaultsArgs {
            flavors: opts.flavor.list(),
            // The quick campaign is its own set of six; `--runs` does not apply to it.
            runs: if opts.quick { 6 } else { opts.runs },
            seed: opts.seed,
            replay: opts.replay,
            replay_boot: opts.replay_boot,
            fresh_boots: opts.fresh_boots,
            quick: opts.quick,
            target: opts.target,
            jobs: opts.jobs.max(1),
            moments: if opts.at_waits { Moments::Waits } else { Moments::Mixed },
            patience: scaled(opts.timeout)?,
        }),
        Some(Sub::Trace(opts)) => Command::Trace(TraceArgs {
            flavor: opts.flavor.into(),
            command: opts.command.join(" "),
            before: opts.before,
            release: opts.release,
            check_render: opts.check_render,
            patience: scaled(opts.timeout)?,
        }),
    })
}

impl QemuOpts {
    fn into_args(self) -> QemuArgs {
        // `--exit-after-boot` also works among the kernel words, and either way the kernel gets
        // the word too (it powers off by itself when every task has ended).
        let mut exit_after_boot = self.exit_after_boot;
        let mut words = Vec::new();
        if exit_after_boot {
            words.push("exit-after-boot".to_owned());
        }
        for word in self.kernel_words {
            match word.as_str() {
                "--exit-after-boot" => {
                    exit_after_boot = true;
                    words.push("exit-after-boot".to_owned());
                }
                "--" => {}
                _ => words.push(word),
            }
        }
        // Kernel lines stay out of the shell's output unless asked for (`dmesg` has them).
        if !self.kernel_log && !words.iter().any(|w| w.starts_with("klog=")) {
            words.insert(0, QUIET_CONSOLE.to_owned());
        }
        QemuArgs {
            release: self.release,
            exit_after_boot,
            firmware: if self.uefi { Firmware::Uefi } else { Firmware::Bios },
            accel: match self.accel {
                AccelName::Tcg => Accel::Tcg,
                AccelName::Kvm => Accel::Kvm,
            },
            gdb: self.gdb,
            display: self.display,
            fresh_disk: self.fresh_disk,
            flavor: self.flavor.into(),
            cmdline: words.join(" "),
        }
    }
}

/// The kernel word `cargo xtask qemu` adds unless `--kernel-log`: only warnings and errors of
/// the kernel's log on the console.
const QUIET_CONSOLE: &str = "klog=warn";

/// The parser, with every command's options appended to the top-level help so that
/// `cargo xtask help` lists everything in one place.
fn cli() -> clap::Command {
    let mut command = Cli::command();
    command.build();
    let mut details =
        String::from("Each command's options (`cargo xtask help <COMMAND>` shows one):");
    for sub in command.get_subcommands().filter(|sub| sub.get_name() != "help") {
        let name = sub.get_name();
        let about = sub.get_about().map(|about| about.to_string()).unwrap_or_default();
        // Each command's own -h/--help line would only repeat itself here.
        let text = (sub.clone().mut_arg("help", |help| help.hide(true)))
            .help_template("{usage-heading} {usage}\n\n{all-args}")
            .render_help();
        let _ = write!(details, "\n\n{name}: {about}\n\n{}", text.to_string().trim_end());
    }
    Cli::command().after_help(details)
}

/// The full help text, as `cargo xtask help` prints it.
pub fn help() -> String {
    cli().render_help().to_string()
}

/// A `--timeout` value: seconds, more than zero.
fn seconds(text: &str) -> Result<f64, String> {
    text.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0)
        .ok_or_else(|| "it must be a positive number of seconds".to_owned())
}

/// A `--runs` or `--seed` value.
fn whole_number<T: FromStr>(text: &str) -> Result<T, String> {
    text.parse().map_err(|_| "it must be a whole number".to_owned())
}

/// `seconds` times the `MOAT_TIMEOUT_SCALE` factor, if set.
fn scaled(seconds: f64, scale: Option<&str>) -> Result<Duration, Failure> {
    let factor = match scale {
        None => 1.0,
        Some(text) => {
            text.parse::<f64>().ok().filter(|f| f.is_finite() && *f > 0.0).ok_or_else(|| {
                Failure::new(format!(
                    "MOAT_TIMEOUT_SCALE is `{text}`, which is not a positive number; \
                     set it to a factor such as 2, or unset it"
                ))
            })?
        }
    };
    Duration::try_from_secs_f64(seconds * factor).map_err(|_| {
        Failure::new(format!(
            "a timeout of {seconds} seconds scaled by MOAT_TIMEOUT_SCALE ({factor}) is too long"
        ))
    })
}

#[cfg(test)]
mod tests;
