//! Putting a message, a notification or an error into a task's registers, and waking it.
//!
//! Rendezvous only: a message waits in its sender's saved registers, never in a kernel queue,
//! so delivery is a copy of six registers (`libipc::abi::IpcResults`) from one task's to
//! the other's.

use crate::arch::TrapFrame;
use crate::state::Kernel;
use crate::task::TaskState;
use libipc::abi::{IpcResults, KERNEL_SENDER, MESSAGE_WORDS, OP_NOTIFICATION};
use libipc::{SyscallError, TaskId};

/// Writes a delivered message into `registers`: status 0, sender and operation, payload,
/// lease count.
#[inline(always)]
pub fn write_message(
    registers: &mut TrapFrame,
    sender: TaskId,
    op: u32,
    payload: [u64; MESSAGE_WORDS],
    leases: u64,
) {
    registers.rax = 0;
    registers.set_ipc_results(IpcResults::message(sender, op, payload, leases));
}

/// A notification message: the bits in payload word 0, the time of the last forwarded
/// interrupt in word 1.
pub fn write_notification(registers: &mut TrapFrame, bits: u64, interrupt_time: u64) {
    write_message(registers, KERNEL_SENDER, OP_NOTIFICATION, [bits, interrupt_time, 0, 0], 0);
}

/// Sets notification `bits` of `index`, delivering them at once if it waits in an open
/// receive. Used by `notify`, interrupts, and the kernel's task-ended notice.
pub fn raise_notification(k: &mut Kernel, index: usize, bits: u64) {
    let Kernel { tasks, sched, .. } = k;
    let tasks = tasks.as_mut_slice(); // one bounds check per index (see `syscalls::ipc::send`)
    let task = &mut tasks[index];
    task.notifications |= bits;
    if let TaskState::Receiving { from: None | Some(KERNEL_SENDER), .. } = task.state {
        let bits = core::mem::take(&mut task.notifications);
        write_notification(&mut task.saved, bits, task.research.interrupt_time);
        sched.make_ready(tasks, index);
    }
}

/// Ends a blocked system call of `index` with `error` (and `detail` in `rdx`).
pub fn wake_with_error(k: &mut Kernel, index: usize, error: SyscallError, detail: u64) {
    let saved = &mut k.tasks[index].saved;
    saved.rax = error.code();
    saved.rdx = detail;
    k.tasks[index].lease_count = 0;
    k.sched.make_ready(&mut k.tasks, index);
}
