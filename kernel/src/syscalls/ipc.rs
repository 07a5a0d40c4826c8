//! Synchronous message passing: send, call, receive, reply, reply_receive, notify.
//!
//! Rendezvous only: a message waits in its sender's saved registers, never in a kernel queue,
//! so memory use does not grow with what tasks do. Every task's registers are in its
//! `Task::saved`, the caller's too (the entry saved them there). A receiver with several
//! senders waiting takes the most urgent first, and among equals the one that has waited
//! longest.

use super::outcome::Outcome;
use crate::delivery::{Lent, raise_notification, write_message, write_notification};
use crate::mm::layout::USER_END;
use crate::research::hooks::{self, At, Verdict};
use crate::research::record::Point;
use crate::state::{Kernel, deadline};
use crate::task::{Task, TaskState};
use crate::trace;
use crate::usercopy::copy_values_from_user;
use kernel_core::sched::first_come_first_served;
use kernel_core::trace::Kind;
use libipc::abi::{
    ANY_TASK, INLINE_LEASE, KERNEL_SENDER, LEASE_READ, LEASE_WRITE, Lease, MAX_LEASES,
    lease_in_registers,
};
use libipc::{SyscallError, TaskId};

/// `send` (`wants_reply` false) or `call` (true) from `caller`.
pub fn send(k: &mut Kernel, caller: usize, wants_reply: bool) -> Outcome {
    let args = k.tasks[caller].saved.ipc_args();
    let (to, op) = args.target();
    let target = match k.resolve(to) {
        Ok(target) => target,
        Err(error) => return error.into(),
    };
    if target == caller {
        return SyscallError::InvalidArgument.into(); // it could never be received
    }
    if !may_send(&k.tasks[caller], &k.tasks[target]) {
        return SyscallError::Denied.into();
    }
    if wants_reply {
        if let Err(error) = take_leases(&mut k.tasks[caller], args.lease_table()) {
            return error.into();
        }
    }
    // One slice for the whole path: its length stays in a register, so each bounds check
    // below is a compare, not a reload.
    let Kernel { tasks, sched, .. } = k;
    let tasks = tasks.as_mut_slice();
    let my_id = tasks[caller].id;
    if let TaskState::Receiving { from, .. } = tasks[target].state {
        if from.is_none_or(|from| from == my_id) {
            trace::message(tasks, message_kind(wants_reply), caller, target, op, &args.payload());
            let lent = Lent::of(&tasks[caller]);
            write_message(&mut tasks[target].saved, my_id, op, args.payload(), lent);
            sched.make_ready(tasks, target);
            if tasks[target].spec.priority < tasks[caller].spec.priority {
                // The sender was the most urgent ready task; now the receiver is.
                sched.hint_next(target);
            }
            if !wants_reply {
                return Outcome::Value(0);
            }
            let deadline = deadline(args.timeout());
            sched.park(tasks, caller, TaskState::AwaitingReply { from: to, deadline });
            sched.switch_away();
            return Outcome::Blocked;
        }
    }
    if k.tasks[target].state == TaskState::InKernel {
        return crate::in_kernel::call(k, caller, target, wants_reply);
    }
    if args.timeout() == 0 {
        k.tasks[caller].lease_count = 0;
        return SyscallError::WouldBlock.into();
    }
    k.sends += 1;
    let (deadline, order) = (deadline(args.timeout()), k.sends);
    k.sched.park(&mut k.tasks, caller, TaskState::Sending { to, wants_reply, deadline, order });
    k.sched.switch_away();
    Outcome::Blocked
}

/// `receive` from `caller`: `from_word` is a task id, `ANY_TASK`, or `KERNEL_SENDER` (for
/// notifications only).
pub fn receive(k: &mut Kernel, caller: usize, from_word: u64, timeout: u64) -> Outcome {
    let from = if from_word == ANY_TASK {
        None
    } else if from_word == KERNEL_SENDER.to_raw() {
        // A closed receive on the kernel: wait for notifications only (a driver waiting
        // for its device's interrupt in the middle of a request).
        Some(KERNEL_SENDER)
    } else {
        let Some(id) = TaskId::from_raw(from_word) else {
            return SyscallError::InvalidArgument.into();
        };
        match k.resolve(id) {
            Ok(index) if index == caller => return SyscallError::InvalidArgument.into(), // never
            Ok(_) => {}
            Err(error) => return error.into(),
        }
        Some(id)
    };
    // One slice for the whole path: its length stays in a register, so each bounds check
    // below is a compare, not a reload.
    let Kernel { tasks, sched, .. } = k;
    let tasks = tasks.as_mut_slice();
    let takes_notifications = from.is_none_or(|from| from == KERNEL_SENDER);
    let me = &mut tasks[caller];
    if takes_notifications && me.notifications != 0 {
        let bits = core::mem::take(&mut me.notifications);
        write_notification(&mut me.saved, bits, me.research.interrupt_time);
        return Outcome::Written;
    }
    let my_id = me.id;
    let waiting = (0..tasks.len()).filter_map(|i| match tasks[i].state {
        TaskState::Sending { to, order, .. }
            if to == my_id && from.is_none_or(|f| f == tasks[i].id) =>
        {
            Some((i, tasks[i].spec.priority, order))
        }
        _ => None,
    });
    if let Some(sender) = first_come_first_served(waiting) {
        let TaskState::Sending { wants_reply, deadline, .. } = tasks[sender].state else {
            unreachable!("the sender was chosen among tasks in `Sending`")
        };
        let sender_id = tasks[sender].id;
        let lent = Lent::of(&tasks[sender]);
        let message = tasks[sender].saved.ipc_args();
        let (_, op) = message.target();
        trace::message(tasks, message_kind(wants_reply), sender, caller, op, &message.payload());
        write_message(&mut tasks[caller].saved, sender_id, op, message.payload(), lent);
        if wants_reply {
            // The call's timeout runs on while it waits for the answer.
            sched.park(tasks, sender, TaskState::AwaitingReply { from: my_id, deadline });
        } else {
            let saved = &mut tasks[sender].saved;
            (saved.rax, saved.rdx) = (0, 0);
            sched.make_ready(tasks, sender);
        }
        return Outcome::Written;
    }
    if timeout == 0 {
        return SyscallError::WouldBlock.into();
    }
    // An armed fault fires when the task waits for a message: it resumes, with that message,
    // at the fault's snippet instead of after its `receive`, or with the state it corrupted.
    if hooks::armed(&tasks[caller], Point::ReceiveWait)
        && hooks::run(k, caller, At::ReceiveWait) == Verdict::Ended
    {
        return Outcome::Blocked; // killed: nobody resumes it
    }
    let waiting = TaskState::Receiving { from, deadline: deadline(timeout) };
    k.sched.park(&mut k.tasks, caller, waiting);
    k.sched.switch_away();
    Outcome::Blocked
}

