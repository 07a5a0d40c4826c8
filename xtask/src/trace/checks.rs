//! The trace checks `cargo xtask test` runs: a command traced on a real boot, exactly as
//! `cargo xtask trace` does it, whose events must include the expected hops in order.

use super::parse::{Step, missing_step};
use super::record;
use crate::images::{Flavor, Images};
use std::path::Path;
use std::time::Duration;

pub struct TraceCheck {
    pub name: &'static str,
    pub flavor: Flavor,
    /// Run first, untraced.
    pub before: &'static [&'static str],
    pub command: &'static str,
    /// Events that must be in the trace, in this order (others may come between).
    pub expect: &'static [Step],
}

const fn step(kind: &'static str, from: &'static str, to: &'static str) -> Step {
    Step { kind, from, to }
}

/// A file read on the microkernel: the shell asks the file server, which asks the block
/// driver, whose disk interrupt comes through the kernel; the answers go back the same way,
/// and the text goes to the console and on to the serial driver and the screen driver.
const FILE_READ: &[Step] = &[
    step("call", "shell", "fs"),
    step("call", "fs", "block"),
    step("interrupt", "kernel", "block"),
    step("reply", "block", "fs"),
    step("reply", "fs", "shell"),
    step("call", "shell", "console"),
    step("call", "console", "serial"),
    step("reply", "serial", "console"),
    step("call", "console", "screen"),
    step("reply", "screen", "console"),
    step("reply", "console", "shell"),
];

pub const CHECKS: &[TraceCheck] = &[
    TraceCheck {
        name: "boot::a_traced_file_read_shows_every_hop",
        flavor: Flavor::Micro,
        before: &[],
        command: "cat README.TXT",
        expect: FILE_READ,
    },
    // The fault fires as the file server takes the shell's request: the kernel stops it and
    // tells the shell and the supervisor, the supervisor starts it afresh, and the shell's
    // client helper sends the request again, which now goes all the way to the disk.
    TraceCheck {
        name: "boot::a_traced_fault_shows_the_restart_and_the_retry",
        flavor: Flavor::Micro,
        before: &["inject fs nullptr"],
        command: "cat README.TXT",
        expect: &[
            step("call", "shell", "fs"),
            step("fault", "fs", "kernel"),
            step("error", "kernel", "shell"),
            step("notify", "kernel", "supervisor"),
            step("start", "supervisor", "fs"),
            step("call", "shell", "fs"),
            step("call", "fs", "block"),
            step("reply", "block", "fs"),
            step("reply", "fs", "shell"),
        ],
    },
    // The same read with the services built into the kernel: the shell's calls still cross
    // into the kernel, but the file server calls the block driver, and the console the
    // serial and screen drivers, directly.
    TraceCheck {
        name: "boot::a_traced_monolithic_file_read_shows_direct_calls",
        flavor: Flavor::Monolithic,
        before: &[],
        command: "cat README.TXT",
        expect: &[
            step("call", "shell", "fs"),
            step("call", "fs", "block"),
            step("reply", "block", "fs"),
            step("reply", "fs", "shell"),
            step("call", "shell", "console"),
            step("call", "console", "serial"),
            step("reply", "serial", "console"),
            step("call", "console", "screen"),
            step("reply", "screen", "console"),
            step("reply", "console", "shell"),
        ],
    },
];

/// Runs `check` on `images`, writing its trace under `out`; why it failed, if it did.
pub fn run(
    check: &TraceCheck,
    images: &Images,
    out: &Path,
    patience: Duration,
) -> Result<(), String> {
    let before: Vec<String> = check.before.iter().map(|line| line.to_string()).collect();
    let recorded = record(images, check.flavor, &before, check.command, out, patience)
        .map_err(|failure| failure.to_string())?;
    match missing_step(&recorded.events, check.expect) {
        None => Ok(()),
        Some(step) => Err(format!(
            "the trace has no `{step}` where one was expected (the trace: {})",
            recorded.text.display()
        )),
    }
}
