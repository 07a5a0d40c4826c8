//! Ring-3 scenarios for message passing, interrupts to drivers and restarts. The programs
//! (`userland/client`, `echo`, `rtc`, `restarter`) check the kernel's answers themselves and
//! exit 0 only if every one was right; the checks here add what only the kernel can see.

use super::TestResult;
use super::scenario::{Outcome, Scenario, WITNESS};
use crate::state::Kernel;
use crate::syscalls::fastpath;
use crate::task::TaskState;
use crate::{check, check_eq};
use core::sync::atomic::{AtomicU64, Ordering};

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "ipc::call_reply_round_trip",
        tasks: &["echo", "client-rt"],
        deadline: 1000,
        prepare: None,
        check: round_trip,
    },
    Scenario {
        name: "ipc::a_request_costs_the_server_one_system_call",
        tasks: &["echo", "client-rt"],
        deadline: 1000,
        prepare: None,
        check: one_call_per_request,
    },
    Scenario {
        name: "ipc::a_safe_request_survives_a_restart",
        tasks: &["supervisor-test", "echo-once", "client-retry"],
        deadline: 1000,
        prepare: None,
        check: |outcome| exited_cleanly(outcome, "client-retry"),
    },
    Scenario {
        name: "ipc::a_cycle_of_calls_wedges_only_its_own_tasks",
        tasks: &[WITNESS, "cycle-a", "cycle-b"],
        deadline: 100,
        prepare: None,
        check: cycle_wedges_only_itself,
    },
    Scenario {
        name: "ipc::caller_learns_server_died",
        tasks: &["echo", "client-dead"],
        deadline: 500,
        prepare: None,
        check: server_died,
    },
    Scenario {
        name: "ipc::leases_bounds_and_permissions",
        tasks: &["echo", "client-lease"],
        deadline: 500,
        prepare: Some(count_lease_copies_from_here),
        check: leases,
    },
    Scenario {
        name: "ipc::unpermitted_operations_are_denied",
        tasks: &["echo", "client-nope"],
        deadline: 500,
        prepare: None,
        check: denied,
    },
    Scenario {
        name: "ipc::closed_receive_and_timeout",
        tasks: &["echo-closed", "client-a", "client-b"],
        deadline: 500,
        prepare: None,
        check: closed_receive,
    },
    Scenario {
        name: "ipc::a_call_times_out_waiting_for_a_silent_server",
        tasks: &["echo", "client-silent"],
        deadline: 500,
        prepare: None,
        check: silent_server,
    },
    Scenario {
        name: "syscalls::memory_info_reports_and_checks",
        tasks: &["client-mem"],
        deadline: 500,
        prepare: None,
        check: memory_info,
    },
    Scenario {
        name: "ipc::senders_are_taken_in_turn",
        tasks: &["echo-late", "client-q1", "client-q2"],
        deadline: 500,
        prepare: None,
        check: in_turn,
    },
    Scenario {
        name: "ipc::notifications_accumulate",
        tasks: &["waiter", "notifier"],
        deadline: 500,
        prepare: None,
        check: notifications,
    },
    Scenario {
        name: "ipc::interrupt_reaches_its_driver",
        tasks: &["rtc"],
        deadline: 1000,
        prepare: None,
        check: interrupt,
    },
    Scenario {
        name: "ipc::restart_gives_a_new_generation",
        tasks: &["restarter", "victim"],
        deadline: 1000,
        prepare: None,
        check: restart,
    },
];

/// `name` exited with code 0 (its own checks passed).
pub fn exited_cleanly(outcome: &Outcome, name: &str) -> TestResult {
    match outcome.task(name)?.state {
        TaskState::Exited { code: 0 } => Ok(()),
        state => Err(alloc::format!("{name} did not exit cleanly ({state})")),
    }
}

/// The requests `client-rt` makes (its round trips).
const ROUND_TRIPS: u64 = 100;
/// System calls a server makes besides those of its loop (asking who it is, the first receive).
const SERVER_SETUP_CALLS: u64 = 4;

/// Each answer goes out in the same system call that takes the next request.
fn one_call_per_request(outcome: &Outcome) -> TestResult {
    exited_cleanly(outcome, "client-rt")?;
    let calls = outcome.task("echo")?.stats.syscalls;
    check!(
        calls <= ROUND_TRIPS + SERVER_SETUP_CALLS,
        "echo made {calls} system calls to answer {ROUND_TRIPS} requests: more than one a request"
    );
    Ok(())
}

