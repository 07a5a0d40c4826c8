//! `cargo xtask bench --flavor both`: the same service operations on the microkernel and on
//! the monolithic kernel, measured in guest instructions (QEMU `-icount shift=0`), with the
//! micro/monolithic ratio per operation: what isolation costs a program. Results also go to
//! `target/bench/services.json`.

use crate::bench::{Pass, run_pass};
use crate::images::{self, BuildOptions, Flavor, KernelKind};
use crate::qemu::{self, Firmware};
use crate::util::{Failure, to_json, workspace_root};
use serde::Serialize;
use std::fmt::Write as _;
use std::time::Duration;

/// The operations in report order (names as `userland/service-bench` prints them).
pub const OPERATIONS: [(&str, &str); 5] = [
    ("console_write_64", "console write, 64 bytes"),
    ("file_read_4k", "file read, 4 KiB (warm cache)"),
    ("file_read_4k_cold", "file read, 4 KiB (cold cache)"),
    ("file_create_delete", "file create + delete"),
    ("directory_list", "directory listing"),
];

pub fn run(flavors: &[Flavor], timeout: Duration) -> Result<(), Failure> {
    qemu::ensure_installed(Firmware::Bios)?;
    let dir = workspace_root().join("target/bench");
    std::fs::create_dir_all(&dir).map_err(|e| Failure::new(format!("{}: {e}", dir.display())))?;
    let mut passes = Vec::new();
    for &flavor in flavors {
        println!("== service operations, {} flavour (TCG, -icount shift=0)", flavor.name());
        passes.push((flavor, measure(flavor, timeout)?));
    }
    let table = render_table(&passes);
    print!("{table}");
    let path = dir.join("services.json");
    std::fs::write(&path, render_json(&passes))
        .map_err(|e| Failure::new(format!("{}: {e}", path.display())))?;
    println!("results written to {}", path.display());
    let missing: Vec<String> = passes
        .iter()
        .flat_map(|(flavor, pass)| {
            OPERATIONS
                .iter()
                .filter(|(name, _)| !pass.operations.contains_key(*name))
                .map(move |(name, _)| format!("{name} ({})", flavor.name()))
        })
        .collect();
    if !missing.is_empty() {
        return Err(Failure::new(format!("no result for: {}", missing.join(", "))));
    }
    Ok(())
}

/// One pass of the service benchmark on `flavor` (release build, fresh data disk).
pub fn measure(flavor: Flavor, timeout: Duration) -> Result<Pass, Failure> {
    let dir = workspace_root().join("target/bench");
    std::fs::create_dir_all(&dir).map_err(|e| Failure::new(format!("{}: {e}", dir.display())))?;
    let images = images::build(KernelKind::ServiceBench, BuildOptions { release: true, flavor })?;
    let disk = dir.join(format!("services-{}.img", flavor.name()));
    crate::disk::create(&disk, &images.programs)?;
    run_pass(&images.bios, true, Some(disk), timeout)
}

/// The median instructions of operation `name` (as `OPERATIONS` names it) on the
/// microkernel, measured afresh: what a lab's grader compares with its bound.
pub fn micro_median(name: &str, timeout: Duration) -> Result<Option<u64>, Failure> {
    qemu::ensure_installed(Firmware::Bios)?;
    let pass = measure(Flavor::Micro, timeout)?;
    Ok(pass.instructions(name).map(|(median, _)| median))
}

/// Median instructions of `name` in the pass of `flavor`, if measured.
fn median(passes: &[(Flavor, Pass)], flavor: Flavor, name: &str) -> Option<u64> {
    let (_, pass) = passes.iter().find(|(f, _)| *f == flavor)?;
    pass.instructions(name).map(|(median, _)| median)
}

fn ratio(passes: &[(Flavor, Pass)], name: &str) -> Option<f64> {
    let micro = median(passes, Flavor::Micro, name)?;
    let monolithic = median(passes, Flavor::Monolithic, name)?;
    (monolithic > 0).then(|| micro as f64 / monolithic as f64)
}

fn render_table(passes: &[(Flavor, Pass)]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n{:<32} {:>12} {:>12} {:>8}",
        "operation (instructions)", "micro", "monolithic", "ratio"
    );
    let cell = |value: Option<u64>| value.map_or("-".to_owned(), |v| v.to_string());
    for (name, label) in OPERATIONS {
        let micro = median(passes, Flavor::Micro, name);
        let monolithic = median(passes, Flavor::Monolithic, name);
        let ratio = ratio(passes, name).map_or("-".to_owned(), |r| format!("{r:.2}x"));
        let _ =
            writeln!(out, "{label:<32} {:>12} {:>12} {ratio:>8}", cell(micro), cell(monolithic));
    }
    let _ = writeln!(out, "\nmedians of 50 calls each; ratio = micro / monolithic");
    out
}

