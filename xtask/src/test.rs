//! `cargo xtask test`: host unit tests, the in-guest suite, and boot checks, with one tally.
//!
//! - Host: `cargo test` over the workspace's default members (pure logic, xtask itself).
//! - Guest: the test kernel boots in QEMU and runs `kernel/src/tests`; its serial markers are
//!   parsed by `guest_log`.
//! - Boot checks: whole boots judged by exit code and serial output, including deliberate
//!   kernel crashes that must be reported, never hang.

use crate::guest_log;
use crate::images::{self, BuildOptions, Images, KernelKind};
use crate::qemu::{self, Accel, Firmware, GUEST_FAILURE, GUEST_SUCCESS, Keystrokes, RunOptions};
use crate::util::{Failure, workspace_root};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

#[derive(Debug)]
pub struct TestArgs {
    /// Only tests whose name contains this (host, guest and boot checks alike).
    pub filter: Option<String>,
    pub host: bool,
    pub guest: bool,
    pub release: bool,
    /// Seconds each QEMU run may take before it counts as hung.
    pub timeout: Duration,
}

/// A whole boot judged from outside.
struct BootCheck {
    name: &'static str,
    kernel: KernelKind,
    firmware: Firmware,
    cmdline: &'static str,
    exit_code: i32,
    /// Lines of serial output that must appear, in this order.
    expect: &'static [&'static str],
    /// Typed at the serial console as the output shows each cue.
    input: &'static [Keystrokes<'static>],
    /// End the run (QEMU stopped, counted as exit status 0) once the output shows this.
    stop_at: Option<&'static str>,
    /// Later boots of the same system with the same data disk (a reboot), each judged alike.
    reboots: &'static [Reboot],
    /// Files the data disk must hold afterwards (path, contents), read on the host.
    disk_holds: &'static [(&'static str, &'static str)],
}

/// A further boot within a check: what to type and what must appear.
struct Reboot {
    expect: &'static [&'static str],
    input: &'static [Keystrokes<'static>],
    stop_at: Option<&'static str>,
}

/// A boot into the shell: the kernel, the boot tasks, then the prompt.
const SHELL_BOOT: &[&str] = &["Moat ", "boot complete", "task shell", "Moat shell.", "moat> "];

/// A short session typed at the serial console: each line goes serial driver -> console ->
/// shell as messages, and the shell's answer comes back the same way.
const SHELL_SESSION: &[Keystrokes] = &[
    Keystrokes { after: "moat> ", send: "echo ping-from-the-test\r" },
    // Longer than one read of the console (64 bytes), typed in one burst.
    Keystrokes { after: "moat> ", send: LONG_LINE },
    Keystrokes { after: "moat> ", send: "uptime\r" },
    // Up twice brings back the long echo line, which runs again.
    Keystrokes { after: " ticks)\nmoat> ", send: "\x1b[A\x1b[A\r" },
];

const LONG_LINE: &str =
    "echo 0123456789 abcdefghijklmnopqrstuvwxyz 0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ end\r";

/// Kill the serial driver and the console under the shell; the supervisor restarts them and
/// the session goes on, with the restarts visible in `ps`.
const KILL_SESSION: &[Keystrokes] = &[
    Keystrokes { after: "moat> ", send: "kill supervisor\r" },
    Keystrokes { after: "moat> ", send: "inject supervisor hang\r" },
    Keystrokes { after: "moat> ", send: "kill serial\r" },
    Keystrokes { after: "moat> ", send: "echo after-serial\r" },
    Keystrokes { after: "moat> ", send: "kill console\r" },
    Keystrokes { after: "moat> ", send: "echo after-console\r" },
    Keystrokes { after: "moat> ", send: "ps\r" },
];

