//! The in-guest test suite: tests that need the real machine (traps, paging, the timer).
//!
//! Built in only with the `guest-tests` feature. `kmain` calls `run` after booting; each test
//! prints a marker line that `cargo xtask test` parses:
//!
//! ```text
//! GUEST-TESTS PLAN 10
//! TEST-START heap::box_and_vec
//! TEST-PASS heap::box_and_vec
//! TEST-FAIL frames::roundtrip: kernel/src/tests/frames.rs:20: check failed: ...
//! GUEST-TESTS DONE passed=9 failed=1
//! ```
//!
//! and QEMU exits with the success code only when every test passed. A grader puts
//! `nonce=N` on the command line, a number fresh for each run; every pass line then ends in
//! ` nonce=N`, so a line printed by code written before the run cannot pass for one. A test that panics or
//! faults stops the run: xtask then reports it as the one that crashed.
//!
//! To add a test, write a `fn() -> TestResult` in the module of its topic and list it in that
//! module's `TESTS`; a new module also goes into `SUITES`.

mod cmdline;
mod crash;
mod frames;
mod heap;
mod ipc;
mod mutation;
mod paging;
mod scenario;
mod servers;
mod supervisor;
mod tasks;
mod timer;
mod trace;
mod traps;
mod user;

use crate::arch::qemu::{ExitCode, exit};
use crate::cmdline::Cmdline;
use alloc::string::String;

pub struct GuestTest {
    pub name: &'static str,
    pub run: fn() -> TestResult,
}

/// `Err` carries a message saying where and why the test failed.
pub type TestResult = Result<(), String>;

/// Fails the test with file, line and message unless `$cond` holds.
#[macro_export]
macro_rules! check {
    ($cond:expr $(,)?) => {
        $crate::check!($cond, "{}", stringify!($cond))
    };
    ($cond:expr, $($message:tt)+) => {
        if !$cond {
            return Err(alloc::format!(
                "{}:{}: check failed: {}", file!(), line!(), format_args!($($message)+)
            ));
        }
    };
}

/// Fails the test unless the two values are equal, showing both.
#[macro_export]
macro_rules! check_eq {
    ($left:expr, $right:expr $(,)?) => {{
        let (left, right) = (&$left, &$right);
        $crate::check!(
            left == right,
            "{} == {} (left: {:?}, right: {:?})",
            stringify!($left),
            stringify!($right),
            left,
            right
        );
    }};
}

/// The ring-3 scenario lists, run in this order after the kernel-mode tests.
const SCENARIOS: &[&[scenario::Scenario]] =
    &[user::SCENARIOS, ipc::SCENARIOS, trace::SCENARIOS, supervisor::SCENARIOS, servers::SCENARIOS];

/// Every kernel-mode test module's list, in the order they run. The ring-3 scenarios of
/// `user::SCENARIOS` run after them, driven by the scheduler (see `scenario`).
const SUITES: &[&[GuestTest]] = &[
    cmdline::TESTS,
    frames::TESTS,
    heap::TESTS,
    traps::TESTS,
    timer::TESTS,
    tasks::TESTS,
    paging::TESTS,
    mutation::TESTS,
];

/// Runs the tests whose name contains the command line's `test=` value (all when absent), or
/// the crash named by `crash=`, then exits QEMU.
pub fn run(cmdline: Cmdline<'static>) -> ! {
    if let Some(nonce) = cmdline.value("nonce") {
        NONCE.call_once(|| nonce);
    }
    if let Some(kind) = cmdline.value("crash") {
        crash::trigger(kind);
    }
    let filter = cmdline.value("test").unwrap_or("");
    let selected =
        || SUITES.iter().flat_map(|suite| suite.iter()).filter(|t| is_selected(t.name, filter));
    let scenarios = SCENARIOS
        .iter()
        .flat_map(|list| list.iter())
        .filter(|s| is_selected(s.name, filter))
        .count();
    crate::println!("GUEST-TESTS PLAN {}", selected().count() + scenarios);
    let (mut passed, mut failed) = (0, 0);
    for test in selected() {
        crate::println!("TEST-START {}", test.name);
        let result = (test.run)();
        report(test.name, &result);
        match result {
            Ok(()) => passed += 1,
            Err(_) => failed += 1,
        }
    }
    scenario::start(SCENARIOS, filter, passed, failed)
}

/// Tests too long for every run (minutes of guest time) are named `long::...`: they run only
/// when the filter asks for them by that prefix (`cargo xtask test long::`).
const LONG: &str = "long::";

/// Whether the test `name` runs under the command line's `test=` `filter`.
pub fn is_selected(name: &str, filter: &str) -> bool {
    name.contains(filter) && (!name.starts_with(LONG) || filter.starts_with(LONG))
}

/// The grader's `nonce=`, if it gave one.
static NONCE: spin::Once<&'static str> = spin::Once::new();

/// Prints a test's verdict line; a pass carries the grader's nonce when there is one.
pub fn report(name: &str, result: &TestResult) {
    match (result, NONCE.get()) {
        (Ok(()), Some(nonce)) => crate::println!("TEST-PASS {name} nonce={nonce}"),
        (Ok(()), None) => crate::println!("TEST-PASS {name}"),
        (Err(reason), _) => crate::println!("TEST-FAIL {name}: {reason}"),
    }
}

/// Prints the tally and exits QEMU with the matching status.
fn finish(passed: usize, failed: usize) -> ! {
    crate::println!("GUEST-TESTS DONE passed={passed} failed={failed}");
    exit(if failed == 0 { ExitCode::Success } else { ExitCode::Failure })
}
