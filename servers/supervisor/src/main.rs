//! The supervisor (after MINIX 3's reincarnation server and Hubris's jefe): when a task it
//! looks after ends, it reads the fault record, logs one line, and restarts the task from its
//! boot image, unless that task has already been restarted too often lately.
//!
//! It runs at the most urgent priority and holds the `restart` and `faults` privileges. The
//! kernel raises `TASK_ENDED_BIT` on it whenever any task ends. Argument: the names of the
//! tasks to keep alive, comma-separated (for example `serial,console,shell`).

#![no_std]
#![no_main]

use libipc::abi::{FOREVER, FaultInfo, TASK_ENDED_BIT, TASK_FAULTED, TASK_KILLED, TaskStatus};
use libipc::sys;
use libipc::{FaultKind, TaskId};
use ulib::println;

ulib::entry!(main);

/// At most this many restarts of one task within `WINDOW_TICKS`; after that it stays dead.
const MAX_RESTARTS: usize = 5;
const WINDOW_TICKS: u64 = 1000;
/// Slots the supervisor keeps a restart history for.
const SLOTS: usize = 64;

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
    loop {
        let Ok(message) = sys::receive(None, FOREVER) else { continue };
        if message.notification().is_none_or(|bits| bits & TASK_ENDED_BIT == 0) {
            continue;
        }
        while let Ok(ended) = sys::fault_info(None) {
            handle_end(policy, &ended, &mut history);
        }
    }
}

fn handle_end(policy: &str, ended: &FaultInfo, history: &mut History) {
    let Some(id) = TaskId::from_raw(ended.task) else { return };
    let Ok(status) = sys::task_status(id.index) else { return };
    let name = name_of(&status);
    if !policy.split(',').any(|watched| watched == name) {
        return;
    }
    match ended.state {
        TASK_FAULTED => println!(
            "{name} ({id}) faulted: vector {} ({}), error code {:#x}, rip {:#x}, address {:#x}",
            ended.code,
            fault_name(ended.code),
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

fn name_of(status: &TaskStatus) -> &str {
    let len = status.name.iter().position(|&b| b == 0).unwrap_or(status.name.len());
    core::str::from_utf8(&status.name[..len]).unwrap_or("?")
}

fn fault_name(code: u64) -> &'static str {
    if code == 256 {
        FaultKind::BadReturnAddress.name()
    } else {
        FaultKind::from_vector(code as u8).name()
    }
}