/// Inject faults into the serial driver and the console under the shell: each server is
/// stopped by the kernel (or, for the hang, by the supervisor's watchdog) and restarted, and
/// the session goes on.
const INJECT_SESSION: &[Keystrokes] = &[
    Keystrokes { after: "moat> ", send: "inject serial nullptr\r" },
    Keystrokes { after: "next message\nmoat> ", send: "echo one\r" },
    Keystrokes { after: "\none\nmoat> ", send: "inject console hang\r" },
    Keystrokes { after: "next message\nmoat> ", send: "echo two\r" },
    Keystrokes { after: "\ntwo\nmoat> ", send: "inject serial privileged\r" },
    Keystrokes { after: "next message\nmoat> ", send: "inject serial divzero\r" },
    Keystrokes { after: "next message\nmoat> ", send: "inject serial stack\r" },
    Keystrokes { after: "next message\nmoat> ", send: "echo five\r" },
];

/// Files through the shell: written, listed, read back; then, after a reboot, still there.
const FILES_SESSION: &[Keystrokes] = &[
    Keystrokes { after: "moat> ", send: "echo hello from moat > NOTE.TXT\r" },
    Keystrokes { after: "moat> ", send: "ls\r" },
    Keystrokes { after: "moat> ", send: "cat NOTE.TXT\r" },
    Keystrokes { after: "moat> ", send: "mkdir LOGS\r" },
    Keystrokes { after: "moat> ", send: "echo line one >> LOGS/A.TXT\r" },
    Keystrokes { after: "moat> ", send: "echo line two >> LOGS/A.TXT\r" },
    Keystrokes { after: "moat> ", send: "cat nope.txt\r" },
    Keystrokes { after: "moat> ", send: "sum LOGS/A.TXT\r" },
];

const FILES_AFTER_REBOOT: &[Keystrokes] = &[
    Keystrokes { after: "moat> ", send: "cat NOTE.TXT\r" },
    Keystrokes { after: "moat> ", send: "cat LOGS/A.TXT\r" },
    Keystrokes { after: "moat> ", send: "mv NOTE.TXT LOGS/KEPT.TXT\r" },
    Keystrokes { after: "moat> ", send: "rm LOGS/A.TXT\r" },
    Keystrokes { after: "moat> ", send: "rm LOGS\r" },
    Keystrokes { after: "moat> ", send: "ls LOGS\r" },
];

/// Faults injected into the servers under a loop of file writes and reads: each server is
/// restarted, the client helpers repeat the request in flight, every checksum matches.
const FILE_FAULTS_SESSION: &[Keystrokes] = &[
    Keystrokes { after: "moat> ", send: "inject serial kill\r" },
    Keystrokes { after: "next message\nmoat> ", send: "stress 20\r" },
    Keystrokes { after: "checksums match\nmoat> ", send: "inject fs nullptr\r" },
    Keystrokes { after: "next message\nmoat> ", send: "stress 20\r" },
    Keystrokes { after: "checksums match\nmoat> ", send: "inject block divzero\r" },
    Keystrokes { after: "next message\nmoat> ", send: "stress 20\r" },
    Keystrokes { after: "checksums match\nmoat> ", send: "inject fs hang\r" },
    Keystrokes { after: "next message\nmoat> ", send: "stress 5\r" },
    Keystrokes { after: "checksums match\nmoat> ", send: "echo survived > OK.TXT\r" },
    Keystrokes { after: "moat> ", send: "cat OK.TXT\r" },
    Keystrokes { after: "survived\nmoat> ", send: "services\r" },
];

/// Keys pressed on the PS/2 keyboard (through QEMU's monitor): keyboard driver -> console ->
/// shell, the same path as the serial line's bytes from the console on.
const KEYBOARD_SESSION: &[Keystrokes] = &[Keystrokes {
    after: "moat> ",
    send: "(qemu) sendkey e\nsendkey c\nsendkey h\nsendkey o\nsendkey spc\nsendkey shift-k\n\
           sendkey b\nsendkey d\nsendkey ret",
}];

