//! `cargo xtask bench`: boot the benchmark system and report what each operation costs.
//!
//! The main pass runs QEMU with `-icount shift=0`: the guest's time-stamp counter then advances
//! by one per guest instruction, so a measured duration is a path length, the number that
//! Liedtke-style fast paths minimise, and it repeats exactly. A calibration loop of known length
//! checks that ratio. A second pass without icount gives wall-clock TSC ticks under TCG, for
//! scale only. Results go to a table and to `target/bench/results.json`.

use crate::images::{self, BuildOptions, Flavor, KernelKind};
use crate::qemu::{self, Firmware, RunOptions};
use crate::util::{Failure, to_json, workspace_root};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

#[derive(Debug)]
pub struct BenchArgs {
    /// One icount pass only (CI smoke test): no repeat check, no wall-clock pass.
    pub quick: bool,
    /// The service operations on these flavours instead of the kernel's own paths.
    pub flavors: Option<Vec<Flavor>>,
    /// Trace one sample of this operation instead (`profile.rs`).
    pub profile: Option<String>,
    /// The same operations on Linux beside both Moat flavours (`linux/`).
    pub vs_linux: bool,
    pub timeout: Duration,
}

/// One `BENCH name median=.. p99=.. min=.. max=.. samples=..` line, in TSC ticks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sample {
    pub median: u64,
    pub p99: u64,
    pub min: u64,
    pub max: u64,
    pub samples: u64,
}

/// A pass's parsed output.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Pass {
    pub operations: BTreeMap<String, Sample>,
    /// (ticks, instructions) of the calibration loop.
    pub calibration: Option<(u64, u64)>,
}

/// The operations in report order, with seL4's path lengths measured the same way on this
/// class of machine (icount, TCG) for scale, where there is a counterpart.
const OPERATIONS: [(&str, &str, Option<u64>); 6] = [
    ("null_syscall", "null system call (entry to return)", Some(89)),
    ("ipc_call_reply", "IPC call + reply, two address spaces", Some(395)),
    ("notification", "notification to a waiting task", Some(509)),
    ("interrupt_to_driver", "interrupt to user driver wake-up", None),
    ("lease_read_4k", "call with a 4 KiB lease read", None),
    ("empty", "measurement overhead (subtracted)", None),
];

pub fn run(args: &BenchArgs) -> Result<(), Failure> {
    if let Some(flavors) = &args.flavors {
        return crate::bench_services::run(flavors, args.timeout);
    }
    if args.vs_linux {
        return crate::linux::run(args.timeout);
    }
    if let Some(operation) = &args.profile {
        return crate::profile::run(operation, args.timeout);
    }
    let images =
        images::build(KernelKind::Bench, BuildOptions { release: true, flavor: Flavor::Micro })?;
    qemu::ensure_installed(Firmware::Bios)?;
    println!("== benchmark pass 1: TCG with -icount shift=0 (1 TSC tick = 1 guest instruction)");
    let icount = run_pass(&images.bios, true, None, args.timeout)?;
    let mut repeatable = None;
    let mut wall = None;
    if !args.quick {
        println!("== benchmark pass 2: the same again, to check it repeats exactly");
        repeatable = Some(run_pass(&images.bios, true, None, args.timeout)? == icount);
        println!("== benchmark pass 3: TCG without icount (wall-clock TSC ticks, for scale)");
        wall = Some(run_pass(&images.bios, false, None, args.timeout)?);
    }
    let table = render_table(&icount, wall.as_ref(), repeatable);
    print!("{table}");
    let dir = workspace_root().join("target/bench");
    std::fs::create_dir_all(&dir).map_err(|e| Failure::new(format!("{}: {e}", dir.display())))?;
    let json = render_json(&icount, wall.as_ref(), repeatable, args.quick);
    let path = dir.join("results.json");
    std::fs::write(&path, json).map_err(|e| Failure::new(format!("{}: {e}", path.display())))?;
    println!("results written to {}", path.display());
    if repeatable == Some(false) {
        return Err(Failure::new(
            "the two icount passes differ: the benchmark is not deterministic",
        ));
    }
    let missing: Vec<&str> = OPERATIONS
        .iter()
        .map(|(n, _, _)| *n)
        .filter(|n| !icount.operations.contains_key(*n))
        .collect();
    if !missing.is_empty() {
        return Err(Failure::new(format!("no result for: {}", missing.join(", "))));
    }
    Ok(())
}

