//! Running ring-3 tests: start some tasks, let the scheduler run them, judge what happened.
//!
//! The kernel has no threads to wait in, so the runner is driven by the scheduler's observer
//! hook: `start` launches the first scenario and enters the scheduler for good; the observer
//! notes every task that ends, and on each timer tick decides whether the scenario is over
//! (every task but the witness and the servers has ended, plus a few ticks of grace, or the
//! deadline passed).
//! It then checks the outcome, kills what is left, checks that every frame came back, and
//! starts the next scenario. After the last one it prints the tally and exits QEMU.

use super::TestResult;
use crate::mm::frames::{self, FrameStats};
use crate::state::{self, Event, Kernel};
use crate::task::TaskState;
use crate::time;
use crate::{lifecycle, switch};
use alloc::string::String;
use alloc::vec::Vec;
use spin::Mutex;

/// One ring-3 test.
pub struct Scenario {
    pub name: &'static str,
    /// Manifest names of the tasks to start, in this order.
    pub tasks: &'static [&'static str],
    /// Ticks after which the scenario ends even if tasks are still running.
    pub deadline: u64,
    /// Run once the tasks are started, before any of them runs: given the kernel and each
    /// task's slot, in `tasks` order (to tamper with what the kernel holds for a task).
    pub prepare: Option<fn(&mut Kernel, &[usize])>,
    pub check: fn(&Outcome) -> TestResult,
}

/// Ticks to wait after the last task ended, so the witness has time to show it still runs.
const GRACE_TICKS: u64 = 3;
/// The task that is expected to outlive the others.
pub const WITNESS: &str = "witness";
/// Tasks that serve forever: a scenario is over once all its other tasks have ended.
const SERVE_FOREVER: [&str; 13] = [
    WITNESS,
    "echo",
    "echo-late",
    "echo-once",
    "echo-loop",
    "echo-hang",
    "serial",
    "console",
    "block",
    "fs",
    "keyboard",
    "supervisor",
    "supervisor-test",
];

/// What a scenario's tasks did, for its check.
pub struct Outcome {
    pub tasks: Vec<TaskOutcome>,
    /// The witness's system call count when the first other task ended.
    pub witness_calls_at_first_end: Option<u64>,
    /// Ticks from start to the scenario's end.
    pub elapsed: u64,
    /// Interrupt line 8 (the clock the `rtc` driver uses), counted since boot.
    pub rtc_irq: crate::irq::IrqStats,
}

pub struct TaskOutcome {
    pub name: &'static str,
    /// The slot the task ran in.
    pub slot: usize,
    pub state: TaskState,
    pub stats: crate::task::TaskStats,
    /// The other tasks' CPU ticks at the moment this one ended (see the preemption test).
    pub others_ticks_at_end: u64,
}

impl Outcome {
    pub fn task(&self, name: &str) -> Result<&TaskOutcome, String> {
        self.tasks
            .iter()
            .find(|t| t.name == name)
            .ok_or(alloc::format!("task {name} was never started"))
    }
}

struct Running {
    scenarios: &'static [&'static [Scenario]],
    filter: &'static str,
    next: usize,
    /// The scenario under way: its task slots and names.
    slots: Vec<(usize, &'static str)>,
    ended: Vec<(usize, u64)>, // slot, others' ticks at that moment
    witness_calls_at_first_end: Option<u64>,
    started_at: u64,
    last_end: Option<u64>,
    frames_before: FrameStats,
    passed: usize,
    failed: usize,
}

impl Running {
    /// The `n`-th scenario of all the lists.
    fn scenario(&self, n: usize) -> Option<&'static Scenario> {
        self.scenarios.iter().flat_map(|list| list.iter()).nth(n)
    }
}

static RUNNING: Mutex<Option<Running>> = Mutex::new(None);

/// Runs the `scenarios` lists in order (those whose name contains `filter`) and exits QEMU; `passed` and
/// `failed` carry over the kernel-mode tests' counts.
pub fn start(
    scenarios: &'static [&'static [Scenario]],
    filter: &'static str,
    passed: usize,
    failed: usize,
) -> ! {
    state::with(|s| {
        *RUNNING.lock() = Some(Running {
            scenarios,
            filter,
            next: 0,
            slots: Vec::new(),
            ended: Vec::new(),
            witness_calls_at_first_end: None,
            started_at: 0,
            last_end: None,
            frames_before: frames::stats(),
            passed,
            failed,
        });
        s.observer = Some(observe);
        launch_next(s);
    });
    switch::start()
}