fn round_trip(outcome: &Outcome) -> TestResult {
    exited_cleanly(outcome, "client-rt")?;
    // 100 calls and the lookup; each call is one system call for the client.
    check!(outcome.task("client-rt")?.stats.syscalls >= 101);
    check!(outcome.task("echo")?.state.is_alive(), "the server should still be serving");
    // The echo server outranks its client, so each call and each reply can take the fast
    // path, unless `ipc=general` turned it off.
    match fastpath::status() {
        (true, taken) => check!(taken >= 200, "the fast path took only {taken} calls"),
        (false, taken) => check!(taken == 0, "the fast path took {taken} calls while off"),
    }
    Ok(())
}

/// Two tasks that call each other wait for ever, each in `Sending` to the other, and nothing
/// else stops: the witness, at the same priority, kept running the whole time.
fn cycle_wedges_only_itself(outcome: &Outcome) -> TestResult {
    let (a, b) = (outcome.task("cycle-a")?, outcome.task("cycle-b")?);
    for (task, partner) in [(a, b), (b, a)] {
        match task.state {
            TaskState::Sending { to, .. } => check!(
                usize::from(to.index) == partner.slot,
                "{} sends to slot {}, not to its partner",
                task.name,
                to.index
            ),
            state => return Err(alloc::format!("{} is {state}, not in its call", task.name)),
        }
    }
    let witness = outcome.task(WITNESS)?;
    check!(witness.state.is_alive(), "the witness ended: {}", witness.state);
    check!(witness.stats.syscalls > 100, "the witness made only {} calls", witness.stats.syscalls);
    Ok(())
}

fn server_died(outcome: &Outcome) -> TestResult {
    exited_cleanly(outcome, "client-dead")?;
    check!(
        matches!(outcome.task("echo")?.state, TaskState::Faulted(_)),
        "the server was meant to crash"
    );
    Ok(())
}

/// Lease copies the fast path had taken when `leases_bounds_and_permissions` started.
static LEASE_COPIES_AT_START: AtomicU64 = AtomicU64::new(0);

fn count_lease_copies_from_here(_: &mut Kernel, _: &[usize]) {
    LEASE_COPIES_AT_START.store(fastpath::lease_copies(), Ordering::Relaxed);
}

/// The client's checks passed, and the echo server's 18 lease copies took the fast path (9
/// reads of 512 bytes for the sum, 3 refused, 6 writes for the fill), or none of them did
/// with `ipc=general`.
fn leases(outcome: &Outcome) -> TestResult {
    exited_cleanly(outcome, "client-lease")?;
    let copies = fastpath::lease_copies() - LEASE_COPIES_AT_START.load(Ordering::Relaxed);
    match fastpath::status() {
        (true, _) => check!(copies >= 18, "the fast path took only {copies} lease copies"),
        (false, _) => check!(copies == 0, "the fast path took {copies} lease copies while off"),
    }
    Ok(())
}

fn denied(outcome: &Outcome) -> TestResult {
    exited_cleanly(outcome, "client-nope")
}

fn closed_receive(outcome: &Outcome) -> TestResult {
    exited_cleanly(outcome, "client-a")?;
    exited_cleanly(outcome, "client-b")?;
    exited_cleanly(outcome, "echo-closed")
}

fn silent_server(outcome: &Outcome) -> TestResult {
    exited_cleanly(outcome, "client-silent")
}

fn memory_info(outcome: &Outcome) -> TestResult {
    exited_cleanly(outcome, "client-mem")
}

fn in_turn(outcome: &Outcome) -> TestResult {
    exited_cleanly(outcome, "client-q1")?;
    exited_cleanly(outcome, "client-q2")
}

fn notifications(outcome: &Outcome) -> TestResult {
    exited_cleanly(outcome, "waiter")?;
    exited_cleanly(outcome, "notifier")
}

fn interrupt(outcome: &Outcome) -> TestResult {
    exited_cleanly(outcome, "rtc")?;
    let stats = outcome.rtc_irq;
    check!(stats.delivered >= 5, "only {} clock interrupts forwarded", stats.delivered);
    check_eq!(stats.delivered, stats.acknowledged);
    Ok(())
}

fn restart(outcome: &Outcome) -> TestResult {
    exited_cleanly(outcome, "restarter")?;
    check!(matches!(outcome.task("victim")?.state, TaskState::Faulted(_) | TaskState::Killed));
    Ok(())
}
