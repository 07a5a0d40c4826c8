//! Putting a message, a notification or an error into a task's registers, and waking it.
//!
//! Rendezvous only: a message waits in its sender's saved registers, never in a kernel queue,
//! so delivery is a copy of six registers (`libipc::abi::IpcResults`) from one task's to
//! the other's.

use crate::arch::TrapFrame;
use crate::state::Kernel;
use crate::task::{Task, TaskState};
use libipc::abi::{
    IpcResults, KERNEL_SENDER, MESSAGE_WORDS, OP_NOTIFICATION, SUMMARIZED_LEASES, lease_summary,
};
use libipc::{SyscallError, TaskId};

/// What a delivered message says of the leases lent with it: how many, and the first ones'
/// lengths and access, so the server needs no system call to learn them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Lent {
    count: u64,
    summaries: [u64; SUMMARIZED_LEASES],
}

impl Lent {
    /// No leases: a reply, a notification, a plain send.
    pub const NONE: Lent = Lent { count: 0, summaries: [0; SUMMARIZED_LEASES] };

    /// The leases `sender` lends with the message it is sending.
    #[inline(always)]
    pub fn of(sender: &Task) -> Lent {
        let count = sender.lease_count;
        if count == 0 {
            return Lent::NONE;
        }
        let mut summaries = [0; SUMMARIZED_LEASES];
        for (summary, lease) in summaries.iter_mut().zip(&sender.leases[..count]) {
            *summary = lease_summary(lease);
        }
        Lent { count: count as u64, summaries }
    }
}

/// Writes a delivered message into `registers`: status 0, sender and operation, payload,
/// what is lent with it.
#[inline(always)]
pub fn write_message(
    registers: &mut TrapFrame,
    sender: TaskId,
    op: u32,
    payload: [u64; MESSAGE_WORDS],
    lent: Lent,
) {
    registers.rax = 0;
    let results = IpcResults::message(sender, op, payload, lent.count, lent.summaries);
    registers.set_ipc_results(results);
}

/// A notification message: the bits in payload word 0, the time of the last forwarded
/// interrupt in word 1.
pub fn write_notification(registers: &mut TrapFrame, bits: u64, interrupt_time: u64) {
    let payload = [bits, interrupt_time, 0, 0];
    write_message(registers, KERNEL_SENDER, OP_NOTIFICATION, payload, Lent::NONE);
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
    crate::trace::error(&k.tasks, index, error);
    let saved = &mut k.tasks[index].saved;
    saved.rax = error.code();
    saved.rdx = detail;
    k.tasks[index].lease_count = 0;
    k.sched.make_ready(&mut k.tasks, index);
}
