//! `cargo xtask bench --vs linux`: the operations Moat's benchmarks measure, done the Linux
//! way on the same QEMU (TCG, `-icount shift=0`, its default `qemu64` CPU), beside both Moat
//! flavours, with seL4's published-here path lengths as a reference column. Linux runs a
//! Debian kernel package with `mitigations=off` on an initramfs whose `/init` is a static
//! benchmark program (`xtask/linux-bench/bench.c`) that prints Moat's `BENCH` lines. The table
//! also goes to `target/bench/vs-linux.json`.

mod initramfs;
mod kernel;
mod program;

use crate::bench::{self, Pass};
use crate::images::{self, BuildOptions, Flavor, KernelKind};
use crate::qemu::{self, Firmware, LinuxBoot, RunOptions};
use crate::util::{Failure, to_json, workspace_root};
use initramfs::{Archive, Kind};
use serde::Serialize;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

/// The Linux command line: output on the serial line, no speculation mitigations (as the
/// reference figures), few boot messages, and a reboot (so QEMU's exit) if `/init` fails.
const APPEND: &str = "console=ttyS0 mitigations=off quiet panic=-1";

/// Which Moat benchmark measures a row's Moat side.
#[derive(Clone, Copy)]
enum Moat {
    /// The kernel benchmark (`cargo xtask bench`): the microkernel only.
    Kernel(&'static str),
    /// The service benchmark (`cargo xtask bench --flavor both`): both flavours.
    Services(&'static str),
    None,
}

/// One row of the comparison.
struct Row {
    label: &'static str,
    moat: Moat,
    /// The Linux program's operation name, if Linux has a counterpart.
    linux: Option<&'static str>,
    /// What the Linux program does for it.
    linux_does: &'static str,
    /// seL4's path length (sel4bench, measured the same way on this class of machine).
    sel4: Option<u64>,
}

const ROWS: [Row; 9] = [
    Row {
        label: "null system call",
        moat: Moat::Kernel("null_syscall"),
        linux: Some("null_syscall"),
        linux_does: "getpid",
        sel4: Some(89),
    },
    Row {
        label: "system call, unknown number",
        moat: Moat::None,
        linux: Some("invalid_syscall"),
        linux_does: "entry and exit only",
        sel4: None,
    },
    Row {
        label: "IPC round trip (futex)",
        moat: Moat::Kernel("ipc_call_reply"),
        linux: Some("ipc_futex"),
        linux_does: "futex wake + wait, two processes",
        sel4: Some(395),
    },
    Row {
        label: "IPC round trip (pipe)",
        moat: Moat::Kernel("ipc_call_reply"),
        linux: Some("ipc_pipe"),
        linux_does: "a byte each way, two pipes",
        sel4: None,
    },
    Row {
        label: "console write, 64 bytes",
        moat: Moat::Services("console_write_64"),
        linux: Some("console_write_64"),
        linux_does: "write to /dev/ttyS0",
        sel4: None,
    },
    Row {
        label: "file read 4 KiB by path (warm)",
        moat: Moat::Services("file_read_4k"),
        linux: Some("file_read_4k"),
        linux_does: "open + read + close, tmpfs",
        sel4: None,
    },
    Row {
        label: "file read 4 KiB by path (cold)",
        moat: Moat::Services("file_read_4k_cold"),
        linux: None,
        linux_does: "none: tmpfs lives in memory",
        sel4: None,
    },
    Row {
        label: "file create + delete",
        moat: Moat::Services("file_create_delete"),
        linux: Some("file_create_delete"),
        linux_does: "create, write 16 B, close, unlink",
        sel4: None,
    },
    Row {
        label: "directory listing",
        moat: Moat::Services("directory_list"),
        linux: Some("directory_list"),
        linux_does: "open + getdents64 + close",
        sel4: None,
    },
];

/// Every measured pass the table is made of.
struct Passes {
    kernel: Pass,
    micro: Pass,
    monolithic: Pass,
    linux: Pass,
}

pub fn run(timeout: Duration) -> Result<(), Failure> {
    let dir = workspace_root().join("target/linux");
    let (image, kernel_name) = kernel::obtain(&dir)?;
    let initramfs = dir.join("initramfs.cpio");
    write_initramfs(&program::build(&dir)?, &initramfs)?;
    qemu::ensure_installed(Firmware::Bios)?;
    println!("== Linux: {kernel_name} (TCG, -icount shift=0, {APPEND})");
    let linux = boot_linux(&image, &initramfs, timeout)?;
    println!("== Moat: the kernel benchmark (TCG, -icount shift=0)");
    let bench_image =
        images::build(KernelKind::Bench, BuildOptions { release: true, flavor: Flavor::Micro })?;
    let kernel = bench::run_pass(&bench_image.bios, true, None, timeout)?;
    let mut services = Vec::new();
    for flavor in [Flavor::Micro, Flavor::Monolithic] {
        println!("== Moat: the service benchmark, {} flavour", flavor.name());
        services.push(crate::bench_services::measure(flavor, timeout)?);
    }
    let monolithic = services.pop().expect("two flavours measured");
    let micro = services.pop().expect("two flavours measured");
    let passes = Passes { kernel, micro, monolithic, linux };
    print!("{}", render_table(&passes, &kernel_name));
    let out = workspace_root().join("target/bench");
    std::fs::create_dir_all(&out).map_err(|e| Failure::new(format!("{}: {e}", out.display())))?;
    let path = out.join("vs-linux.json");
    std::fs::write(&path, render_json(&passes, &kernel_name))
        .map_err(|e| Failure::new(format!("{}: {e}", path.display())))?;
    println!("results written to {}", path.display());
    let missing = missing_rows(&passes);
    if !missing.is_empty() {
        return Err(Failure::new(format!("no result for: {}", missing.join(", "))));
    }
    Ok(())
}

/// `/init` and what the operations need: the root directory holds four entries, as the root
/// of Moat's benchmark disk does when it is listed (`BIN`, `DOCS`, `README.TXT`,
/// `BENCH.DAT` there), and `/BENCH.DAT` is 4 KiB, as there.
fn write_initramfs(program: &Path, path: &Path) -> Result<(), Failure> {
    let read =
        |p: &Path| std::fs::read(p).map_err(|e| Failure::new(format!("{}: {e}", p.display())));
    let mut archive = Archive::default();
    archive.add("dev", Kind::Directory, &[]);
    archive.add("dev/console", Kind::CharDevice(5, 1), &[]);
    archive.add("init", Kind::File { executable: true }, &read(program)?);
    let readme = read(&workspace_root().join("userland/rootfs/README.TXT"))?;
    archive.add("README.TXT", Kind::File { executable: false }, &readme);
    archive.add("BENCH.DAT", Kind::File { executable: false }, &[0x5a; 4096]);
    std::fs::write(path, archive.finish())
        .map_err(|e| Failure::new(format!("{}: {e}", path.display())))
}

fn boot_linux(image: &Path, initramfs: &Path, timeout: Duration) -> Result<Pass, Failure> {
    let options = RunOptions {
        icount: true,
        linux: Some(LinuxBoot { initramfs: initramfs.to_owned(), append: APPEND.into() }),
        ..RunOptions::captured(Firmware::Bios, String::new())
    };
    let session = qemu::Session { input: &[], stop_at: Some("BENCH DONE"), screen: None };
    let run = qemu::run_captured(image, &options, timeout, session, |_| false)?;
    if !run.output.contains("BENCH DONE") {
        let tail: Vec<&str> = run.output.lines().rev().take(20).collect();
        return Err(Failure::new(format!(
            "the Linux benchmark did not finish (QEMU exited {}); last lines:\n{}",
            qemu::describe_exit(run.exit_code),
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        )));
    }
    Ok(bench::parse(&run.output))
}

/// (micro, monolithic) instructions of a row's Moat side.
fn moat(passes: &Passes, row: &Row) -> (Option<u64>, Option<u64>) {
    let median = |pass: &Pass, name| pass.instructions(name).map(|(median, _)| median);
    match row.moat {
        Moat::Kernel(name) => (median(&passes.kernel, name), None),
        Moat::Services(name) => (median(&passes.micro, name), median(&passes.monolithic, name)),
        Moat::None => (None, None),
    }
}

fn linux(passes: &Passes, row: &Row) -> Option<u64> {
    passes.linux.instructions(row.linux?).map(|(median, _)| median)
}

/// Moat micro / Linux, where both were measured.
fn ratio(passes: &Passes, row: &Row) -> Option<f64> {
    let micro = moat(passes, row).0?;
    let linux = linux(passes, row)?;
    (linux > 0).then(|| micro as f64 / linux as f64)
}

fn render_table(passes: &Passes, kernel_name: &str) -> String {
    let cell = |value: Option<u64>| value.map_or("-".to_owned(), |v| v.to_string());
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n{:<32} {:>10} {:>10} {:>10} {:>6} {:>12}  what Linux does",
        "operation (instructions)", "Moat micro", "Moat mono", "Linux", "seL4", "micro/Linux",
    );
    for row in &ROWS {
        let (micro, monolithic) = moat(passes, row);
        let ratio = ratio(passes, row).map_or("-".to_owned(), |r| format!("{r:.2}x"));
        let _ = writeln!(
            out,
            "{:<32} {:>10} {:>10} {:>10} {:>6} {:>12}  {}",
            row.label,
            cell(micro),
            cell(monolithic),
            cell(linux(passes, row)),
            cell(row.sel4),
            ratio,
            row.linux_does
        );
    }
    let _ = writeln!(
        out,
        "\nmedians of 50 calls each, guest instructions under QEMU TCG -icount shift=0, \
         default CPU (qemu64)\nLinux: {kernel_name}, {APPEND}\nseL4: sel4bench on the same \
         QEMU (docs/ipc.md says how); Moat micro/Linux below 1.00x means Moat is faster"
    );
    out
}

/// Rows whose measurement is missing from a pass that should have it.
fn missing_rows(passes: &Passes) -> Vec<&'static str> {
    ROWS.iter()
        .filter(|row| {
            let (micro, monolithic) = moat(passes, row);
            let moat_missing = match row.moat {
                Moat::Kernel(_) => micro.is_none(),
                Moat::Services(_) => micro.is_none() || monolithic.is_none(),
                Moat::None => false,
            };
            moat_missing || (row.linux.is_some() && linux(passes, row).is_none())
        })
        .map(|row| row.label)
        .collect()
}