/// Programs run from the disk: read through the file server, started by the supervisor;
/// one that faults is stopped alone, one that spins is stopped with Ctrl-C.
const PROGRAMS_SESSION: &[Keystrokes] = &[
    Keystrokes { after: "moat> ", send: "ls BIN\r" },
    Keystrokes { after: "moat> ", send: "hello\r" },
    Keystrokes { after: "moat> ", send: "fault cli\r" },
    Keystrokes { after: "moat> ", send: "spin 1000\r" },
    Keystrokes { after: "round 1", send: "\x03" },
    Keystrokes { after: "moat> ", send: "nosuch\r" },
    Keystrokes { after: "moat> ", send: "echo not an ELF file > BIN/JUNK\r" },
    Keystrokes { after: "moat> ", send: "junk\r" },
    Keystrokes { after: "moat> ", send: "mem\r" },
];

const BOOT_CHECKS: &[BootCheck] = &[
    BootCheck {
        name: "boot::programs_run_from_the_disk",
        kernel: KernelKind::System,
        firmware: Firmware::Bios,
        cmdline: "",
        exit_code: 0,
        expect: &[
            "HELLO ",
            "moat> hello\n",
            "hello: Hello from ring 3! I am task ",
            "moat> fault cli\n",
            "fault: about to commit: cli",
            "fault: stopped by a fault (see the kernel log)\nmoat> ",
            "spin 1000\n",
            "spin: stopped\nmoat> ",
            "nosuch: no such command or program",
            "junk: not a program",
            "physical: ",
            "tasks: ",
        ],
        input: PROGRAMS_SESSION,
        stop_at: Some("tasks: "),
        reboots: &[],
        disk_holds: &[],
    },
    BootCheck {
        name: "boot::keyboard_types_into_the_shell",
        kernel: KernelKind::System,
        firmware: Firmware::Bios,
        cmdline: "",
        exit_code: 0,
        expect: &["moat> echo Kbd\nKbd\nmoat> "],
        input: KEYBOARD_SESSION,
        stop_at: Some("Kbd\nmoat> "),
        reboots: &[],
        disk_holds: &[],
    },
    BootCheck {
        name: "boot::files_persist_across_a_reboot",
        kernel: KernelKind::System,
        firmware: Firmware::Bios,
        cmdline: "",
        exit_code: 0,
        expect: &[
            "NOTE.TXT           16",
            "moat> cat NOTE.TXT\nhello from moat\nmoat> ",
            "cat nope.txt: no such file or directory",
            "LOGS/A.TXT: 18 bytes, fnv1a ",
        ],
        input: FILES_SESSION,
        stop_at: Some("fnv1a "),
        reboots: &[Reboot {
            expect: &[
                "moat> cat NOTE.TXT\nhello from moat\nmoat> ",
                "cat LOGS/A.TXT\nline one\nline two\nmoat> ",
                "rm LOGS: directory not empty",
                "ls LOGS\nKEPT.TXT           16\nmoat> ",
            ],
            input: FILES_AFTER_REBOOT,
            stop_at: Some("KEPT.TXT           16\nmoat> "),
        }],
        disk_holds: &[("/LOGS/KEPT.TXT", "hello from moat\n")],
    },
    BootCheck {
        name: "boot::file_server_faults_are_survived",
        kernel: KernelKind::System,
        firmware: Firmware::Bios,
        cmdline: "",
        exit_code: 0,
        expect: &[
            "supervisor: serial (1.0) was killed",
            "stress: 20 files written and read back, checksums match",
            "supervisor: fs (6.0) faulted: vector 14 (page fault)",
            "stress: 20 files written and read back, checksums match",
            "supervisor: block (5.0) faulted: vector 0 (divide error)",
            "supervisor: restarting block in 1 ticks",
            "supervisor: restarted block as 5.1",
            "stress: 20 files written and read back, checksums match",
            "supervisor: fs (6.1) ran ",
            "stress: 5 files written and read back, checksums match",
            "moat> cat OK.TXT\nsurvived\nmoat> ",
            "block            backoff         1  watched",
            "fs               restart         2  watched",
        ],
        input: FILE_FAULTS_SESSION,
        stop_at: Some("shell            restart"),
        reboots: &[],
        disk_holds: &[("/OK.TXT", "survived\n")],
    },
    BootCheck {
        name: "boot::bios_shell_session",
        kernel: KernelKind::System,
        firmware: Firmware::Bios,
        cmdline: "",
        exit_code: 0,
        expect: &[
            "boot complete",
            "Moat shell.",
            "moat> echo ping-from-the-test\nping-from-the-test\nmoat> ",
            "\n0123456789 abcdefghijklmnopqrstuvwxyz 0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ end\nmoat> ",
            "uptime\nup ",
            "ABCDEFGHIJKLMNOPQRSTUVWXYZ end\n0123456789 abcdefghijklmnopqrstuvwxyz",
        ],
        input: SHELL_SESSION,
        stop_at: Some("WXYZ end\nmoat> "),
        reboots: &[],
        disk_holds: &[],
    },
    BootCheck {
        name: "boot::killed_servers_are_restarted",
        kernel: KernelKind::System,
        firmware: Firmware::Bios,
        cmdline: "",
        exit_code: 0,
        expect: &[
            "kill supervisor: permission denied",
            "inject supervisor: permission denied",
            "moat> kill serial\n",
            "supervisor: serial (1.0) was killed",
            "supervisor: restarted serial as 1.1",
            "moat> echo after-serial\nafter-serial\nmoat> ",
            "supervisor: restarted console as 2.1",
            "moat> echo after-console\nafter-console\nmoat> ",
            "1.1     serial          receiving      1         1",
            "2.1     console         receiving      2         1",
        ],
        input: KILL_SESSION,
        stop_at: Some("3.0     shell"),
        reboots: &[],
        disk_holds: &[],
    },
    BootCheck {
        name: "boot::injected_faults_are_survived",
        kernel: KernelKind::System,
        firmware: Firmware::Bios,
        cmdline: "",
        exit_code: 0,
        expect: &[
            "supervisor: serial (1.0) faulted: vector 14 (page fault), error code 0x4",
            "supervisor: restarted serial as 1.1",
            "moat> echo one\none\nmoat> ",
            "supervisor: console (2.0) ran ",
            "supervisor: restarted console as 2.1",
            "moat> echo two\ntwo\nmoat> ",
            "supervisor: serial (1.1) faulted: vector 13 (general protection fault)",
            "supervisor: serial (1.2) faulted: vector 0 (divide error)",
            "supervisor: serial (1.3) faulted: vector 14 (page fault), error code 0x6",
            "moat> echo five\nfive\nmoat> ",
        ],
        input: INJECT_SESSION,
        stop_at: Some("\nfive\nmoat> "),
        reboots: &[],
        disk_holds: &[],
    },
    BootCheck {
        name: "boot::uefi_boots_to_the_shell",
        kernel: KernelKind::System,
        firmware: Firmware::Uefi,
        cmdline: "",
        exit_code: 0,
        expect: SHELL_BOOT,
        input: &[Keystrokes { after: "moat> ", send: "whoami\r" }],
        stop_at: Some("shell, task "),
        reboots: &[],
        disk_holds: &[],
    },
    BootCheck {
        name: "crash::panic_is_reported",
        kernel: KernelKind::Tests,
        firmware: Firmware::Bios,
        cmdline: "crash=panic",
        exit_code: GUEST_FAILURE,
        expect: &["KERNEL PANIC at kernel/src/tests/crash.rs:", "deliberate panic (crash=panic)"],
        input: &[],
        stop_at: None,
        reboots: &[],
        disk_holds: &[],
    },
    BootCheck {
        name: "crash::kernel_page_fault_is_reported",
        kernel: KernelKind::Tests,
        firmware: Firmware::Bios,
        cmdline: "crash=page-fault",
        exit_code: GUEST_FAILURE,
        expect: &[
            "EXCEPTION: page fault (#PF, vector 14) in kernel mode",
            "cr2 0xffffbffffffff000 (read of a non-present page)",
            "rip 0xffffffff8",
            "KERNEL PANIC at kernel/src/arch/x86_64/trap.rs:",
        ],
        input: &[],
        stop_at: None,
        reboots: &[],
        disk_holds: &[],
    },
    BootCheck {
        name: "crash::stack_overflow_double_faults",
        kernel: KernelKind::Tests,
        firmware: Firmware::Bios,
        cmdline: "crash=stack-overflow",
        exit_code: GUEST_FAILURE,
        expect: &["EXCEPTION: double fault (#DF, vector 8) in kernel mode", "KERNEL PANIC"],
        input: &[],
        stop_at: None,
        reboots: &[],
        disk_holds: &[],
    },
];

