//! The supervisor (after MINIX 3's reincarnation server and Hubris's jefe): when a task it
//! looks after ends, it reads the fault record, logs one line, and restarts the task from its
//! boot image, unless that task has already been restarted too often lately.
//!
//! It runs at the most urgent priority and holds the `restart` and `faults` privileges. The
//! kernel raises `TASK_ENDED_BIT` on it whenever any task ends. Argument: the names of the
//! tasks to keep alive, comma-separated (for example `serial,console,shell`).
//!
//! Hangs: every `WATCH_TICKS` it checks how much CPU time each watched task used. A server
//! spends its life waiting for messages, so one that ran for nearly the whole interval is
//! taken to be stuck in a loop: it is killed, and then restarted like any other.
//!
//! Programs: it answers `SPAWN` requests (`service_api::supervisor`), starting a program from
//! the image a client lends it, as an instance of the `program` template.

#![no_std]
#![no_main]

use libipc::abi::{FaultInfo, STATE_RECEIVING, TASK_ENDED_BIT, TASK_FAULTED, TASK_KILLED};
use libipc::sys;
use libipc::{FaultKind, TaskId};
use ulib::println;

mod spawn;

ulib::entry!(main);

/// At most this many restarts of one task within `WINDOW_TICKS`; after that it stays dead.
const MAX_RESTARTS: usize = 5;
const WINDOW_TICKS: u64 = 1000;
/// Slots the supervisor keeps a restart history for.
const SLOTS: usize = 64;
/// How often the watchdog looks, and how much of that time a task may have run.
const WATCH_TICKS: u64 = 50;
const HUNG_TICKS: u64 = 45;

struct History {
    /// Uptime of the most recent restarts of each slot, newest last.
    restarts: [[u64; MAX_RESTARTS]; SLOTS],
    count: [usize; SLOTS],
}

impl History {
    /// Records a restart of `slot` now, unless its budget for the window is spent.
    fn allow(&mut self, slot: usize, now: u64) -> bool {
        let (times, count) = (&mut self.restarts[slot], &mut self.count[slot]);
        let recent =
            times[..*count].iter().filter(|&&t| now.saturating_sub(t) < WINDOW_TICKS).count();
        if recent >= MAX_RESTARTS {
            return false;
        }
        if *count == MAX_RESTARTS {
            times.rotate_left(1);
            *count -= 1;
        }
        times[*count] = now;
        *count += 1;
        true
    }
}

fn main(policy: &str) -> u64 {
    // Records of tasks that ended before the supervisor started are history.
    while sys::fault_info(None).is_ok() {}
    println!("looking after: {policy}");
    let mut history = History { restarts: [[0; MAX_RESTARTS]; SLOTS], count: [0; SLOTS] };
    let mut last_ticks = [None::<(u64, u64)>; SLOTS]; // (task id, CPU ticks) at the last look
    let mut next_look = sys::uptime() + WATCH_TICKS;
    loop {
        let wait = next_look.saturating_sub(sys::uptime()).max(1);
        match sys::receive(None, wait) {
            Ok(message)
                if message.notification().is_some_and(|bits| bits & TASK_ENDED_BIT != 0) =>
            {
                while let Ok(ended) = sys::fault_info(None) {
                    handle_end(policy, &ended, &mut history);
                }
            }
            Ok(request) if request.notification().is_none() => {
                let reply = spawn::handle(&request);
                let _ = sys::reply(request.sender, &reply);
            }
            _ => {}
        }
        if sys::uptime() >= next_look {
            watch_for_hangs(policy, &mut last_ticks);
            next_look = sys::uptime() + WATCH_TICKS;
        }
    }
}

/// Kills every watched task that ran for most of the last interval (it will be restarted
/// when the kernel reports its end).
fn watch_for_hangs(policy: &str, last_ticks: &mut [Option<(u64, u64)>; SLOTS]) {
    let mut index = 0;
    while let Ok(status) = sys::task_status(index) {
        let slot = usize::from(index) % SLOTS;
        let name = status.name();
        let watched = policy.split(',').any(|w| w == name) && status.state <= STATE_RECEIVING;
        let previous = last_ticks[slot].filter(|(id, _)| *id == status.id);
        if watched && let Some((_, before)) = previous {
            if status.ticks.saturating_sub(before) >= HUNG_TICKS {
                let id = TaskId::from_raw(status.id).unwrap_or(TaskId::new(index, 0));
                println!(
                    "{name} ({id}) ran {} of the last {WATCH_TICKS} ticks: hung; killing it",
                    status.ticks - before
                );
                let _ = sys::kill(id);
            }
        }
        last_ticks[slot] = Some((status.id, status.ticks));
        index += 1;
    }
}

fn handle_end(policy: &str, ended: &FaultInfo, history: &mut History) {
    let Some(id) = TaskId::from_raw(ended.task) else { return };
    let Ok(status) = sys::task_status(id.index) else { return };
    let name = status.name();
    if !policy.split(',').any(|watched| watched == name) {
        return;
    }
    match ended.state {
        TASK_FAULTED => println!(
            "{name} ({id}) faulted: vector {} ({}), error code {:#x}, rip {:#x}, address {:#x}",
            ended.code,
            FaultKind::from_code(ended.code).name(),
            ended.error_code,
            ended.rip,
            ended.address
        ),
        TASK_KILLED => println!("{name} ({id}) was killed"),
        _ => println!("{name} ({id}) exited with code {}", ended.code),
    }
    let slot = usize::from(id.index) % SLOTS;
    if !history.allow(slot, sys::uptime()) {
        println!(
            "{name} restarted {MAX_RESTARTS} times within {WINDOW_TICKS} ticks; leaving it dead"
        );
        return;
    }
    match sys::restart(id) {
        Ok(new) => println!("restarted {name} as {new}"),
        Err(error) => println!("could not restart {name}: {error:?}"),
    }
}