/// `target/bench/vs-linux.json`.
#[derive(Serialize)]
struct Report<'a> {
    mode: &'static str,
    unit: &'static str,
    linux: &'a str,
    linux_command_line: &'static str,
    operations: Vec<RowReport>,
}

#[derive(Serialize)]
struct RowReport {
    label: &'static str,
    moat_micro: Option<u64>,
    moat_monolithic: Option<u64>,
    linux: Option<u64>,
    linux_does: &'static str,
    sel4: Option<u64>,
    micro_over_linux: Option<f64>,
}

fn render_json(passes: &Passes, kernel_name: &str) -> String {
    let operations = ROWS
        .iter()
        .map(|row| {
            let (moat_micro, moat_monolithic) = moat(passes, row);
            RowReport {
                label: row.label,
                moat_micro,
                moat_monolithic,
                linux: linux(passes, row),
                linux_does: row.linux_does,
                sel4: row.sel4,
                micro_over_linux: ratio(passes, row).map(|r| (r * 1e3).round() / 1e3),
            }
        })
        .collect();
    to_json(&Report {
        mode: "qemu tcg, -icount shift=0, -cpu qemu64",
        unit: "guest instructions, median",
        linux: kernel_name,
        linux_command_line: APPEND,
        operations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pass(lines: &str) -> Pass {
        bench::parse(lines)
    }

    fn line(name: &str, median: u64) -> String {
        format!(
            "x: BENCH {name} median={median} p99={median} min={median} max={median} samples=50\n"
        )
    }

    fn passes() -> Passes {
        let with_empty = |rows: &[(&str, u64)]| {
            let mut text = line("empty", 10);
            for (name, median) in rows {
                text.push_str(&line(name, median + 10));
            }
            pass(&text)
        };
        Passes {
            kernel: with_empty(&[("null_syscall", 20), ("ipc_call_reply", 800)]),
            micro: with_empty(&[("console_write_64", 8000), ("directory_list", 8400)]),
            monolithic: with_empty(&[("console_write_64", 2000), ("directory_list", 5800)]),
            linux: with_empty(&[
                ("null_syscall", 320),
                ("ipc_futex", 8000),
                ("directory_list", 8400),
            ]),
        }
    }

    #[test]
    fn each_row_takes_moat_from_its_benchmark_and_divides_by_linux() {
        let passes = passes();
        let row = |label| ROWS.iter().find(|r| r.label == label).unwrap();
        assert_eq!(moat(&passes, row("null system call")), (Some(20), None));
        assert_eq!(linux(&passes, row("null system call")), Some(320));
        assert_eq!(ratio(&passes, row("IPC round trip (futex)")), Some(0.1));
        assert_eq!(moat(&passes, row("directory listing")), (Some(8400), Some(5800)));
        assert_eq!(ratio(&passes, row("directory listing")), Some(1.0));
        // No Linux counterpart: no ratio, and not missing.
        assert_eq!(ratio(&passes, row("file read 4 KiB by path (cold)")), None);
        let table = render_table(&passes, "a test kernel");
        assert!(table.contains("0.10x") && table.contains("Linux: a test kernel"), "{table}");
    }

    #[test]
    fn a_row_without_its_measurement_is_reported_missing() {
        let missing = missing_rows(&passes());
        assert!(missing.contains(&"IPC round trip (pipe)"), "{missing:?}");
        assert!(missing.contains(&"file read 4 KiB by path (cold)"), "{missing:?}");
        assert!(!missing.contains(&"directory listing"), "{missing:?}");
        let json: serde_json::Value = serde_json::from_str(&render_json(&passes(), "k")).unwrap();
        assert_eq!(json["operations"][0]["linux"], 320);
        assert!(json["operations"][1]["moat_micro"].is_null());
    }
}
