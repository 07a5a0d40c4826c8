//! Ring-3 scenarios for the supervisor's policy (lab 6): a test supervisor (`supervisor-test`
//! in `userland/tests.toml`) looks after servers that misbehave on purpose, and a client of
//! each checks from outside what the supervisor did.

use super::ipc::exited_cleanly;
use super::scenario::Scenario;

pub const SCENARIOS: &[Scenario] = &[
    // `echo-loop` crashes on every request under the policy `backoff/3`: three restarts after
    // growing delays, then it is left dead.
    Scenario {
        name: "supervisor::a_crash_loop_backs_off_then_is_given_up",
        tasks: &["supervisor-test", "echo-loop", "client-loop"],
        deadline: 600,
        prepare: None,
        check: |outcome| exited_cleanly(outcome, "client-loop"),
    },
    // `echo-hang` spins holding a request: the watchdog kills it, the supervisor restarts it,
    // and the client's request is answered by the new one.
    Scenario {
        name: "supervisor::a_hung_server_is_killed_and_restarted",
        tasks: &["supervisor-test", "echo-hang", "client-hang"],
        deadline: 600,
        prepare: None,
        check: |outcome| exited_cleanly(outcome, "client-hang"),
    },
    // `echo-stall` sleeps for ever holding a request, using no CPU: the watchdog's CPU count
    // never sees it, but it is never seen waiting for work either, so the supervisor pings it,
    // finds it silent, kills and restarts it, and the client's request is answered.
    Scenario {
        name: "supervisor::a_silent_server_is_pinged_and_restarted",
        tasks: &["supervisor-test", "echo-stall", "client-stall"],
        deadline: 900,
        prepare: None,
        check: |outcome| exited_cleanly(outcome, "client-stall"),
    },
];
