//! Ring-3 scenarios for the servers: malformed requests are refused and service goes on.

use super::TestResult;
use super::scenario::{Outcome, Scenario};
use crate::check;
use crate::task::TaskState;

pub const SCENARIOS: &[Scenario] = &[Scenario {
    name: "servers::malformed_requests_are_refused",
    tasks: &["serial", "console", "block", "fs", "keyboard", "supervisor", "prober"],
    deadline: 1000,
    prepare: None,
    check: malformed_requests,
}];

fn malformed_requests(outcome: &Outcome) -> TestResult {
    let prober = outcome.task("prober")?.state;
    let (serial, console) = (outcome.task("serial")?.state, outcome.task("console")?.state);
    check!(
        prober == TaskState::Exited { code: 0 },
        "prober ended as {prober:?} (serial {serial:?}, console {console:?})"
    );
    check!(outcome.task("serial")?.state.is_alive(), "the serial driver died");
    check!(outcome.task("console")?.state.is_alive(), "the console died");
    check!(outcome.task("block")?.state.is_alive(), "the disk driver died");
    check!(outcome.task("fs")?.state.is_alive(), "the file server died");
    check!(outcome.task("keyboard")?.state.is_alive(), "the keyboard driver died");
    check!(outcome.task("supervisor")?.state.is_alive(), "the supervisor died");
    Ok(())
}
