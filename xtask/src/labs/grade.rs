//! `cargo xtask grade N`: runs lab N's tests on this tree, with points, and a score.
//!
//! Each test runs in its own boot of the test kernel, whose command line carries a nonce drawn
//! fresh for the run: a test counts only if the kernel printed `TEST-PASS <name> nonce=<N>`
//! with that nonce (after xv6's `grade-lab-*` points and ChCore's checkpoint lines), so a pass
//! line written into the code beforehand earns nothing. The result goes to the terminal, one
//! line a test with its points and, on failure, the reason and where to look, then
//! `Score: X/Y`; and to `target/grade/lab-N.json`.

use super::rubrics::{How, Item, RUBRICS};
use super::whole;
use crate::disk;
use crate::faults::aimed_campaign;
use crate::images::{self, BuildOptions, Flavor, KernelKind};
use crate::qemu::{self, Firmware, RunOptions};
use crate::util::{Failure, to_json, workspace_root};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::Duration;

/// How one test went.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Verdict {
    pub test: String,
    pub points: u32,
    pub max: u32,
    /// Why it earned nothing (empty when it passed).
    pub reason: String,
}

/// A lab's grade, as `target/grade/lab-N.json` holds it.
#[derive(Serialize, Deserialize)]
pub struct Report {
    pub lab: u32,
    pub score: u32,
    pub max: u32,
    pub tests: Vec<Verdict>,
}

/// The labs that have a grader, in order.
pub fn graded_labs() -> Vec<u32> {
    RUBRICS.iter().map(|(number, _)| *number).collect()
}

/// Where `cargo xtask grade N` writes lab N's report in the tree at `root`.
pub fn report_path(root: &std::path::Path, lab: u32) -> std::path::PathBuf {
    root.join(format!("target/grade/lab-{lab}.json"))
}

/// Judges one test from the serial output of its boot.
pub fn judge(item: &Item, output: &str, nonce: &str) -> Verdict {
    let pass = format!("TEST-PASS {} nonce={nonce}", item.test);
    let fail = format!("TEST-FAIL {}: ", item.test);
    let lines = || output.lines().map(str::trim_end);
    let reason = if lines().any(|line| line == pass) {
        String::new()
    } else if let Some(line) = lines().find(|line| line.starts_with(&fail)) {
        let said = programs_said(output, item.test);
        let reason = line[fail.len()..].to_string();
        if said.is_empty() { reason } else { format!("{reason}; the test's programs said: {said}") }
    } else if lines().any(|line| line.starts_with(&format!("TEST-PASS {}", item.test))) {
        "a pass line without this run's nonce (not printed by the test harness)".to_string()
    } else if lines().any(|line| line == format!("TEST-START {}", item.test)) {
        format!("the kernel stopped inside the test{}", kernel_stop(output))
    } else {
        format!("the test never ran{}", kernel_stop(output))
    };
    let points = if reason.is_empty() { item.points } else { 0 };
    Verdict { test: item.test.to_string(), points, max: item.points, reason }
}

/// Why the kernel stopped, as its own report says (a panic's message, or the exception that
/// stopped it), or a pointer to the log.
fn kernel_stop(output: &str) -> String {
    let lines: Vec<&str> = output.lines().map(str::trim).collect();
    for (index, line) in lines.iter().enumerate() {
        if line.starts_with("KERNEL PANIC") {
            let message = lines.get(index + 1).copied().unwrap_or("");
            return format!(": the kernel panicked: {message}");
        }
        if line.starts_with("EXCEPTION:") {
            return format!(": {}", line.trim_start_matches("EXCEPTION:").trim());
        }
    }
    " (the kernel did not reach it; see the log)".to_string()
}

/// What the test's programs printed (their lines are `task: text`; the kernel's log lines
/// start with a timestamp in brackets), the last few, joined.
fn programs_said(output: &str, test: &str) -> String {
    let start = format!("TEST-START {test}");
    let said: Vec<&str> = output
        .lines()
        .skip_while(|line| line.trim_end() != start)
        .skip(1)
        .take_while(|line| !line.starts_with("TEST-"))
        .filter(|line| !line.starts_with('[') && line.contains(": "))
        .collect();
    said[said.len().saturating_sub(3)..].join(" / ")
}

/// A number for this run that nobody could have known before it.
fn fresh_nonce() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    hasher.write_u128(now.map_or(0, |d| d.as_nanos()));
    hasher.write_u32(std::process::id());
    format!("{:016x}", hasher.finish())
}

/// `cargo xtask grade N`.
pub fn run(lab: u32, timeout: Duration) -> Result<(), Failure> {
    let report = grade(lab, timeout)?;
    if report.score < report.max {
        return Err(Failure::new(format!(
            "lab {lab} scored {} of {} points",
            report.score, report.max
        )));
    }
    Ok(())
}