#[derive(Default)]
struct Tally {
    passed: usize,
    failed: usize,
}

impl Tally {
    fn add(&mut self, other: &Tally) {
        self.passed += other.passed;
        self.failed += other.failed;
    }
}

pub fn run(args: &TestArgs) -> Result<(), Failure> {
    let mut total = Tally::default();
    let mut lines = Vec::new();
    if args.host {
        let host = host_tests(args.filter.as_deref())?;
        lines.push(format!("host:        {} passed, {} failed", host.passed, host.failed));
        total.add(&host);
    }
    if args.guest {
        let (guest, boots) = guest_tests(args)?;
        lines.push(format!("guest:       {} passed, {} failed", guest.passed, guest.failed));
        lines.push(format!("boot checks: {} passed, {} failed", boots.passed, boots.failed));
        total.add(&guest);
        total.add(&boots);
    }
    println!();
    for line in lines {
        println!("{line}");
    }
    println!("{} passed, {} failed", total.passed, total.failed);
    if total.failed > 0 {
        return Err(Failure::new(format!("{} test(s) failed", total.failed)));
    }
    if total.passed == 0 {
        return Err(Failure::new("no test matched the filter"));
    }
    Ok(())
}

/// `cargo test` on the host, streamed through, with its `test result:` lines summed.
fn host_tests(filter: Option<&str>) -> Result<Tally, Failure> {
    println!("== host unit tests (cargo test)");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command.current_dir(workspace_root()).arg("test");
    if let Some(filter) = filter {
        command.args(["--", filter]);
    }
    command.stdout(Stdio::piped());
    let mut child = command.spawn().map_err(|e| Failure::new(format!("cargo test: {e}")))?;
    let mut tally = Tally::default();
    for line in BufReader::new(child.stdout.take().expect("piped")).lines().map_while(Result::ok) {
        println!("{line}");
        if let Some((passed, failed)) = parse_cargo_result(&line) {
            tally.passed += passed;
            tally.failed += failed;
        }
    }
    let status = child.wait().map_err(|e| Failure::new(e.to_string()))?;
    if !status.success() && tally.failed == 0 {
        // It did not get as far as running tests (a build error): count that as a failure.
        tally.failed += 1;
    }
    Ok(tally)
}

