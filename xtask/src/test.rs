//! `cargo xtask test`: host unit tests, the in-guest suite, and boot checks, with one tally.
//!
//! - Host: `cargo test` over the workspace's default members (pure logic, xtask itself).
//! - Guest: the test kernel boots in QEMU and runs `kernel/src/tests`; its serial markers are
//!   parsed by `guest_log`.
//! - Boot checks: whole boots judged by exit code and serial output, including deliberate
//!   kernel crashes that must be reported, never hang.

use crate::boot_checks::{BOOT_CHECKS, BootCheck, Reboot};
use crate::guest_log;
use crate::images::{self, BuildOptions, Flavor, Images, KernelKind};
use crate::qemu::{self, Firmware, GUEST_FAILURE, GUEST_SUCCESS, RunOptions};
use crate::trace::checks::{CHECKS as TRACE_CHECKS, TraceCheck};
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

/// The boot check that the debugger recipe works (`gdb.rs`), run after the others.
const GDB_CHECK: &str = "boot::gdb_stops_at_kmain_with_symbols";

fn guest_tests(args: &TestArgs) -> Result<(Tally, Tally), Failure> {
    let options = BuildOptions { release: args.release, flavor: Flavor::Micro };
    println!("== building the test kernel and the system kernel");
    let test_images = images::build(KernelKind::Tests, options)?;
    let system_images = images::build(KernelKind::System, options)?;
    let filter = args.filter.as_deref().unwrap_or("");
    let checks: Vec<&BootCheck> = BOOT_CHECKS.iter().filter(|c| c.name.contains(filter)).collect();
    let trace_checks: Vec<&TraceCheck> =
        TRACE_CHECKS.iter().filter(|c| c.name.contains(filter)).collect();
    let monolithic_images = if checks.iter().any(|c| c.flavor == Flavor::Monolithic)
        || trace_checks.iter().any(|c| c.flavor == Flavor::Monolithic)
    {
        let options = BuildOptions { flavor: Flavor::Monolithic, ..options };
        Some(images::build(KernelKind::System, options)?)
    } else {
        None
    };
    qemu::ensure_installed(Firmware::Uefi)?;
    let logs = workspace_root().join("target/moat/logs");
    std::fs::create_dir_all(&logs).map_err(|e| Failure::new(format!("{}: {e}", logs.display())))?;

    println!("== in-guest tests (QEMU, TCG)");
    let mut guest = guest_suite(&test_images, &logs, filter, "", args.timeout)?;
    // The same tests again with the kernel's IPC fast path off (`ipc=general`): both paths
    // must give the same results, and the IPC scenarios and the fuzzer run against each.
    println!("== in-guest tests on the general IPC path (ipc=general)");
    let general = guest_suite(&test_images, &logs, filter, " ipc=general", args.timeout)?;
    guest.passed += general.passed;
    guest.failed += general.failed;

    println!("== boot checks");
    let mut boots = Tally::default();
    for check in checks {
        let images = match (check.kernel, check.flavor, &monolithic_images) {
            (KernelKind::Tests, ..) => &test_images,
            (_, Flavor::Monolithic, Some(monolithic)) => monolithic,
            _ => &system_images,
        };
        if boot_check(check, images, &logs, args.timeout)? {
            boots.passed += 1;
        } else {
            boots.failed += 1;
        }
    }
    for check in trace_checks {
        let images = match (check.flavor, &monolithic_images) {
            (Flavor::Monolithic, Some(monolithic)) => monolithic,
            _ => &system_images,
        };
        // Three commands and a boot: the boot's patience, as the campaign gives it.
        match crate::trace::checks::run(check, images, &logs, args.timeout / 4) {
            Ok(()) => {
                println!("boot {} ... ok", check.name);
                boots.passed += 1;
            }
            Err(why) => {
                println!("boot {} ... FAILED\n  {why}", check.name);
                boots.failed += 1;
            }
        }
    }
    if GDB_CHECK.contains(filter) {
        match crate::gdb::stops_at_kmain(&system_images, args.timeout)? {
            Ok(()) => {
                println!("boot {GDB_CHECK} ... ok");
                boots.passed += 1;
            }
            Err(why) => {
                println!("boot {GDB_CHECK} ... FAILED\n  {why}");
                boots.failed += 1;
            }
        }
    }
    Ok((guest, boots))
}

