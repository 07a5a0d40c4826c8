//! `cargo xtask bench --profile OPERATION`: where the instructions of one benchmark operation
//! go, function by function.
//!
//! QEMU runs the benchmark system under icount with `-singlestep -d exec,nochain`, which logs
//! one line per guest instruction executed, at the kernel's and the programs' addresses only.
//! The log is cut at the benchmark program's `rdtsc` instructions around one sample of the
//! operation (a stretch exactly as long as the operation's median, from a plain pass first),
//! and each kernel address is named after the function that holds it (`llvm-nm` on the
//! kernel). Programs all link at the same address, so a stretch of ring-3 instructions is
//! given to the one program of the system at whose instruction boundaries (`llvm-objdump`) all
//! of them fall, and named after that program's function. The operation is one of the kernel
//! benchmark's (`cargo xtask bench`) or of the service benchmark's (`--flavor micro`, run
//! with its data disk). The result goes to the terminal and to
//! `target/bench/profile-OPERATION.txt`, and every instruction of the sample, in order, with
//! the kernel's disassembled and given their source line, to
//! `target/bench/profile-OPERATION-instructions.txt`.

use crate::bench::run_pass;
use crate::images::{self, BuildOptions, Flavor, KernelKind};
use crate::qemu::{self, Firmware, RunOptions};
use crate::toolchain::{self, KERNEL_TARGET};
use crate::util::{Failure, workspace_root};
use std::collections::HashSet;
use std::fmt::Write as _;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where the kernel runs (a PIE at the top of the address space) and where programs link.
const KERNEL_BASE: u64 = 0xffff_ffff_8000_0000;
const TRACED: &str = "0xffffffff80000000..0xffffffff80ffffff,0x400000..0x4fffff";

/// The programs whose ring-3 instructions a profile can name, the measuring program first:
/// of the kernel benchmark's system and of the service benchmark's.
const KERNEL_BENCH_PROGRAMS: [&str; 3] = ["bench", "bench-peer", "bench-irq"];
const SERVICE_BENCH_PROGRAMS: [&str; 6] =
    ["service-bench", "fs", "block", "console", "serial", "keyboard"];

/// The system a profile runs: the kernel benchmark's, or the service benchmark's.
struct System {
    images: images::Images,
    data_disk: Option<PathBuf>,
    programs: &'static [&'static str],
}

fn system_for(operation: &str) -> Result<System, Failure> {
    if crate::bench_services::OPERATIONS.iter().any(|(name, _)| *name == operation) {
        let options = BuildOptions { release: true, flavor: Flavor::Micro };
        let images = images::build(KernelKind::ServiceBench, options)?;
        let disk = workspace_root().join("target/bench/profile-disk.img");
        crate::disk::create(&disk, &images.programs)?;
        return Ok(System { images, data_disk: Some(disk), programs: &SERVICE_BENCH_PROGRAMS });
    }
    let images =
        images::build(KernelKind::Bench, BuildOptions { release: true, flavor: Flavor::Micro })?;
    Ok(System { images, data_disk: None, programs: &KERNEL_BENCH_PROGRAMS })
}

