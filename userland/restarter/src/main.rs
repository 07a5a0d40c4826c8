//! Restarts `victim` each time it faults, twice, checking what the kernel reports on the way:
//! the task-ended notification, the fault record, the new generation, and that the old id
//! no longer works. A small supervisor, for the tests (the real one is a server).

#![no_std]
#![no_main]

use libipc::abi::{TASK_ENDED_BIT, TASK_FAULTED};
use libipc::sys::{self, IpcError};
use ulib::{println, require};

ulib::entry!(main);

/// The page-fault vector, as `FaultInfo::code` reports it.
const PAGE_FAULT: u64 = 14;

fn main(_argument: &str) -> u64 {
    // Records of tasks that ended before this test are not ours: take them off the list.
    while sys::fault_info(None).is_ok() {}
    let Ok(mut victim) = sys::lookup("victim") else { return 3 };
    for round in 1..=2 {
        let message = sys::receive(None, 300);
        require!(
            message.map(|m| m.notification().unwrap_or(0) & TASK_ENDED_BIT) == Ok(TASK_ENDED_BIT)
        );
        let info = sys::fault_info(None);
        require!(info.is_ok());
        let info = info.unwrap_or_default();
        require!(
            info.task == victim.to_raw() && info.state == TASK_FAULTED && info.code == PAGE_FAULT
        );
        require!(info.address == 0);
        let restarted = sys::restart(victim);
        require!(restarted.is_ok());
        let restarted = restarted.unwrap_or(victim);
        require!(
            restarted.index == victim.index
                && restarted.generation == victim.generation.wrapping_add(1)
        );
        require!(sys::notify(victim, 1 << 20) == Err(IpcError::Dead { current: restarted }));
        println!("round {round}: {victim} faulted and came back as {restarted}");
        victim = restarted;
    }
    0
}