/// One boot of a benchmark system, with `data_disk` attached if given, until `BENCH DONE`.
pub fn run_pass(
    image: &std::path::Path,
    icount: bool,
    data_disk: Option<std::path::PathBuf>,
    timeout: Duration,
) -> Result<Pass, Failure> {
    let options =
        RunOptions { icount, data_disk, ..RunOptions::captured(Firmware::Bios, String::new()) };
    let session = qemu::Session { input: &[], stop_at: Some("BENCH DONE"), screen: None };
    let run = qemu::run_captured(image, &options, timeout, session, |_| false)?;
    if run.exit_code != Some(0) || !run.output.contains("BENCH DONE") {
        let tail: Vec<&str> = run.output.lines().rev().take(20).collect();
        return Err(Failure::new(format!(
            "the benchmark did not finish (QEMU exited {}); last lines:\n{}",
            qemu::describe_exit(run.exit_code),
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        )));
    }
    Ok(parse(&run.output))
}

pub fn parse(output: &str) -> Pass {
    let mut pass = Pass::default();
    for line in output.lines() {
        let Some(rest) = line.split_once("BENCH ").map(|(_, rest)| rest) else { continue };
        let mut words = rest.split_whitespace();
        let Some(name) = words.next() else { continue };
        let fields: BTreeMap<&str, u64> = words
            .filter_map(|w| w.split_once('='))
            .filter_map(|(k, v)| Some((k, v.parse().ok()?)))
            .collect();
        if name == "calibration" {
            pass.calibration =
                fields.get("ticks").zip(fields.get("instructions")).map(|(t, i)| (*t, *i));
        } else if let (Some(&median), Some(&p99), Some(&min), Some(&max), Some(&samples)) = (
            fields.get("median"),
            fields.get("p99"),
            fields.get("min"),
            fields.get("max"),
            fields.get("samples"),
        ) {
            pass.operations.insert(name.to_owned(), Sample { median, p99, min, max, samples });
        }
    }
    pass
}

impl Pass {
    /// Ticks per instruction from the calibration loop (1.0 under icount).
    fn ticks_per_instruction(&self) -> f64 {
        match self.calibration {
            Some((ticks, instructions)) if instructions > 0 => ticks as f64 / instructions as f64,
            _ => 1.0,
        }
    }

    /// An operation's median and p99 in ticks with the measurement overhead taken off.
    pub fn net(&self, name: &str) -> Option<(u64, u64)> {
        let sample = self.operations.get(name)?;
        let overhead =
            if name == "empty" { 0 } else { self.operations.get("empty").map_or(0, |e| e.median) };
        Some((sample.median.saturating_sub(overhead), sample.p99.saturating_sub(overhead)))
    }

    /// The same in guest instructions.
    pub fn instructions(&self, name: &str) -> Option<(u64, u64)> {
        let ratio = self.ticks_per_instruction();
        self.net(name)
            .map(|(m, p)| ((m as f64 / ratio).round() as u64, (p as f64 / ratio).round() as u64))
    }
}

fn render_table(icount: &Pass, wall: Option<&Pass>, repeatable: Option<bool>) -> String {
    let mut out = String::new();
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:<40} {:>12} {:>12} {:>14} {:>14}",
        "operation", "instr median", "instr p99", "TCG ticks med", "seL4 (instr)"
    );
    for (name, label, reference) in OPERATIONS {
        let Some((median, p99)) = icount.instructions(name) else { continue };
        let ticks = wall.and_then(|w| w.net(name)).map_or("-".to_owned(), |(m, _)| m.to_string());
        let reference = reference.map_or("-".to_owned(), |r| r.to_string());
        let _ = writeln!(out, "{label:<40} {median:>12} {p99:>12} {ticks:>14} {reference:>14}");
    }
    let _ = writeln!(
        out,
        "\ncalibration: {:.3} TSC ticks per guest instruction under icount{}",
        icount.ticks_per_instruction(),
        match repeatable {
            Some(true) => "; two icount passes gave identical results",
            Some(false) => "; the two icount passes DIFFER",
            None => " (quick mode: one pass)",
        }
    );
    out
}

/// `target/bench/results.json`.
#[derive(Serialize)]
struct Report {
    mode: &'static str,
    quick: bool,
    /// Whether two icount passes agreed; null in quick mode (one pass).
    repeatable: Option<bool>,
    ticks_per_instruction: f64,
    operations: Vec<OperationReport>,
}