/// `target/bench/services.json`.
#[derive(Serialize)]
struct Report {
    mode: &'static str,
    unit: &'static str,
    operations: Vec<OperationReport>,
}

/// One operation; a flavour that was not measured is null, and so is the ratio then.
#[derive(Serialize)]
struct OperationReport {
    name: &'static str,
    label: &'static str,
    micro: Option<u64>,
    monolithic: Option<u64>,
    ratio: Option<f64>,
}

fn render_json(passes: &[(Flavor, Pass)]) -> String {
    let operations = OPERATIONS
        .iter()
        .map(|&(name, label)| OperationReport {
            name,
            label,
            micro: median(passes, Flavor::Micro, name),
            monolithic: median(passes, Flavor::Monolithic, name),
            // Three decimals, as the file has always had them.
            ratio: ratio(passes, name).map(|r| (r * 1e3).round() / 1e3),
        })
        .collect();
    to_json(&Report {
        mode: "qemu tcg, -icount shift=0",
        unit: "guest instructions, median",
        operations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pass(lines: &str) -> Pass {
        crate::bench::parse(lines)
    }

    #[test]
    fn ratio_is_micro_over_monolithic_after_the_overhead() {
        let micro = pass(
            "x: BENCH empty median=10 p99=10 min=10 max=10 samples=50\n\
             x: BENCH file_read_4k median=3010 p99=3100 min=3000 max=3200 samples=50\n",
        );
        let monolithic = pass(
            "x: BENCH empty median=10 p99=10 min=10 max=10 samples=50\n\
             x: BENCH file_read_4k median=1010 p99=1100 min=1000 max=1200 samples=50\n",
        );
        let passes = [(Flavor::Micro, micro), (Flavor::Monolithic, monolithic)];
        assert_eq!(median(&passes, Flavor::Micro, "file_read_4k"), Some(3000));
        assert_eq!(ratio(&passes, "file_read_4k"), Some(3.0));
        let table = render_table(&passes);
        assert!(table.contains("3.00x"), "{table}");
        assert_eq!(ratio(&passes, "directory_list"), None);
    }

    #[test]
    fn json_has_every_operation_in_order() {
        let micro = pass(
            "x: BENCH empty median=10 p99=10 min=10 max=10 samples=50\n\
             x: BENCH console_write_64 median=710 p99=800 min=700 max=900 samples=50\n\
             x: BENCH file_read_4k median=3010 p99=3100 min=3000 max=3200 samples=50\n",
        );
        let monolithic = pass(
            "x: BENCH empty median=10 p99=10 min=10 max=10 samples=50\n\
             x: BENCH console_write_64 median=310 p99=400 min=300 max=500 samples=50\n\
             x: BENCH file_read_4k median=1010 p99=1100 min=1000 max=1200 samples=50\n",
        );
        let passes = [(Flavor::Micro, micro), (Flavor::Monolithic, monolithic)];
        let json: serde_json::Value = serde_json::from_str(&render_json(&passes)).unwrap();
        assert_eq!(json["mode"], "qemu tcg, -icount shift=0");
        assert_eq!(json["unit"], "guest instructions, median");
        let operations = json["operations"].as_array().unwrap();
        let names: Vec<&str> = operations.iter().map(|o| o["name"].as_str().unwrap()).collect();
        assert_eq!(names, OPERATIONS.map(|(name, _)| name));
        let console = serde_json::json!({
            "name": "console_write_64",
            "label": "console write, 64 bytes",
            "micro": 700,
            "monolithic": 300,
            "ratio": 2.333,
        });
        assert_eq!(operations[0], console);
        assert_eq!(operations[1]["ratio"], 3.0);
        let unmeasured = &operations[3];
        assert!(unmeasured["micro"].is_null() && unmeasured["ratio"].is_null());
        // One flavour only: the other column and the ratio are null.
        let json: serde_json::Value = serde_json::from_str(&render_json(&passes[..1])).unwrap();
        assert_eq!(json["operations"][0]["micro"], 700);
        assert!(json["operations"][0]["monolithic"].is_null());
        assert!(json["operations"][0]["ratio"].is_null());
    }
}
