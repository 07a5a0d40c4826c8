//! Every switch between tasks, made on the way back to ring 3.
//!
//! Every entry from ring 3 saves the task's registers straight into its `Task::saved` (see
//! `arch/x86_64/trap_entry.rs`), and the exit path restores the next task's straight from its
//! record, so a switch copies no registers at all: it only tells the entry where the next
//! task's record is (`arch::save_registers_in`). Whatever a saved frame holds, it goes back to
//! ring 3 with user selectors, interrupts on, no I/O privilege, and only to a user address.

use crate::arch::cpu;
use crate::arch::{self, TrapFrame};
use crate::lifecycle::end_task;
use crate::mm::layout::USER_END;
use crate::state::{self, Kernel};
use crate::task::{FaultRecord, Task, TaskState};
use libipc::FaultKind;
// LAB 1 BEGIN: what a return to ring 3 is made of: its selectors and the RFLAGS bits it sets
use crate::arch::{USER_CODE_SELECTOR, USER_DATA_SELECTOR};

const RFLAGS_INTERRUPTS: u64 = 1 << 9;
const RFLAGS_IOPL: u64 = 3 << 12;
// LAB 1 STUB
// LAB 1 END

/// Starts running tasks; never returns. Waits (halted) while no task is ready.
pub fn start() -> ! {
    // The kernel runs with interrupts off; they come back on in ring 3 (RFLAGS.IF of the
    // frame) and in the idle wait. Boot left them on, so turn them off before the first exit.
    cpu::disable_interrupts();
    loop {
        if let Some(frame) =
            state::with(|k| switch_to_next(k).map(|next| &k.tasks[next].saved as *const TrapFrame))
        {
            // SAFETY: the frame is the chosen task's saved registers (sanitised by
            // `switch_to_next`), and with interrupts off nothing touches them before the exit.
            unsafe { arch::enter_user(frame) };
        }
        cpu::wait_for_interrupt();
    }
}

/// Called on every return to ring 3 but a system call's: switches tasks if one is pending.
/// Idles here while nothing is ready. Returns the registers to restore: the running task's,
/// or the next task's.
pub fn return_to_user() -> *const TrapFrame {
    handle_and_return(|_| {})
}

/// Runs `handle` on the kernel's state and prepares the return to ring 3 under the same lock:
/// the system call path takes the lock once. Called from a trap, so interrupts are already
/// off.
#[inline(always)]
pub fn handle_and_return(handle: impl FnOnce(&mut Kernel)) -> *const TrapFrame {
    debug_assert!(!cpu::interrupts_enabled(), "traps run with interrupts off");
    let resume = {
        let mut k = state::lock_in_trap();
        handle(&mut k);
        prepare_return(&mut k)
    };
    if let Some(resume) = resume {
        return resume;
    }
    // Nothing can run: wait for an interrupt to make something ready.
    loop {
        cpu::wait_for_interrupt();
        if let Some(resume) = state::with(prepare_return) {
            return resume;
        }
    }
}

/// The registers to resume in ring 3: the running task's if it goes on, else the next
/// task's. `None` when no task is ready.
#[inline(always)]
fn prepare_return(k: &mut Kernel) -> Option<*const TrapFrame> {
    // The common case, kept inline: the same task goes on, to a user address.
    if !k.sched.switch_pending && k.sched.on_cpu {
        let saved = &k.tasks[k.sched.current].saved;
        if saved.rip < USER_END {
            return Some(saved);
        }
    }
    switch_or_stop(k)
}

/// The rest of `prepare_return`: stop a task about to return to a non-user address (only a
/// kernel bug could cause that), or switch to the next ready task.
#[inline(never)]
fn switch_or_stop(k: &mut Kernel) -> Option<*const TrapFrame> {
    let current = k.sched.current;
    if !k.sched.switch_pending && k.sched.on_cpu {
        end_task(k, current, TaskState::Faulted(bad_return(k.tasks[current].saved.rip)));
    }
    k.sched.leave_cpu(&k.tasks);
    let next = switch_to_next(k)?;
    Some(&k.tasks[next].saved)
}

/// Picks the next ready task and activates its address space; returns its slot, whose
/// `saved` registers are ready to resume.
fn switch_to_next(k: &mut Kernel) -> Option<usize> {
    loop {
        let next = k.sched.choose(&k.tasks)?;
        if prepare_to_run(&mut k.tasks[next]) {
            return Some(next);
        }
        let record = bad_return(k.tasks[next].saved.rip);
        end_task(k, next, TaskState::Faulted(record));
    }
}

/// The fast path's switch (`syscalls::fastpath`), after `Scheduler::trade_places` has made
/// `next` the running task: the fast path has found it to be the task `choose` would pick.
/// Returns the registers to resume.
///
/// # Safety
/// `next`'s saved return address is in user space (`prepare_to_run` then need not check it
/// again, and the compiler drops its test).
#[inline(always)]
pub unsafe fn hand_over(next: &mut Task) -> *const TrapFrame {
    // SAFETY: the caller's promise.
    unsafe { core::hint::assert_unchecked(next.saved.rip < USER_END) };
    prepare_to_run(next); // runs: the return address is a user one (above)
    &next.saved
}

/// Makes `task`'s saved registers fit to go back to ring 3 and, unless they would return to
/// an address outside user space, activates its address space and its ports.
#[inline(always)]
fn prepare_to_run(task: &mut Task) -> bool {
    let saved = &mut task.saved;
    // LAB 1 BEGIN: whatever the saved frame says, it goes back to ring 3: user selectors, interrupts on, no I/O privilege
    saved.cs = u64::from(USER_CODE_SELECTOR);
    saved.ss = u64::from(USER_DATA_SELECTOR);
    saved.rflags = (saved.rflags | RFLAGS_INTERRUPTS) & !RFLAGS_IOPL;
    // LAB 1 STUB
    // // The saved frame goes back as it is.
    // LAB 1 END
    if saved.rip >= USER_END {
        return false;
    }
    task.space.as_ref().expect("a ready task has memory").activate();
    arch::grant_ports(&task.spec.ports);
    arch::save_registers_in(&task.saved);
    true
}

fn bad_return(rip: u64) -> FaultRecord {
    FaultRecord { kind: FaultKind::BadReturnAddress, error_code: 0, rip, address: 0 }
}
