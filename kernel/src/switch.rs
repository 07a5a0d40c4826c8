//! Every switch between tasks, made on the way back to ring 3.
//!
//! When a task leaves the CPU its registers are copied from the trap frame into its
//! `Task::saved`, and the exit path restores the next task's straight from its record, so a
//! switch copies one frame, not two. Whatever a saved frame holds, it goes back to ring 3
//! with user selectors, interrupts on, no I/O privilege, and only to a user address.

use crate::arch::cpu;
use crate::arch::{self, TrapFrame};
use crate::lifecycle::end_task;
use crate::mm::layout::USER_END;
use crate::research::record::Point;
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
/// Idles here while nothing is ready. Returns the frame to restore: `frame`, or the next
/// task's saved registers.
pub fn before_return_to_user(frame: &mut TrapFrame) -> *const TrapFrame {
    handle_and_return(frame, |_, _| {})
}

/// Runs `handle` on the kernel's state and prepares the return to ring 3 under the same lock:
/// the system call path takes the lock once. Called from a trap, so interrupts are already
/// off.
#[inline(always)]
pub fn handle_and_return(
    frame: &mut TrapFrame,
    handle: impl FnOnce(&mut Kernel, &mut TrapFrame),
) -> *const TrapFrame {
    debug_assert!(!cpu::interrupts_enabled(), "traps run with interrupts off");
    let resume = {
        let mut k = state::lock_in_trap();
        handle(&mut k, frame);
        prepare_return(&mut k, frame)
    };
    if let Some(resume) = resume {
        return resume;
    }
    // Nothing can run: wait for an interrupt to make something ready.
    loop {
        cpu::wait_for_interrupt();
        if let Some(resume) = state::with(|k| prepare_return(k, frame)) {
            return resume;
        }
    }
}

/// The registers to resume in ring 3: `frame` if the same task goes on, else the next task's
/// saved registers. `None` when no task is ready.
#[inline(always)]
fn prepare_return(k: &mut Kernel, frame: &mut TrapFrame) -> Option<*const TrapFrame> {
    // The common case, kept inline: the same task goes on, to a user address.
    if !k.sched.switch_pending && k.sched.frame_live && frame.rip < USER_END {
        return Some(frame);
    }
    switch_or_stop(k, frame)
}

/// The rest of `prepare_return`: stop a task about to return to a non-user address (only a
/// kernel bug could cause that), or switch to the next ready task.
#[inline(never)]
fn switch_or_stop(k: &mut Kernel, frame: &mut TrapFrame) -> Option<*const TrapFrame> {
    if !k.sched.switch_pending && k.sched.frame_live {
        let current = k.sched.current;
        end_task(k, current, TaskState::Faulted(bad_return(frame.rip)));
    }
    if k.sched.frame_live {
        save_current(k, frame);
        k.sched.frame_live = false;
    }
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

/// The fast path's switch (`syscalls::fastpath`): the current task has blocked, and `next`,
/// which the fast path has found to be the task `choose` would pick and whose registers
/// resume at a user address, runs instead. Returns the registers to resume.
#[inline(always)]
pub fn hand_over(k: &mut Kernel, frame: &TrapFrame, next: usize) -> *const TrapFrame {
    save_current(k, frame);
    k.sched.run_next(&k.tasks, next);
    let runs = prepare_to_run(&mut k.tasks[next]);
    debug_assert!(runs, "the fast path checked the return address");
    &k.tasks[next].saved
}

/// The running task leaves the CPU: its registers go from the trap frame into its record, and
/// the calls the lean entry answered for it into its count.
#[inline(always)]
fn save_current(k: &mut Kernel, frame: &TrapFrame) {
    let task = &mut k.tasks[k.sched.current];
    task.saved.clone_from(frame);
    task.stats.syscalls += arch::take_lean_calls();
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
    allow_lean_entry(task);
    true
}

/// Lets `task_info` be answered in the system call entry for `task`, the running task,
/// unless a fault is armed at its next system call (the general path fires it).
#[inline(always)]
pub fn allow_lean_entry(task: &Task) {
    let armed = task.research.armed & Point::SyscallEntry as u8 != 0;
    arch::set_lean_task_id((!armed).then(|| task.id.to_raw()));
}

fn bad_return(rip: u64) -> FaultRecord {
    FaultRecord { kind: FaultKind::BadReturnAddress, error_code: 0, rip, address: 0 }
}