/// Grades lab `lab` on this tree, printing each test as it goes, and writes the report.
pub fn grade(lab: u32, timeout: Duration) -> Result<Report, Failure> {
    let Some((_, items)) = RUBRICS.iter().find(|(number, _)| *number == lab) else {
        let graded: Vec<String> = RUBRICS.iter().map(|(n, _)| n.to_string()).collect();
        return Err(Failure::new(format!(
            "lab {lab} has no grader yet; graded labs: {}",
            graded.join(", ")
        )));
    };
    qemu::ensure_installed(Firmware::Bios)?;
    let out = workspace_root().join("target/grade");
    std::fs::create_dir_all(&out).map_err(|e| Failure::new(format!("{}: {e}", out.display())))?;
    let nonce = fresh_nonce();
    let run = Run { lab, nonce: &nonce, timeout, out: &out };
    println!("Grading lab {lab} ({} test(s), each in its own boot)", items.len());
    let mut verdicts = Vec::new();
    for item in items.iter() {
        let log = out.join(format!("lab-{lab}.{}.log", item.test.replace("::", "-")));
        let verdict = match item.how {
            How::Guest => guest_test(item, &run, &log)?,
            How::TypedKeys => typed_keys(item, &run, &log)?,
            How::Robustness { .. } | How::Cost { .. }
                if verdicts.iter().any(|v: &Verdict| v.points < v.max) =>
            {
                not_run_until_the_rest_passes(item)
            }
            How::Robustness { .. } => robustness(item, &run)?,
            How::Cost { operation, at_most } => cost(item, operation, at_most, run.timeout)?,
        };
        println!("{:>4}/{:<3} {}", verdict.points, verdict.max, verdict.test);
        if !verdict.reason.is_empty() {
            println!("          why: {}\n          look at: {}", verdict.reason, item.hint);
            if log.exists() {
                println!("          log: {}", log.display());
            }
        }
        verdicts.push(verdict);
    }
    let score: u32 = verdicts.iter().map(|v| v.points).sum();
    let max: u32 = verdicts.iter().map(|v| v.max).sum();
    let report = Report { lab, score, max, tests: verdicts };
    let json = report_path(&workspace_root(), lab);
    std::fs::write(&json, to_json(&report))
        .map_err(|e| Failure::new(format!("{}: {e}", json.display())))?;
    println!("Score: {score}/{max}");
    println!("(details in {})", json.display());
    Ok(report)
}

/// What every graded test of one run shares.
#[derive(Clone, Copy)]
struct Run<'a> {
    lab: u32,
    nonce: &'a str,
    /// How long one QEMU run may take.
    timeout: Duration,
    /// `target/grade/`.
    out: &'a Path,
}

/// The micro flavour's `kind` of kernel (built if need be), and a fresh data disk for it.
fn kernel_and_disk(
    kind: KernelKind,
    lab: u32,
    out: &Path,
) -> Result<(images::Images, std::path::PathBuf), Failure> {
    let images = images::build(kind, BuildOptions { release: false, flavor: Flavor::Micro })?;
    let disk_image = out.join(format!("lab-{lab}.disk.img"));
    disk::create(&disk_image, &images.programs)?;
    Ok((images, disk_image))
}

/// An in-guest test, alone in a boot of the test kernel whose command line carries the nonce.
fn guest_test(item: &Item, run: &Run, log: &Path) -> Result<Verdict, Failure> {
    let Run { lab, nonce, timeout, out } = *run;
    let (images, disk_image) = kernel_and_disk(KernelKind::Tests, lab, out)?;
    let cmdline = format!("nonce={nonce} test={}", item.test);
    let options =
        RunOptions { data_disk: Some(disk_image), ..RunOptions::captured(Firmware::Bios, cmdline) };
    let boot =
        qemu::run_captured(&images.bios, &options, timeout, qemu::Session::default(), |_| false)?;
    let _ = std::fs::write(log, &boot.output);
    Ok(judge(item, &boot.output, nonce))
}

/// The word of this run typed on the keyboard of the running system must come back.
fn typed_keys(item: &Item, run: &Run, log: &Path) -> Result<Verdict, Failure> {
    let Run { lab, nonce, timeout, out } = *run;
    let (images, disk_image) = kernel_and_disk(KernelKind::System, lab, out)?;
    let socket = out.join(format!("lab-{lab}.monitor"));
    let (reason, output) = whole::typed_keys(&images, &disk_image, &socket, nonce, timeout)?;
    let _ = std::fs::write(log, &output);
    let reason = if reason.is_empty() { reason } else { format!("{reason}{}", stopped(&output)) };
    let points = if reason.is_empty() { item.points } else { 0 };
    Ok(Verdict { test: item.test.to_string(), points, max: item.points, reason })
}

/// How the kernel stopped, if its output says it did (empty otherwise).
fn stopped(output: &str) -> String {
    let report = kernel_stop(output);
    if report.starts_with(": ") { format!("; the kernel stopped{report}") } else { String::new() }
}