pub fn run(operation: &str, timeout: Duration) -> Result<(), Failure> {
    let dir = workspace_root().join("target/bench");
    std::fs::create_dir_all(&dir).map_err(|e| Failure::new(format!("{}: {e}", dir.display())))?;
    let system = system_for(operation)?;
    qemu::ensure_installed(Firmware::Bios)?;
    println!("== a plain pass, for the median of {operation}");
    let pass = run_pass(&system.images.bios, true, system.data_disk.clone(), timeout)?;
    let Some(sample) = pass.operations.get(operation) else {
        let known: Vec<&str> = pass.operations.keys().map(String::as_str).collect();
        return Err(Failure::new(format!(
            "the benchmark has no operation {operation}; it has {}",
            known.join(", ")
        )));
    };
    if let Some(disk) = &system.data_disk {
        // The traced pass starts from the same disk as the plain one.
        crate::disk::create(disk, &system.images.programs)?;
    }
    let log = dir.join("profile-exec.log");
    println!("== a traced pass (one log line per instruction; this takes a minute)");
    let options = RunOptions {
        icount: true,
        data_disk: system.data_disk.clone(),
        trace: Some((log.clone(), TRACED.into())),
        ..RunOptions::captured(Firmware::Bios, String::new())
    };
    let session = qemu::Session { input: &[], stop_at: Some("BENCH DONE"), screen: None };
    qemu::run_captured(&system.images.bios, &options, timeout * 10, session, |_| false)?;
    let pcs = read_trace(&log)?;
    let _ = std::fs::remove_file(&log);
    let built = workspace_root().join("target/user").join(KERNEL_TARGET).join("release");
    let programs = system
        .programs
        .iter()
        .map(|name| UserProgram::read(name, &built.join(name)))
        .collect::<Result<Vec<_>, _>>()?;
    let owners = owners(&pcs, &programs);
    // The measuring program's `rdtsc`, where it runs (other programs use the same addresses).
    let marks: Vec<bool> = (0..pcs.len())
        .map(|i| owners[i] == Some(0) && programs[0].rdtsc.contains(&pcs[i]))
        .collect();
    // A sample is the instructions from one `rdtsc` up to the next; the table shows it less
    // the measurement's own overhead (`empty`).
    let overhead = pass.operations.get("empty").map_or(0, |s| s.median);
    let Some(window) = find_window(&marks, sample.median, 2) else {
        let median = sample.median;
        return Err(Failure::new(format!(
            "no stretch of about {median} instructions between two rdtsc of the benchmark"
        )));
    };
    let symbols = kernel_symbols(&system.images.kernel)?;
    let names = name_all(&pcs[window.clone()], &owners[window.clone()], &symbols, &programs);
    let mut report = render(operation, sample.median - overhead, overhead, &names);
    let kernel = kernel_lines(&system.images.kernel, &pcs[window.clone()])?;
    let lines: Vec<String> = kernel.iter().map(|i| i.line.clone()).collect();
    report += &render_lines(&lines);
    print!("{report}");
    let path = dir.join(format!("profile-{operation}.txt"));
    std::fs::write(&path, &report).map_err(|e| Failure::new(format!("{}: {e}", path.display())))?;
    let listing = dir.join(format!("profile-{operation}-instructions.txt"));
    let text = render_listing(&pcs[window], &names, &kernel);
    std::fs::write(&listing, text).map_err(|e| Failure::new(format!("{}: {e}", listing.display())))?;
    println!("written to {} (every instruction in order: {})", path.display(), listing.display());
    Ok(())
}

/// A user program as the profile needs it: its functions, where its instructions start, and
/// its `rdtsc` instructions.
struct UserProgram {
    name: String,
    symbols: Vec<(u64, String)>,
    starts: HashSet<u64>,
    rdtsc: Vec<u64>,
}

impl UserProgram {
    fn read(name: &str, path: &Path) -> Result<Self, Failure> {
        let text = llvm_text("llvm-objdump", &["-d", "--no-show-raw-insn"], path)?;
        let (starts, rdtsc) = instruction_starts(&text);
        let symbols = symbols(path, 0)?;
        Ok(UserProgram { name: name.to_owned(), symbols, starts, rdtsc })
    }
}