/// One boot of the in-guest tests selected by `filter`, with `extra` appended to the kernel
/// command line.
fn guest_suite(
    test_images: &Images,
    logs: &std::path::Path,
    filter: &str,
    extra: &str,
    timeout: Duration,
) -> Result<Tally, Failure> {
    let mut cmdline = format!("selftest=fw_cfg{extra}");
    if !filter.is_empty() {
        cmdline.push_str(&format!(" test={filter}"));
    }
    // The storage scenarios need a data disk.
    let name = format!("guest-tests{}", extra.replace([' ', '='], "-"));
    let disk = logs.join(format!("{name}.disk.img"));
    crate::disk::create(&disk, &test_images.programs)?;
    let options =
        RunOptions { data_disk: Some(disk), ..RunOptions::captured(Firmware::Bios, cmdline) };
    let run = qemu::run_captured(
        &test_images.bios,
        &options,
        timeout,
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
    let log = save_log(logs, &name, &run.output);
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
        explain_failed_run(run.exit_code, &run.output, &log, timeout);
        guest.failed = guest.failed.max(1);
    }
    Ok(guest)
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
    let mut options = RunOptions::captured(check.firmware, check.cmdline.into());
    options.cpu = check.cpu;
    let typed = check.input.iter().chain(check.reboots.iter().flat_map(|boot| boot.input));
    if typed.clone().any(|keys| keys.send.starts_with(qemu::MONITOR))
        || !check.screen_shows.is_empty()
    {
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
        let screen = (boot == 0).then_some(check.screen_shows).filter(|shows| !shows.is_empty());
        ok &= one_boot(&name, check.exit_code, run, screen, image, &options, logs, timeout)?;
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
#[allow(clippy::too_many_arguments)] // one boot's whole description, passed through
fn one_boot(
    name: &str,
    exit_code: i32,
    boot: &Reboot,
    screen_shows: Option<&[&str]>,
    image: &std::path::Path,
    options: &RunOptions,
    logs: &std::path::Path,
    timeout: Duration,
) -> Result<bool, Failure> {
    let dump = logs.join(format!("{}.screen.ppm", name.replace("::", "-")));
    let shows = |path: &std::path::Path| {
        screen_shows.is_some_and(|lines| crate::screen::missing_on_screen(path, lines).is_none())
    };
    let screen =
        screen_shows.map(|_| (dump.as_path(), &shows as &dyn Fn(&std::path::Path) -> bool));
    let run = qemu::run_captured(
        image,
        options,
        timeout,
        qemu::Session { input: boot.input, stop_at: boot.stop_at, screen },
        |_| false,
    )?;
    let log = save_log(logs, name, &run.output);
    let missing = missing_in_order(&run.output, boot.expect);
    let off_screen = screen_shows.and_then(|lines| crate::screen::missing_on_screen(&dump, lines));
    let ok = run.exit_code == Some(exit_code) && missing.is_none() && off_screen.is_none();
    if !ok {
        println!("boot {name} ... FAILED");
        if let Some(line) = missing {
            println!("  expected serial output containing {line:?}");
        }
        if let Some(why) = off_screen {
            println!("  {why} (the dump: {})", dump.display());
        }
        if run.exit_code != Some(exit_code) {
            println!(
                "  expected QEMU exit status {exit_code}; QEMU exited {}",
                crate::qemu::describe_exit(run.exit_code)
            );
        }
        explain_failed_run(run.exit_code, &run.output, &log, timeout);
    }
    Ok(ok)
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
        let mut names: Vec<&str> = BOOT_CHECKS.iter().map(|c| c.name).collect();
        names.extend(TRACE_CHECKS.iter().map(|c| c.name));
        names.push(GDB_CHECK);
        for (i, a) in names.iter().enumerate() {
            assert!(!names[i + 1..].contains(a), "{a}");
        }
    }
}
