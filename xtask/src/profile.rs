//! `cargo xtask bench --profile OPERATION`: where the instructions of one kernel benchmark
//! operation go, function by function.
//!
//! QEMU runs the benchmark system under icount with `-singlestep -d exec,nochain`, which logs
//! one line per guest instruction executed, at the kernel's and the programs' addresses only.
//! The log is cut at the benchmark program's `rdtsc` instructions around one sample of the
//! operation (a stretch exactly as long as the operation's median, from a plain pass first),
//! and each kernel address is named after the function that holds it (`llvm-nm` on the
//! kernel). Programs all link at the same address, so ring-3 instructions are only counted.
//! The result goes to the terminal and to `target/bench/profile-OPERATION.txt`.

use crate::bench::run_pass;
use crate::images::{self, BuildOptions, Flavor, KernelKind};
use crate::qemu::{self, Firmware, RunOptions};
use crate::toolchain::{self, KERNEL_TARGET};
use crate::util::{Failure, workspace_root};
use std::fmt::Write as _;
use std::io::BufRead;
use std::path::Path;
use std::time::Duration;

/// Where the kernel runs (a PIE at the top of the address space) and where programs link.
const KERNEL_BASE: u64 = 0xffff_ffff_8000_0000;
const TRACED: &str = "0xffffffff80000000..0xffffffff80ffffff,0x400000..0x4fffff";

pub fn run(operation: &str, timeout: Duration) -> Result<(), Failure> {
    let images =
        images::build(KernelKind::Bench, BuildOptions { release: true, flavor: Flavor::Micro })?;
    qemu::ensure_installed(Firmware::Bios)?;
    println!("== a plain pass, for the median of {operation}");
    let pass = run_pass(&images.bios, true, None, timeout)?;
    let Some(sample) = pass.operations.get(operation) else {
        let known: Vec<&str> = pass.operations.keys().map(String::as_str).collect();
        return Err(Failure::new(format!(
            "the benchmark has no operation {operation}; it has {}",
            known.join(", ")
        )));
    };
    let dir = workspace_root().join("target/bench");
    std::fs::create_dir_all(&dir).map_err(|e| Failure::new(format!("{}: {e}", dir.display())))?;
    let log = dir.join("profile-exec.log");
    println!("== a traced pass (one log line per instruction; this takes a minute)");
    let options = RunOptions {
        icount: true,
        trace: Some((log.clone(), TRACED.into())),
        ..RunOptions::captured(Firmware::Bios, String::new())
    };
    let session = qemu::Session { input: &[], stop_at: Some("BENCH DONE") };
    qemu::run_captured(&images.bios, &options, timeout * 10, session, |_| false)?;
    let pcs = read_trace(&log)?;
    let _ = std::fs::remove_file(&log);
    let program = workspace_root().join("target/user").join(KERNEL_TARGET).join("release/bench");
    let marks = rdtsc_addresses(&program)?;
    // A sample is the instructions from one `rdtsc` up to the next; the table shows it less
    // the measurement's own overhead (`empty`).
    let overhead = pass.operations.get("empty").map_or(0, |s| s.median);
    let Some(window) = find_window(&pcs, &marks, sample.median, 2) else {
        let median = sample.median;
        return Err(Failure::new(format!(
            "no stretch of about {median} instructions between two rdtsc of the benchmark"
        )));
    };
    let symbols = kernel_symbols(&images.kernel)?;
    let report = render(operation, sample.median - overhead, overhead, &pcs[window], &symbols);
    print!("{report}");
    let path = dir.join(format!("profile-{operation}.txt"));
    std::fs::write(&path, &report).map_err(|e| Failure::new(format!("{}: {e}", path.display())))?;
    println!("written to {}", path.display());
    Ok(())
}

/// The guest addresses of a `-d exec,nochain` log, in order.
fn read_trace(log: &Path) -> Result<Vec<u64>, Failure> {
    let file =
        std::fs::File::open(log).map_err(|e| Failure::new(format!("{}: {e}", log.display())))?;
    let mut pcs = Vec::new();
    for line in std::io::BufReader::new(file).lines() {
        let line = line.map_err(|e| Failure::new(format!("{}: {e}", log.display())))?;
        if let Some(pc) = trace_address(&line) {
            pcs.push(pc);
        }
    }
    Ok(pcs)
}

/// The guest address in `Trace 0: 0x7f.. [0000000000000000/ffffffff80015d90/0000c0b0/...]`.
fn trace_address(line: &str) -> Option<u64> {
    let fields = line.split_once('[')?.1;
    let address = fields.split('/').nth(1)?;
    u64::from_str_radix(address, 16).ok()
}

/// The addresses of the `rdtsc` instructions in a program (`llvm-objdump -d`).
fn rdtsc_addresses(program: &Path) -> Result<Vec<u64>, Failure> {
    let mut objdump = toolchain::llvm_tool("llvm-objdump")?;
    let output = objdump
        .arg("-d")
        .arg(program)
        .output()
        .map_err(|e| Failure::new(format!("llvm-objdump: {e}")))?;
    let text = String::from_utf8_lossy(&output.stdout);
    Ok(text
        .lines()
        .filter(|line| line.trim_end().ends_with("rdtsc"))
        .filter_map(|line| u64::from_str_radix(line.split(':').next()?.trim(), 16).ok())
        .collect())
}