/// `test result: ok. 13 passed; 0 failed; ...`
fn parse_cargo_result(line: &str) -> Option<(usize, usize)> {
    let rest = line.strip_prefix("test result: ")?;
    let number_before = |word: &str| -> Option<usize> {
        let end = rest.find(word)?;
        rest[..end].trim_end().rsplit(' ').next()?.parse().ok()
    };
    Some((number_before(" passed")?, number_before(" failed")?))
}

fn guest_tests(args: &TestArgs) -> Result<(Tally, Tally), Failure> {
    let options = BuildOptions { release: args.release };
    println!("== building the test kernel and the system kernel");
    let test_images = images::build(KernelKind::Tests, options)?;
    let system_images = images::build(KernelKind::System, options)?;
    qemu::ensure_installed(Firmware::Uefi)?;
    let logs = workspace_root().join("target/moat/logs");
    std::fs::create_dir_all(&logs).map_err(|e| Failure::new(format!("{}: {e}", logs.display())))?;

    println!("== in-guest tests (QEMU, TCG)");
    let filter = args.filter.as_deref().unwrap_or("");
    let mut cmdline = String::from("selftest=fw_cfg");
    if !filter.is_empty() {
        cmdline.push_str(&format!(" test={filter}"));
    }
    // The storage scenarios need a data disk.
    let disk = logs.join("guest-tests.disk.img");
    crate::disk::create(&disk, &test_images.programs)?;
    let options = RunOptions { data_disk: Some(disk), ..run_options(Firmware::Bios, cmdline) };
    let run = qemu::run_captured(
        &test_images.bios,
        &options,
        args.timeout,
        qemu::Session::default(),
        |line| {
            if let Some(name) = line.strip_prefix("TEST-PASS ") {
                println!("guest {name} ... ok");
            } else if let Some(rest) = line.strip_prefix("TEST-FAIL ") {
                println!("guest {rest} ... FAILED");
            }
            false
        },
    )?;
    let report = guest_log::parse(&run.output);
    let log = save_log(&logs, "guest-tests", &run.output);
    let mut guest = Tally { passed: report.passed.len(), failed: report.failed_count() };
    let exited_cleanly =
        run.exit_code == Some(if guest.failed == 0 { GUEST_SUCCESS } else { GUEST_FAILURE });
    if !report.all_passed() || !exited_cleanly {
        if let Some(name) = &report.unfinished {
            println!("guest {name} ... CRASHED (the kernel stopped inside it)");
        }
        if report.not_run() > 0 {
            println!("guest: {} test(s) never ran", report.not_run());
        }
        if report.planned.is_none() {
            guest.failed = guest.failed.max(1); // the suite never started
        }
        explain_failed_run(run.exit_code, &run.output, &log, args.timeout);
        guest.failed = guest.failed.max(1);
    }

    println!("== boot checks");
    let mut boots = Tally::default();
    for check in BOOT_CHECKS.iter().filter(|c| c.name.contains(filter)) {
        let images = match check.kernel {
            KernelKind::System | KernelKind::Bench => &system_images,
            KernelKind::Tests => &test_images,
        };
        if boot_check(check, images, &logs, args.timeout)? {
            boots.passed += 1;
        } else {
            boots.failed += 1;
        }
    }
    Ok((guest, boots))
}