fn observe(s: &mut Kernel, event: Event) {
    let mut guard = RUNNING.lock();
    let Some(run) = guard.as_mut() else { return };
    match event {
        Event::TaskEnded(slot) => {
            if !run.slots.iter().any(|(s, _)| *s == slot) {
                return;
            }
            let others: u64 = run
                .slots
                .iter()
                .filter(|(o, _)| *o != slot)
                .map(|(o, _)| s.tasks[*o].stats.ticks)
                .sum();
            run.ended.push((slot, others));
            run.last_end = Some(time::ticks());
            if run.witness_calls_at_first_end.is_none() {
                run.witness_calls_at_first_end = witness_calls(s, run);
            }
        }
        Event::Tick => {
            let now = time::ticks();
            let scenario = run.scenario(run.next - 1).expect("a scenario is running");
            let all_ended = run.slots.iter().all(|(slot, name)| {
                SERVE_FOREVER.contains(name) || !s.tasks[*slot].state.is_alive()
            });
            let grace_over = run.last_end.is_some_and(|end| now >= end + GRACE_TICKS);
            if (all_ended && grace_over) || now >= run.started_at + scenario.deadline {
                drop(guard);
                finish_current(s);
            }
        }
    }
}

fn witness_calls(s: &Kernel, run: &Running) -> Option<u64> {
    let (slot, _) = run.slots.iter().find(|(_, name)| *name == WITNESS)?;
    Some(s.tasks[*slot].stats.syscalls)
}

/// Judges the scenario under way, cleans up after it and launches the next.
fn finish_current(s: &mut Kernel) {
    let mut guard = RUNNING.lock();
    let run = guard.as_mut().expect("a scenario is running");
    let scenario = run.scenario(run.next - 1).expect("a scenario is running");
    let outcome = Outcome {
        tasks: run
            .slots
            .iter()
            .map(|&(slot, name)| TaskOutcome {
                name,
                slot,
                state: s.tasks[slot].state,
                stats: s.tasks[slot].stats,
                others_ticks_at_end: run
                    .ended
                    .iter()
                    .find(|(e, _)| *e == slot)
                    .map_or(0, |(_, t)| *t),
            })
            .collect(),
        witness_calls_at_first_end: run.witness_calls_at_first_end,
        elapsed: time::ticks() - run.started_at,
        rtc_irq: s.irqs.stats(8),
    };
    let slots: Vec<usize> = run.slots.iter().map(|(slot, _)| *slot).collect();
    let frames_before = run.frames_before;
    drop(guard);
    // Kill what is left (the witness), then every frame the scenario took must be back.
    for slot in slots {
        lifecycle::kill(s, slot);
    }
    let result = (scenario.check)(&outcome).and_then(|()| {
        let after = frames::stats();
        if after == frames_before {
            Ok(())
        } else {
            Err(alloc::format!("frames leaked: {frames_before:?} before, {after:?} after"))
        }
    });
    let mut guard = RUNNING.lock();
    let run = guard.as_mut().expect("a scenario is running");
    super::report(scenario.name, &result);
    match result {
        Ok(()) => run.passed += 1,
        Err(_) => run.failed += 1,
    }
    drop(guard);
    launch_next(s);
}

/// Starts the next scenario that matches the filter, or ends the run.
fn launch_next(s: &mut Kernel) {
    let mut guard = RUNNING.lock();
    let run = guard.as_mut().expect("the runner is set up");
    while run.scenario(run.next).is_some_and(|s| !super::is_selected(s.name, run.filter)) {
        run.next += 1;
    }
    let Some(scenario) = run.scenario(run.next) else {
        super::finish(run.passed, run.failed);
    };
    run.next += 1;
    crate::println!("TEST-START {}", scenario.name);
    run.slots.clear();
    run.ended.clear();
    run.witness_calls_at_first_end = None;
    run.last_end = None;
    run.started_at = time::ticks();
    run.frames_before = frames::stats();
    for name in scenario.tasks {
        let spec = crate::manifest::find(name);
        match spec.and_then(|spec| lifecycle::start_boot_task(s, spec)) {
            Some(id) => run.slots.push((usize::from(id.index), name)),
            None => crate::println!("  (could not start task {name}; see the log above)"),
        }
    }
    if let Some(prepare) = scenario.prepare {
        let slots: Vec<usize> = run.slots.iter().map(|(slot, _)| *slot).collect();
        drop(guard);
        prepare(s, &slots);
    }
}