/// The last stretch between one of `marks` and the next that is `length` instructions long,
/// give or take `slack`: one sample of the operation (its first `rdtsc` included).
fn find_window(
    pcs: &[u64],
    marks: &[u64],
    length: u64,
    slack: u64,
) -> Option<std::ops::Range<usize>> {
    let at: Vec<usize> = (0..pcs.len()).filter(|&i| marks.contains(&pcs[i])).collect();
    let fits = |pair: &&[usize]| ((pair[1] - pair[0]) as u64).abs_diff(length) <= slack;
    at.windows(2).rev().find(fits).map(|p| p[0]..p[1])
}

/// The kernel's functions, sorted by address (`llvm-nm`), at the addresses it runs at.
fn kernel_symbols(kernel: &Path) -> Result<Vec<(u64, String)>, Failure> {
    let mut nm = toolchain::llvm_tool("llvm-nm")?;
    let output = nm
        .args(["--numeric-sort", "--demangle"])
        .arg(kernel)
        .output()
        .map_err(|e| Failure::new(format!("llvm-nm: {e}")))?;
    let text = String::from_utf8_lossy(&output.stdout);
    Ok(text.lines().filter_map(parse_symbol).collect())
}

/// `000000000000f580 t kernel::arch::...` as (runtime address, name), for code symbols.
fn parse_symbol(line: &str) -> Option<(u64, String)> {
    let mut parts = line.splitn(3, ' ');
    let address = u64::from_str_radix(parts.next()?, 16).ok()?;
    let kind = parts.next()?;
    let name = parts.next()?;
    ["t", "T", "w", "W"].contains(&kind).then(|| (KERNEL_BASE + address, name.to_owned()))
}

fn name_of(address: u64, symbols: &[(u64, String)]) -> String {
    if address < KERNEL_BASE {
        return "(ring 3)".into();
    }
    let at = symbols.partition_point(|(start, _)| *start <= address);
    match at.checked_sub(1) {
        Some(i) => symbols[i].1.clone(),
        None => "(kernel, unnamed)".into(),
    }
}

/// The sample as runs of consecutive instructions in one function, then totals per function.
fn render(
    operation: &str,
    median: u64,
    overhead: u64,
    pcs: &[u64],
    symbols: &[(u64, String)],
) -> String {
    let names: Vec<String> = pcs.iter().map(|&pc| name_of(pc, symbols)).collect();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n{operation}: median {median} instructions (as `cargo xtask bench` shows it); one \
         sample traced from rdtsc to rdtsc: {} instructions, the measurement's own {overhead} \
         included\n",
        pcs.len()
    );
    let _ = writeln!(out, "in order (consecutive instructions in one function):");
    let mut runs: Vec<(usize, &str)> = Vec::new();
    for name in &names {
        match runs.last_mut() {
            Some((count, last)) if *last == name => *count += 1,
            _ => runs.push((1, name)),
        }
    }
    for (count, name) in &runs {
        let _ = writeln!(out, "{count:6}  {name}");
    }
    let mut totals: Vec<(usize, &str)> = Vec::new();
    for name in &names {
        match totals.iter_mut().find(|(_, n)| *n == name) {
            Some((count, _)) => *count += 1,
            None => totals.push((1, name)),
        }
    }
    totals.sort_by(|a, b| b.0.cmp(&a.0));
    let _ = writeln!(out, "\nby function:");
    for (count, name) in totals {
        let _ = writeln!(out, "{count:6}  {name}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_lines_give_their_guest_address() {
        let line = "Trace 0: 0x7f242c90cf00 [0000000000000000/ffffffff80015d90/0000c0b0/ff020201] ";
        assert_eq!(trace_address(line), Some(0xffff_ffff_8001_5d90));
        assert_eq!(trace_address("Linking TBs 0x1 [00] index 0"), None);
        assert_eq!(trace_address("garbage"), None);
    }

    #[test]
    fn the_window_is_the_last_stretch_of_the_right_length() {
        let pcs = [1, 9, 9, 1, 9, 1, 9, 9, 1];
        assert_eq!(find_window(&pcs, &[1], 3, 0), Some(5..8));
        assert_eq!(find_window(&pcs, &[1], 2, 0), Some(3..5));
        assert_eq!(find_window(&pcs, &[1], 4, 1), Some(5..8));
        assert_eq!(find_window(&pcs, &[1], 7, 0), None);
    }

    #[test]
    fn kernel_addresses_are_named_after_the_function_below_them() {
        let symbols: Vec<(u64, String)> = ["0000000000001000 t entry", "0000000000002000 T main"]
            .iter()
            .filter_map(|l| parse_symbol(l))
            .collect();
        assert_eq!(parse_symbol("0000000000003000 d DATA"), None);
        assert_eq!(name_of(KERNEL_BASE + 0x1fff, &symbols), "entry");
        assert_eq!(name_of(KERNEL_BASE + 0x2000, &symbols), "main");
        assert_eq!(name_of(0x40_0000, &symbols), "(ring 3)");
        assert_eq!(name_of(KERNEL_BASE, &symbols), "(kernel, unnamed)");
    }

    #[test]
    fn the_report_groups_runs_and_totals() {
        let symbols = vec![(KERNEL_BASE, "k".to_owned())];
        let pcs = [0x40_0000, KERNEL_BASE, KERNEL_BASE + 1, 0x40_0001];
        let report = render("op", 1, 3, &pcs, &symbols);
        assert!(report.contains("     1  (ring 3)\n     2  k\n     1  (ring 3)\n"), "{report}");
        assert!(report.contains("by function:\n     2  (ring 3)\n     2  k\n"), "{report}");
    }
}