fn boot_check(
    check: &BootCheck,
    images: &Images,
    logs: &std::path::Path,
    timeout: Duration,
) -> Result<bool, Failure> {
    let image = match check.firmware {
        Firmware::Bios => &images.bios,
        Firmware::Uefi => &images.uefi,
    };
    let mut options = run_options(check.firmware, check.cmdline.into());
    let typed = check.input.iter().chain(check.reboots.iter().flat_map(|boot| boot.input));
    if typed.clone().any(|keys| keys.send.starts_with(qemu::MONITOR)) {
        let socket = logs.join(format!("{}.monitor", check.name.replace("::", "-")));
        let _ = std::fs::remove_file(&socket);
        options.monitor_socket = Some(socket);
    }
    // The system boots with a data disk of its own, fresh from userland/rootfs.
    if check.kernel == KernelKind::System {
        let disk = logs.join(format!("{}.disk.img", check.name.replace("::", "-")));
        crate::disk::create(&disk, &images.programs)?;
        options.data_disk = Some(disk);
    }
    let first = Reboot { expect: check.expect, input: check.input, stop_at: check.stop_at };
    let mut ok = true;
    for (boot, run) in std::iter::once(&first).chain(check.reboots).enumerate() {
        let name =
            if boot == 0 { check.name.to_owned() } else { format!("{}.boot{boot}", check.name) };
        ok &= one_boot(&name, check.exit_code, run, image, &options, logs, timeout)?;
        if !ok {
            break;
        }
    }
    if let (true, Some(disk)) = (ok, &options.data_disk) {
        if let Err(failure) = crate::disk::check(disk) {
            println!("boot {} ... FAILED\n  {failure}", check.name);
            return Ok(false);
        }
        for (path, contents) in check.disk_holds {
            let held = crate::disk::read_file(disk, path);
            if held.as_ref().ok().map(Vec::as_slice) != Some(contents.as_bytes()) {
                println!("boot {} ... FAILED\n  {path} on the disk: {held:?}", check.name);
                return Ok(false);
            }
        }
    }
    if ok {
        println!("boot {} ... ok", check.name);
    }
    Ok(ok)
}