/// The median cost of `operation` on the microkernel must be at most `at_most` instructions.
fn cost(item: &Item, operation: &str, at_most: u64, timeout: Duration) -> Result<Verdict, Failure> {
    let reason = match crate::bench_services::micro_median(operation, timeout) {
        Err(failure) => format!("the service benchmark did not finish: {failure}"),
        Ok(None) => format!("the service benchmark gave no result for {operation}"),
        Ok(Some(median)) if median > at_most => format!(
            "{operation} took {median} guest instructions (median of 50); at most {at_most} \
             earns the points"
        ),
        Ok(Some(median)) => {
            println!("          ({operation}: {median} guest instructions, at most {at_most})");
            String::new()
        }
    };
    let points = if reason.is_empty() { item.points } else { 0 };
    Ok(Verdict { test: item.test.to_string(), points, max: item.points, reason })
}

/// A server is tested under faults, and a path measured, only once it works: a broken one
/// would only fail every injection, or hang the benchmark, slowly.
fn not_run_until_the_rest_passes(item: &Item) -> Verdict {
    let reason = "not run: the tests above must pass first";
    Verdict { test: item.test.to_string(), points: 0, max: item.points, reason: reason.into() }
}

/// The campaign's plan for the item's seed, aimed at its target, scored by outcome.
fn robustness(item: &Item, run: &Run) -> Result<Verdict, Failure> {
    let How::Robustness { target, runs, seed, credit } = item.how else {
        unreachable!("called for robustness items only")
    };
    println!(
        "          ({runs} faults into {target}, seed {seed}: `cargo xtask faults --flavor micro \
         --target {target} --runs {runs} --seed {seed} --at-waits` repeats them)"
    );
    // A shell command may take a twelfth of a whole run's timeout (10 s by default).
    let out = run.out.join(format!("lab-{}-faults", run.lab));
    let records = aimed_campaign(target, runs, seed, run.timeout / 12, &out)?;
    let outcomes: Vec<_> = records.iter().map(|r| r.outcome).collect();
    let (points, mut reason) = whole::robustness_points(&outcomes, credit, item.points);
    if let Some(first) = records.iter().find(|r| !credit.earns(r.outcome)) {
        let id = first.injection.id();
        reason.push_str(&format!(
            "; the first: {id} ({}), replay it with `cargo xtask faults --replay {id}`",
            first.detail
        ));
    }
    Ok(Verdict { test: item.test.to_string(), points, max: item.points, reason })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ITEM: Item = Item { test: "t::one", how: How::Guest, points: 5, hint: "here" };

    #[test]
    fn only_a_pass_line_with_the_runs_nonce_earns_the_points() {
        let pass = judge(&ITEM, "TEST-START t::one\nTEST-PASS t::one nonce=abc\n", "abc");
        assert_eq!((pass.points, pass.reason.as_str()), (5, ""));
        let forged = judge(&ITEM, "TEST-PASS t::one nonce=old\nTEST-PASS t::one\n", "abc");
        assert_eq!(forged.points, 0);
        assert!(forged.reason.contains("nonce"), "{}", forged.reason);
    }

    #[test]
    fn failures_say_why() {
        let failed = judge(&ITEM, "TEST-START t::one\nTEST-FAIL t::one: it broke\n", "n");
        assert_eq!((failed.points, failed.reason.as_str()), (0, "it broke"));
        let output = "TEST-START t::one\n[ 0.1] INFO kernel: x\nclient: write the call\nTEST-FAIL t::one: exit 4\n";
        let told = judge(&ITEM, output, "n");
        assert_eq!(told.reason, "exit 4; the test's programs said: client: write the call");
        let crashed = judge(&ITEM, "TEST-START t::one\nKERNEL PANIC at a.rs:1:2\n  no GDT\n", "n");
        assert_eq!(
            crashed.reason,
            "the kernel stopped inside the test: the kernel panicked: no GDT"
        );
        let trapped = "TEST-START t::one\nEXCEPTION: general protection in kernel mode\n";
        assert!(judge(&ITEM, trapped, "n").reason.ends_with(": general protection in kernel mode"));
        assert!(judge(&ITEM, "", "n").reason.contains("never ran (the kernel did not reach it"));
    }

    use crate::faults::outcome::TARGETS;

    #[test]
    fn every_rubric_names_a_guest_test_that_exists() {
        let root = workspace_root().join("kernel/src/tests");
        let mut names = String::new();
        for entry in std::fs::read_dir(&root).unwrap().flatten() {
            names.push_str(&std::fs::read_to_string(entry.path()).unwrap_or_default());
        }
        for (lab, items) in RUBRICS {
            for item in items.iter() {
                match item.how {
                    How::Guest => assert!(
                        names.contains(&format!("\"{}\"", item.test)),
                        "lab {lab}: {}",
                        item.test
                    ),
                    How::Robustness { target, runs, .. } => {
                        assert!(TARGETS.contains(&target) && runs > 0, "lab {lab}: {target}")
                    }
                    How::TypedKeys | How::Cost { .. } => {}
                }
            }
        }
    }

    #[test]
    fn nonces_differ_between_runs() {
        assert_ne!(fresh_nonce(), fresh_nonce());
    }
}