#[derive(Serialize)]
struct OperationReport {
    name: &'static str,
    label: &'static str,
    instructions_median: u64,
    instructions_p99: u64,
    ticks_min: u64,
    ticks_max: u64,
    samples: u64,
    /// Null without the wall-clock pass.
    wall_ticks_median: Option<u64>,
    sel4_instructions: Option<u64>,
}

fn render_json(
    icount: &Pass,
    wall: Option<&Pass>,
    repeatable: Option<bool>,
    quick: bool,
) -> String {
    let operations = OPERATIONS
        .iter()
        .filter_map(|&(name, label, reference)| {
            let sample = icount.operations.get(name)?;
            let (median, p99) = icount.instructions(name).unwrap_or_default();
            Some(OperationReport {
                name,
                label,
                instructions_median: median,
                instructions_p99: p99,
                ticks_min: sample.min,
                ticks_max: sample.max,
                samples: sample.samples,
                wall_ticks_median: wall.and_then(|w| w.net(name)).map(|(m, _)| m),
                sel4_instructions: reference,
            })
        })
        .collect();
    let report = Report {
        mode: "qemu tcg, -icount shift=0",
        quick,
        repeatable,
        // Four decimals, as the file has always had them.
        ticks_per_instruction: (icount.ticks_per_instruction() * 1e4).round() / 1e4,
        operations,
    };
    to_json(&report)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUTPUT: &str = "\
bench: BENCH calibration ticks=200001 instructions=200001
bench: BENCH empty median=20 p99=20 min=20 max=25 samples=1000
bench: BENCH null_syscall median=120 p99=130 min=118 max=400 samples=1000
noise line
bench: BENCH DONE
";

    #[test]
    fn lines_parse_and_overhead_is_subtracted() {
        let pass = parse(OUTPUT);
        assert_eq!(pass.calibration, Some((200001, 200001)));
        assert_eq!(
            pass.operations["null_syscall"],
            Sample { median: 120, p99: 130, min: 118, max: 400, samples: 1000 }
        );
        assert_eq!(pass.instructions("null_syscall"), Some((100, 110)));
        assert_eq!(pass.instructions("empty"), Some((20, 20)));
        assert_eq!(pass.instructions("missing"), None);
    }

    #[test]
    fn calibration_scales_ticks() {
        let mut pass = parse(OUTPUT);
        pass.calibration = Some((400, 200));
        assert_eq!(pass.instructions("null_syscall"), Some((50, 55)));
    }

    #[test]
    fn json_and_table_name_every_measured_operation() {
        let pass = parse(OUTPUT);
        let wall = parse("bench: BENCH null_syscall median=1200 p99=1300 min=1 max=2 samples=9\n");
        let json: serde_json::Value =
            serde_json::from_str(&render_json(&pass, Some(&wall), Some(true), false)).unwrap();
        assert_eq!(json["mode"], "qemu tcg, -icount shift=0");
        assert_eq!(json["quick"], false);
        assert_eq!(json["repeatable"], true);
        assert_eq!(json["ticks_per_instruction"], 1.0);
        let operations = json["operations"].as_array().unwrap();
        // Report order, measured operations only.
        let names: Vec<&str> = operations.iter().map(|o| o["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["null_syscall", "empty"]);
        let null = serde_json::json!({
            "name": "null_syscall",
            "label": "null system call (entry to return)",
            "instructions_median": 100,
            "instructions_p99": 110,
            "ticks_min": 118,
            "ticks_max": 400,
            "samples": 1000,
            "wall_ticks_median": 1200,
            "sel4_instructions": 89,
        });
        assert_eq!(operations[0], null);
        assert!(operations[1]["sel4_instructions"].is_null());
        let quick: serde_json::Value =
            serde_json::from_str(&render_json(&pass, None, None, true)).unwrap();
        assert!(
            quick["repeatable"].is_null() && quick["operations"][0]["wall_ticks_median"].is_null()
        );
        let table = render_table(&pass, None, None);
        assert!(table.contains("null system call") && table.contains("quick mode"));
    }

    #[test]
    fn ticks_per_instruction_keeps_four_decimals() {
        let mut pass = parse(OUTPUT);
        pass.calibration = Some((200003, 200001));
        let json: serde_json::Value =
            serde_json::from_str(&render_json(&pass, None, None, true)).unwrap();
        assert_eq!(json["ticks_per_instruction"], 1.0);
        pass.calibration = Some((1234567, 1000000));
        let json: serde_json::Value =
            serde_json::from_str(&render_json(&pass, None, None, true)).unwrap();
        assert_eq!(json["ticks_per_instruction"], 1.2346);
    }
}