/// `reply` from `caller` to a task waiting in `call` on it.
pub fn reply(k: &mut Kernel, caller: usize) -> Outcome {
    let args = k.tasks[caller].saved.ipc_args();
    let (to, op) = args.target();
    let target = match k.resolve(to) {
        Ok(target) => target,
        Err(error) => return error.into(),
    };
    let tasks = k.tasks.as_mut_slice(); // as in `send`
    let my_id = tasks[caller].id;
    if !tasks[target].state.awaits_reply_from(my_id) {
        return SyscallError::InvalidArgument.into();
    }
    trace::message(tasks, Kind::Reply, caller, target, op, &args.payload());
    write_message(&mut tasks[target].saved, my_id, op, args.payload(), Lent::NONE);
    tasks[target].lease_count = 0;
    if hooks::armed(&tasks[caller], Point::Reply) {
        hooks::run(k, caller, At::Reply { client: target });
    }
    k.sched.make_ready(&mut k.tasks, target);
    Outcome::Value(0)
}

/// `reply_receive`: reply (a caller that has gone is no error here), then receive.
pub fn reply_receive(k: &mut Kernel, caller: usize) -> Outcome {
    let args = k.tasks[caller].saved.ipc_args();
    let _ = reply(k, caller);
    receive(k, caller, args.reply_receive_from(), args.timeout())
}

/// `notify(task, bits)` from `caller`.
pub fn notify(k: &mut Kernel, caller: usize, target: u64, bits: u64) -> Outcome {
    let Some(id) = TaskId::from_raw(target) else {
        return SyscallError::InvalidArgument.into();
    };
    let target = match k.resolve(id) {
        Ok(target) => target,
        Err(error) => return error.into(),
    };
    if !may_send(&k.tasks[caller], &k.tasks[target]) {
        return SyscallError::Denied.into();
    }
    trace::notified(&k.tasks, caller, target, bits);
    raise_notification(k, target, bits);
    Outcome::Value(0)
}

/// How the trace names a message that does or does not want a reply.
fn message_kind(wants_reply: bool) -> Kind {
    if wants_reply { Kind::Call } else { Kind::Send }
}

/// Whether the manifest lets `from` send to `to`.
#[inline(always)]
pub(super) fn may_send(from: &Task, to: &Task) -> bool {
    let position = to.spec.position;
    position < 64 && from.spec.send_mask & 1 << position != 0
}

/// Takes the leases of the live task `caller`'s `call` into its record: `(r12, r13)` name a
/// lease table and its length, or one lease lent in the registers (`INLINE_LEASE`).
pub(super) fn take_leases(caller: &mut Task, (r12, r13): (u64, u64)) -> Result<(), SyscallError> {
    if r13 & INLINE_LEASE != 0 {
        let lease = lease_in_registers(r12, r13);
        check_leases(core::slice::from_ref(&lease))?;
        caller.leases[0] = lease;
        caller.lease_count = 1;
        return Ok(());
    }
    let (table, count) = (r12, r13);
    let count = usize::try_from(count).map_err(|_| SyscallError::TooLong)?;
    if count > MAX_LEASES {
        return Err(SyscallError::TooLong);
    }
    if count == 0 {
        caller.lease_count = 0;
        return Ok(()); // the common call: nothing to copy
    }
    let mut leases = [Lease::default(); MAX_LEASES];
    let space = caller.space.as_ref().expect("a live task has memory");
    copy_values_from_user(space, table, &mut leases[..count])?;
    check_leases(&leases[..count])?;
    caller.leases = leases;
    caller.lease_count = count;
    Ok(())
}

/// Every lease's access is reading, writing or both (else `InvalidArgument`), and then every
/// range lies in user space (else `BadAddress`); their pages are checked at each copy.
fn check_leases(leases: &[Lease]) -> Result<(), SyscallError> {
    if leases.iter().any(|l| l.access & !(LEASE_READ | LEASE_WRITE) != 0) {
        return Err(SyscallError::InvalidArgument);
    }
    if leases.iter().any(|l| l.address.checked_add(l.length).is_none_or(|end| end > USER_END)) {
        return Err(SyscallError::BadAddress);
    }
    Ok(())
}