/// Every instruction address in an `llvm-objdump -d` listing, and those of its `rdtsc`.
fn instruction_starts(listing: &str) -> (HashSet<u64>, Vec<u64>) {
    let mut starts = HashSet::new();
    let mut rdtsc = Vec::new();
    for line in listing.lines() {
        let Some((address, instruction)) = line.split_once(':') else { continue };
        let Ok(address) = u64::from_str_radix(address.trim(), 16) else { continue };
        if !line.starts_with(' ') {
            continue; // a label such as `0000000000401000 <_start>:`
        }
        starts.insert(address);
        if instruction.trim() == "rdtsc" {
            rdtsc.push(address);
        }
    }
    (starts, rdtsc)
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

/// The last stretch from one mark up to the next that is `length` instructions long, give or
/// take `slack`: one sample of the operation (its first `rdtsc` included).
fn find_window(marks: &[bool], length: u64, slack: u64) -> Option<std::ops::Range<usize>> {
    let at: Vec<usize> = (0..marks.len()).filter(|&i| marks[i]).collect();
    let fits = |pair: &&[usize]| ((pair[1] - pair[0]) as u64).abs_diff(length) <= slack;
    at.windows(2).rev().find(fits).map(|p| p[0]..p[1])
}

/// What one of the toolchain's LLVM tools prints for `executable`.
fn llvm_text(tool: &str, args: &[&str], executable: &Path) -> Result<String, Failure> {
    let output = toolchain::llvm_tool(tool)?
        .args(args)
        .arg(executable)
        .output()
        .map_err(|e| Failure::new(format!("{tool}: {e}")))?;
    if !output.status.success() {
        return Err(Failure::new(format!("{tool} could not read {}", executable.display())));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The kernel's functions, sorted by address (`llvm-nm`), at the addresses it runs at.
fn kernel_symbols(kernel: &Path) -> Result<Vec<(u64, String)>, Failure> {
    symbols(kernel, KERNEL_BASE)
}

/// The functions of an executable, sorted by address, `base` added (`llvm-nm`).
fn symbols(executable: &Path, base: u64) -> Result<Vec<(u64, String)>, Failure> {
    let text = llvm_text("llvm-nm", &["--numeric-sort", "--demangle"], executable)?;
    Ok(text
        .lines()
        .filter_map(parse_symbol)
        .map(|(address, name)| (base + address, name))
        .collect())
}

/// `000000000000f580 t kernel::arch::...` as (address in the file, name), for code symbols.
fn parse_symbol(line: &str) -> Option<(u64, String)> {
    let mut parts = line.splitn(3, ' ');
    let address = u64::from_str_radix(parts.next()?, 16).ok()?;
    let kind = parts.next()?;
    let name = parts.next()?;
    ["t", "T", "w", "W"].contains(&kind).then(|| (address, name.to_owned()))
}

/// The function below `address` in `symbols`.
fn function_at(address: u64, symbols: &[(u64, String)]) -> Option<&str> {
    let at = symbols.partition_point(|(start, _)| *start <= address);
    at.checked_sub(1).map(|i| symbols[i].1.as_str())
}

/// Which program ran each instruction of a trace (an index into `programs`; `None` for the
/// kernel, or a stretch no program fits): each stretch of ring-3 addresses goes to the first
/// program at whose instruction boundaries all of them fall.
fn owners(pcs: &[u64], programs: &[UserProgram]) -> Vec<Option<usize>> {
    let mut owners = vec![None; pcs.len()];
    let mut i = 0;
    while i < pcs.len() {
        if pcs[i] >= KERNEL_BASE {
            i += 1;
            continue;
        }
        let end = pcs[i..].iter().position(|&pc| pc >= KERNEL_BASE).map_or(pcs.len(), |n| i + n);
        let stretch = &pcs[i..end];
        let owner = programs.iter().position(|p| stretch.iter().all(|pc| p.starts.contains(pc)));
        owners[i..end].fill(owner);
        i = end;
    }
    owners
}

/// Names every instruction of a trace: kernel addresses after the kernel's functions, ring-3
/// ones as `program: function` after their owner (`owners`).
fn name_all(
    pcs: &[u64],
    owners: &[Option<usize>],
    kernel: &[(u64, String)],
    programs: &[UserProgram],
) -> Vec<String> {
    pcs.iter()
        .zip(owners)
        .map(|(&pc, owner)| {
            if pc >= KERNEL_BASE {
                return name_of(pc, kernel);
            }
            let Some(program) = owner.map(|i| &programs[i]) else {
                return "(ring 3, program unknown)".into();
            };
            let function = function_at(pc, &program.symbols).unwrap_or("(unnamed)");
            format!("{}: {function}", program.name)
        })
        .collect()
}

fn name_of(address: u64, symbols: &[(u64, String)]) -> String {
    if address < KERNEL_BASE {
        return "(ring 3)".into();
    }
    function_at(address, symbols).unwrap_or("(kernel, unnamed)").to_owned()
}

/// The source line (`file:line`, from the kernel's debug information, which `llvm-objdump
/// --line-numbers` prints above the instructions of each line) of each kernel instruction of
/// a sample, in order.
fn kernel_lines(kernel: &Path, pcs: &[u64]) -> Result<Vec<KernelInstruction>, Failure> {
    let wanted: HashSet<u64> =
        pcs.iter().filter(|&&pc| pc >= KERNEL_BASE).map(|pc| pc - KERNEL_BASE).collect();
    let text = llvm_text("llvm-objdump", &["-d", "--line-numbers", "--no-show-raw-insn"], kernel)?;
    let mut found = std::collections::HashMap::new();
    let mut current = "(no line)";
    for line in text.lines() {
        if let Some(place) = line.strip_prefix("; ").filter(|p| p.starts_with('/')) {
            current = place;
        } else if let Some((address, instruction)) = line.split_once(':') {
            let address = u64::from_str_radix(address.trim(), 16);
            if let Some(address) =
                address.ok().filter(|a| line.starts_with(' ') && wanted.contains(a))
            {
                let text = instruction.split_whitespace().collect::<Vec<_>>().join(" ");
                found.insert(address, KernelInstruction { line: short_place(current), text });
            }
        }
    }
    let unknown = || KernelInstruction { line: "(no line)".into(), text: "?".into() };
    Ok(pcs
        .iter()
        .filter(|&&pc| pc >= KERNEL_BASE)
        .map(|pc| found.get(&(pc - KERNEL_BASE)).cloned().unwrap_or_else(unknown))
        .collect())
}

/// One executed kernel instruction: its source line and its disassembly.
#[derive(Clone)]
struct KernelInstruction {
    line: String,
    text: String,
}

/// Every instruction of the sample in order: address, function, and for the kernel's the
/// instruction and its source line.
fn render_listing(pcs: &[u64], names: &[String], kernel: &[KernelInstruction]) -> String {
    let mut kernel = kernel.iter();
    let mut out = String::new();
    for (pc, name) in pcs.iter().zip(names) {
        match (*pc >= KERNEL_BASE).then(|| kernel.next()).flatten() {
            Some(i) => writeln!(out, "{pc:#018x}  {:<44} {name}  [{}]", i.text, i.line),
            None => writeln!(out, "{pc:#018x}  {name}"),
        }
        .expect("writing to a String");
    }
    out
}

/// A source place from the workspace or the standard library on (`kernel/src/x.rs:12`,
/// `core/src/cmp.rs:535`).
fn short_place(place: &str) -> String {
    let workspace = workspace_root().display().to_string() + "/";
    let place = place.strip_prefix(&workspace).unwrap_or(place);
    place.split_once("/library/").map_or(place, |(_, rest)| rest).to_owned()
}

/// Totals per source line of the kernel's instructions, largest first.
fn render_lines(lines: &[String]) -> String {
    let mut out = String::from("\nkernel instructions by source line:\n");
    for (count, line) in totals(lines) {
        let _ = writeln!(out, "{count:6}  {line}");
    }
    out
}

/// How often each name occurs, most often first.
fn totals(names: &[String]) -> Vec<(usize, &str)> {
    let mut totals: Vec<(usize, &str)> = Vec::new();
    for name in names {
        match totals.iter_mut().find(|(_, n)| *n == name) {
            Some((count, _)) => *count += 1,
            None => totals.push((1, name)),
        }
    }
    totals.sort_by_key(|total| std::cmp::Reverse(total.0));
    totals
}

/// The sample as runs of consecutive instructions in one function, then totals per function.
fn render(operation: &str, median: u64, overhead: u64, names: &[String]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n{operation}: median {median} instructions (as `cargo xtask bench` shows it); one \
         sample traced from rdtsc to rdtsc: {} instructions, the measurement's own {overhead} \
         included\n",
        names.len()
    );
    let _ = writeln!(out, "in order (consecutive instructions in one function):");
    let mut runs: Vec<(usize, &str)> = Vec::new();
    for name in names {
        match runs.last_mut() {
            Some((count, last)) if *last == name => *count += 1,
            _ => runs.push((1, name)),
        }
    }
    for (count, name) in &runs {
        let _ = writeln!(out, "{count:6}  {name}");
    }
    let _ = writeln!(out, "\nby function:");
    for (count, name) in totals(names) {
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
        let marks = [1, 9, 9, 1, 9, 1, 9, 9, 1].map(|pc| pc == 1);
        assert_eq!(find_window(&marks, 3, 0), Some(5..8));
        assert_eq!(find_window(&marks, 2, 0), Some(3..5));
        assert_eq!(find_window(&marks, 4, 1), Some(5..8));
        assert_eq!(find_window(&marks, 7, 0), None);
    }

    #[test]
    fn kernel_addresses_are_named_after_the_function_below_them() {
        let symbols: Vec<(u64, String)> = ["0000000000001000 t entry", "0000000000002000 T main"]
            .iter()
            .filter_map(|l| parse_symbol(l))
            .collect();
        let symbols: Vec<(u64, String)> =
            symbols.into_iter().map(|(a, n)| (KERNEL_BASE + a, n)).collect();
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
        let names = name_all(&pcs, &owners(&pcs, &[]), &symbols, &[]);
        let report = render("op", 1, 3, &names);
        let unknown = "(ring 3, program unknown)";
        assert!(report.contains(&format!("     1  {unknown}\n     2  k\n     1  {unknown}\n")));
        assert!(report.contains(&format!("by function:\n     2  {unknown}\n     2  k\n")));
    }

    #[test]
    fn a_ring_3_stretch_goes_to_the_program_whose_instructions_it_lands_on() {
        let listing = "\n0000000000401000 <main>:\n  401000: pushq %rbp\n  401001: rdtsc\n";
        let (starts, rdtsc) = instruction_starts(listing);
        assert_eq!(rdtsc, [0x40_1001]);
        assert_eq!(starts.len(), 2);
        let program = |name: &str, starts: HashSet<u64>| UserProgram {
            name: name.into(),
            symbols: vec![(0x40_1000, "main".into())],
            starts,
            rdtsc: Vec::new(),
        };
        let programs = [
            program("client", HashSet::from([0x40_1000, 0x40_1002])),
            program("server", HashSet::from([0x40_1000, 0x40_1001])),
        ];
        let kernel = vec![(KERNEL_BASE, "k".to_owned())];
        let pcs = [0x40_1000, 0x40_1001, KERNEL_BASE, 0x40_1002];
        assert_eq!(owners(&pcs, &programs), [Some(1), Some(1), None, Some(0)]);
        let names = name_all(&pcs, &owners(&pcs, &programs), &kernel, &programs);
        assert_eq!(names, ["server: main", "server: main", "k", "client: main"]);
        let names = name_all(&[0x40_1003], &[None], &kernel, &programs);
        assert_eq!(names, ["(ring 3, program unknown)"]);
    }
}
