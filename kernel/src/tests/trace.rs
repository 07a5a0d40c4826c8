//! The IPC trace on a known exchange: `client-rt` makes exactly `ROUND_TRIPS` calls to `echo`,
//! each answered once, so the trace must hold exactly that many calls and replies between the
//! two, and nothing may slip past it through the IPC fast path while it records.

use super::TestResult;
use super::scenario::{Outcome, Scenario};
use crate::state::Kernel;
use crate::{check, check_eq};
use alloc::string::String;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};

pub const SCENARIOS: &[Scenario] = &[Scenario {
    name: "trace::every_message_of_a_traced_exchange_is_recorded",
    tasks: &["echo", "client-rt"],
    deadline: 1000,
    prepare: Some(start_tracing),
    check: every_message_recorded,
}];

/// The calls `client-rt` makes (`ipc::ROUND_TRIPS`).
const ROUND_TRIPS: usize = 100;

/// Calls the fast path had taken when tracing started.
static FAST_AT_START: AtomicU64 = AtomicU64::new(0);

fn start_tracing(k: &mut Kernel, _slots: &[usize]) {
    FAST_AT_START.store(crate::syscalls::fastpath::status().1, Ordering::Relaxed);
    crate::syscalls::trace::start(&k.tasks);
}

fn every_message_recorded(outcome: &Outcome) -> TestResult {
    crate::syscalls::trace::stop();
    super::ipc::exited_cleanly(outcome, "client-rt")?;
    let (fast_path_on, taken) = crate::syscalls::fastpath::status();
    let before = FAST_AT_START.load(Ordering::Relaxed);
    check!(taken == before, "the fast path took {} calls while tracing", taken - before);
    let text = read_all();
    let lines = |kind: &str, from: &str, to: &str| {
        text.lines()
            .filter(|line| {
                let words: Vec<&str> = line.split_whitespace().collect();
                words.len() > 4
                    && words[1] == kind
                    && words[2].starts_with(from)
                    && words[3] == "->"
                    && words[4].starts_with(to)
            })
            .count()
    };
    check_eq!(lines("call", "client-rt#", "echo#"), ROUND_TRIPS);
    check_eq!(lines("reply", "echo#", "client-rt#"), ROUND_TRIPS);
    check_eq!(lines("end", "client-rt#", "kernel"), 1);
    check!(text.contains("exited with code 0"), "the exit's code is in the trace:\n{text}");
    // Stopping gives the fast path back (unless `ipc=general` keeps it off for the run).
    let configured = crate::cmdline::init().value("ipc") != Some("general");
    check!(fast_path_on == configured, "the fast path is not back as configured after tracing");
    Ok(())
}

/// The whole trace as text, read in pieces as `trace show` reads it.
fn read_all() -> String {
    let (mut text, mut from) = (Vec::new(), 0);
    loop {
        let mut piece = [0u8; 512];
        let (count, next) = crate::trace::read_text(from, &mut piece);
        if count == 0 {
            return String::from_utf8_lossy(&text).into_owned();
        }
        text.extend_from_slice(&piece[..count]);
        from = next;
    }
}
