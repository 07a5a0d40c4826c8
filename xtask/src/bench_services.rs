//! `cargo xtask bench --flavor both`: the same service operations on the microkernel and on
//! the monolithic kernel, measured in guest instructions (QEMU `-icount shift=0`), with the
//! micro/monolithic ratio per operation: what isolation costs a program. Results also go to
//! `target/bench/services.json`.

use crate::bench::{Pass, run_pass};
use crate::images::{self, BuildOptions, Flavor, KernelKind};
use crate::qemu::{self, Firmware};
use crate::util::{Failure, workspace_root};
use std::fmt::Write as _;
use std::time::Duration;

/// The operations in report order (names as `userland/service-bench` prints them).
const OPERATIONS: [(&str, &str); 4] = [
    ("console_write_64", "console write, 64 bytes"),
    ("file_read_4k", "file read, 4 KiB"),
    ("file_create_delete", "file create + delete"),
    ("directory_list", "directory listing"),
];

pub fn run(flavors: &[Flavor], timeout: Duration) -> Result<(), Failure> {
    qemu::ensure_installed(Firmware::Bios)?;
    let dir = workspace_root().join("target/bench");
    std::fs::create_dir_all(&dir).map_err(|e| Failure::new(format!("{}: {e}", dir.display())))?;
    let mut passes = Vec::new();
    for &flavor in flavors {
        let options = BuildOptions { release: true, flavor };
        let images = images::build(KernelKind::ServiceBench, options)?;
        let disk = dir.join(format!("services-{}.img", flavor.name()));
        crate::disk::create(&disk, &images.programs)?;
        println!("== service operations, {} flavour (TCG, -icount shift=0)", flavor.name());
        passes.push((flavor, run_pass(&images.bios, true, Some(disk), timeout)?));
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
        "\n{:<28} {:>14} {:>14} {:>8}",
        "operation (instructions)", "micro", "monolithic", "ratio"
    );
    let cell = |value: Option<u64>| value.map_or("-".to_owned(), |v| v.to_string());
    for (name, label) in OPERATIONS {
        let micro = median(passes, Flavor::Micro, name);
        let monolithic = median(passes, Flavor::Monolithic, name);
        let ratio = ratio(passes, name).map_or("-".to_owned(), |r| format!("{r:.2}x"));
        let _ =
            writeln!(out, "{label:<28} {:>14} {:>14} {ratio:>8}", cell(micro), cell(monolithic));
    }
    let _ = writeln!(out, "\nmedians of 50 calls each; ratio = micro / monolithic");
    out
}

fn render_json(passes: &[(Flavor, Pass)]) -> String {
    let number = |value: Option<u64>| value.map_or("null".to_owned(), |v| v.to_string());
    let operations: Vec<String> = OPERATIONS
        .iter()
        .map(|(name, label)| {
            format!(
                "    {{\"name\": \"{name}\", \"label\": \"{label}\", \"micro\": {}, \"monolithic\": {}, \"ratio\": {}}}",
                number(median(passes, Flavor::Micro, name)),
                number(median(passes, Flavor::Monolithic, name)),
                ratio(passes, name).map_or("null".to_owned(), |r| format!("{r:.3}"))
            )
        })
        .collect();
    format!(
        "{{\n  \"mode\": \"qemu tcg, -icount shift=0\",\n  \"unit\": \"guest instructions, median\",\n  \"operations\": [\n{}\n  ]\n}}\n",
        operations.join(",\n")
    )
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
        assert!(render_json(&passes).contains("\"ratio\": 3.000"));
        assert_eq!(ratio(&passes, "directory_list"), None);
    }
}