/// One boot of a check; prints why if it failed.
fn one_boot(
    name: &str,
    exit_code: i32,
    boot: &Reboot,
    image: &std::path::Path,
    options: &RunOptions,
    logs: &std::path::Path,
    timeout: Duration,
) -> Result<bool, Failure> {
    let run = qemu::run_captured(
        image,
        options,
        timeout,
        qemu::Session { input: boot.input, stop_at: boot.stop_at },
        |_| false,
    )?;
    let log = save_log(logs, name, &run.output);
    let missing = missing_in_order(&run.output, boot.expect);
    let ok = run.exit_code == Some(exit_code) && missing.is_none();
    if !ok {
        println!("boot {name} ... FAILED");
        if let Some(line) = missing {
            println!("  expected serial output containing {line:?}");
        }
        if run.exit_code != Some(exit_code) {
            println!("  expected QEMU exit status {exit_code}, got {:?}", run.exit_code);
        }
        explain_failed_run(run.exit_code, &run.output, &log, timeout);
    }
    Ok(ok)
}

fn run_options(firmware: Firmware, cmdline: String) -> RunOptions {
    RunOptions {
        firmware,
        accel: Accel::Tcg,
        gdb: false,
        cmdline,
        interactive: false,
        icount: false,
        data_disk: None,
        display: false,
        monitor_socket: None,
    }
}

/// The first of `expected` not found in `output` after the previous one, if any.
fn missing_in_order<'a>(output: &str, expected: &[&'a str]) -> Option<&'a str> {
    let mut rest = output;
    for &needle in expected {
        match rest.find(needle) {
            Some(at) => rest = &rest[at + needle.len()..],
            None => return Some(needle),
        }
    }
    None
}

fn save_log(dir: &std::path::Path, name: &str, output: &str) -> PathBuf {
    let path = dir.join(format!("{}.log", name.replace("::", "-")));
    let _ = std::fs::write(&path, output);
    path
}

/// Prints why a QEMU run failed and the tail of its serial log.
fn explain_failed_run(
    exit_code: Option<i32>,
    output: &str,
    log: &std::path::Path,
    timeout: Duration,
) {
    match exit_code {
        None => {
            println!("  QEMU was killed after {}s (raise it with --timeout)", timeout.as_secs())
        }
        Some(GUEST_FAILURE) => {
            println!("  the kernel reported failure (exit status {GUEST_FAILURE})")
        }
        Some(GUEST_SUCCESS) => {}
        Some(0) => println!(
            "  xtask stopped QEMU: the run ended early or the expected output did not come"
        ),
        Some(code) => println!("  QEMU exited with status {code} without the kernel's exit device"),
    }
    let lines: Vec<&str> = output.lines().collect();
    let tail = &lines[lines.len().saturating_sub(30)..];
    println!("  --- last {} lines of serial output (all of it: {}) ---", tail.len(), log.display());
    for line in tail {
        println!("  | {line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cargo_result_lines_are_summed() {
        let line = "test result: ok. 13 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out";
        assert_eq!(parse_cargo_result(line), Some((13, 2)));
        assert_eq!(parse_cargo_result("running 13 tests"), None);
    }

    #[test]
    fn expected_lines_must_come_in_order() {
        let output = "a\nboot complete\nKERNEL PANIC\n";
        assert_eq!(missing_in_order(output, &["boot complete", "KERNEL PANIC"]), None);
        assert_eq!(
            missing_in_order(output, &["KERNEL PANIC", "boot complete"]),
            Some("boot complete")
        );
        assert_eq!(missing_in_order(output, &["nothing"]), Some("nothing"));
    }

    #[test]
    fn boot_check_names_are_unique() {
        for (i, a) in BOOT_CHECKS.iter().enumerate() {
            assert!(BOOT_CHECKS[i + 1..].iter().all(|b| b.name != a.name), "{}", a.name);
        }
    }
}
