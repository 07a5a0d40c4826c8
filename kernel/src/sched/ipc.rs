//! Synchronous message passing: send, receive, call, reply, notifications, leases.
//!
//! Rendezvous only: a message waits in its sender's saved registers, never in a kernel queue,
//! so memory use does not grow with what tasks do. Delivery copies the operation code and four
//! payload words from one task's registers to the other's (the layout is in
//! `libipc::abi`, "IPC registers"). A blocked task's registers are in `Task::saved`; the
//! running task's are the live trap frame.

use super::Scheduler;
use crate::arch::TrapFrame;
use crate::mm::layout::USER_END;
use crate::task::{Injection, TaskState};
use crate::usercopy::{UserSlice, copy_from_user, copy_to_user, copy_values_from_user};
use libipc::abi::{
    ANY_TASK, INJECT_CORRUPT_REPLY, INJECT_FLIP_MEMORY, INJECT_FLIP_REGISTER, INJECT_KILL,
    INJECT_SKIP, KERNEL_SENDER, LEASE_READ, LEASE_WRITE, Lease, MAX_LEASES, OP_NOTIFICATION,
    pack_target, unpack_target,
};
use libipc::{SyscallError, TaskId};

/// How a system call ends for the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Success with a value for `rdx`.
    Value(u64),
    /// Success; the handler has already written the result registers (a received message).
    Written,
    /// Failure: the error code for `rax` and a detail for `rdx`.
    Error(SyscallError, u64),
    /// The caller is blocked; whoever wakes it writes its result registers.
    Blocked,
}

impl From<SyscallError> for Outcome {
    fn from(error: SyscallError) -> Self {
        Outcome::Error(error, 0)
    }
}

impl From<(SyscallError, u64)> for Outcome {
    fn from((error, detail): (SyscallError, u64)) -> Self {
        Outcome::Error(error, detail)
    }
}

/// Bytes moved per step of a lease copy (through a buffer on the trap stack).
const LEASE_CHUNK: usize = 512;

impl Scheduler {
    /// `send` (`wants_reply` false) or `call` (true) from the running task.
    pub fn ipc_send(&mut self, live: &mut TrapFrame, wants_reply: bool) -> Outcome {
        let me = self.current;
        let (to, _) = unpack_target(live.rdi);
        let target = match self.resolve(to) {
            Ok(target) => target,
            Err(error) => return error.into(),
        };
        if target == me {
            return SyscallError::InvalidArgument.into(); // it could never be received
        }
        if !self.may_send(me, target) {
            return SyscallError::Denied.into();
        }
        if wants_reply {
            if let Err(error) = self.take_leases(live) {
                return error.into();
            }
        }
        let my_id = self.tasks[me].id;
        if let TaskState::Receiving { from, .. } = self.tasks[target].state {
            if from.is_none_or(|from| from == my_id) {
                let count = self.tasks[me].lease_count as u64;
                write_message(&mut self.tasks[target].saved, my_id, live, count);
                self.make_ready(target);
                if self.tasks[target].spec.priority < self.tasks[me].spec.priority {
                    // The sender was the most urgent ready task; now the receiver is.
                    self.next_hint = Some(target);
                }
                if !wants_reply {
                    return Outcome::Value(0);
                }
                self.tasks[me].state = TaskState::AwaitingReply { from: to };
                self.switch_pending = true;
                return Outcome::Blocked;
            }
        }
        if self.tasks[target].state == TaskState::InKernel {
            return self.call_builtin(target, live, wants_reply);
        }
        if live.r9 == 0 {
            self.tasks[me].lease_count = 0;
            return SyscallError::WouldBlock.into();
        }
        self.tasks[me].state =
            TaskState::Sending { to, wants_reply, deadline: Self::deadline(live.r9) };
        self.switch_pending = true;
        Outcome::Blocked
    }

    /// `receive` from the running task: `from_word` is a task id or `ANY_TASK`.
    pub fn ipc_receive(&mut self, live: &mut TrapFrame, from_word: u64, timeout: u64) -> Outcome {
        let me = self.current;
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
            match self.resolve(id) {
                Ok(index) if index == me => return SyscallError::InvalidArgument.into(), // never
                Ok(_) => {}
                Err(error) => return error.into(),
            }
            Some(id)
        };
        let takes_notifications = from.is_none_or(|from| from == KERNEL_SENDER);
        if takes_notifications && self.tasks[me].notifications != 0 {
            let bits = core::mem::take(&mut self.tasks[me].notifications);
            write_notification(live, bits, self.tasks[me].interrupt_time);
            return Outcome::Written;
        }
        let my_id = self.tasks[me].id;
        let sender = (0..self.tasks.len())
            .filter(|&i| match self.tasks[i].state {
                TaskState::Sending { to, .. } => {
                    to == my_id && from.is_none_or(|f| f == self.tasks[i].id)
                }
                _ => false,
            })
            .min_by_key(|&i| self.tasks[i].spec.priority);
        if let Some(sender) = sender {
            let TaskState::Sending { wants_reply, .. } = self.tasks[sender].state else {
                unreachable!()
            };
            let sender_id = self.tasks[sender].id;
            let count = self.tasks[sender].lease_count as u64;
            let sender_registers = self.tasks[sender].saved.clone();
            write_message(live, sender_id, &sender_registers, count);
            if wants_reply {
                self.tasks[sender].state = TaskState::AwaitingReply { from: my_id };
            } else {
                let saved = &mut self.tasks[sender].saved;
                (saved.rax, saved.rdx) = (0, 0);
                self.make_ready(sender);
            }
            return Outcome::Written;
        }
        if timeout == 0 {
            return SyscallError::WouldBlock.into();
        }
        // An armed fault fires when the task waits for a message (after letting `after`
        // waits pass): it resumes, with that message, at the fault's snippet instead of after
        // its `receive`, or with the state the fault corrupted.
        if let Some(mut injection) = self.tasks[me].injected.take() {
            if injection.after > 0 {
                injection.after -= 1;
                self.tasks[me].injected = Some(injection);
            } else if !self.fire_injection(me, injection, live) {
                return Outcome::Blocked; // killed: nobody resumes it
            }
        }
        self.tasks[me].state = TaskState::Receiving { from, deadline: Self::deadline(timeout) };
        self.switch_pending = true;
        Outcome::Blocked
    }

    /// `reply` from the running task to a task waiting in `call` on it.
    pub fn ipc_reply(&mut self, live: &TrapFrame) -> Outcome {
        let (to, _) = unpack_target(live.rdi);
        let target = match self.resolve(to) {
            Ok(target) => target,
            Err(error) => return error.into(),
        };
        let my_id = self.tasks[self.current].id;
        if self.tasks[target].state != (TaskState::AwaitingReply { from: my_id }) {
            return SyscallError::InvalidArgument.into();
        }
        write_message(&mut self.tasks[target].saved, my_id, live, 0);
        if let Some(seed) = self.tasks[self.current].corrupt_reply.take() {
            crate::inject::corrupt_reply(&mut self.tasks[target].saved, seed);
        }
        self.tasks[target].lease_count = 0;
        self.make_ready(target);
        Outcome::Value(0)
    }

    /// `reply_receive`: reply (a caller that has gone is no error here), then receive.
    pub fn ipc_reply_receive(&mut self, live: &mut TrapFrame) -> Outcome {
        let _ = self.ipc_reply(live);
        let (from, timeout) = (live.r12, live.r9);
        self.ipc_receive(live, from, timeout)
    }

    /// `notify(task, bits)` from the running task.
    pub fn ipc_notify(&mut self, target: u64, bits: u64) -> Outcome {
        let Some(id) = TaskId::from_raw(target) else {
            return SyscallError::InvalidArgument.into();
        };
        let target = match self.resolve(id) {
            Ok(target) => target,
            Err(error) => return error.into(),
        };
        if !self.may_send(self.current, target) {
            return SyscallError::Denied.into();
        }
        self.raise_notification(target, bits);
        Outcome::Value(0)
    }

    /// Sets notification `bits` of `index`, delivering them at once if it waits in an open
    /// receive. Used by `notify`, interrupts, and the kernel's task-ended notice.
    pub(super) fn raise_notification(&mut self, index: usize, bits: u64) {
        let task = &mut self.tasks[index];
        task.notifications |= bits;
        if let TaskState::Receiving { from: None | Some(KERNEL_SENDER), .. } = task.state {
            let bits = core::mem::take(&mut task.notifications);
            write_notification(&mut task.saved, bits, task.interrupt_time);
            self.make_ready(index);
        }
    }

    /// Lease `index` of `caller`, which must be waiting in `call` on the running task.
    fn lent_lease(&self, caller: u64, index: u64) -> Result<(usize, Lease), Outcome> {
        let caller_id =
            TaskId::from_raw(caller).ok_or(Outcome::from(SyscallError::InvalidArgument))?;
        let caller = self.resolve(caller_id).map_err(Outcome::from)?;
        let me = self.tasks[self.current].id;
        let lent_to_me = self.tasks[caller].state == (TaskState::AwaitingReply { from: me });
        match usize::try_from(index) {
            Ok(i) if lent_to_me && i < self.tasks[caller].lease_count => {
                Ok((caller, self.tasks[caller].leases[i]))
            }
            _ => Err(SyscallError::BadLease.into()),
        }
    }

    /// `lease_info(caller, index)`: the lease's length in `rdx`, its access bits in `r10`.
    pub fn ipc_lease_info(&mut self, live: &mut TrapFrame) -> Outcome {
        match self.lent_lease(live.rdi, live.rsi) {
            Ok((_, lease)) => {
                (live.rax, live.rdx, live.r10) = (0, lease.length, lease.access);
                Outcome::Written
            }
            Err(outcome) => outcome,
        }
    }

    /// `lease_read` (`write` false) or `lease_write` (true) by the running task.
    pub fn ipc_lease_copy(&mut self, args: [u64; 5], write: bool) -> Outcome {
        let [caller, index, offset, buffer, length] = args;
        let me = self.current;
        let (caller, lease) = match self.lent_lease(caller, index) {
            Ok(found) => found,
            Err(outcome) => return outcome,
        };
        let access = if write { LEASE_WRITE } else { LEASE_READ };
        if !lease.permits(offset, length, access) {
            return SyscallError::BadLease.into();
        }
        let mut chunk = [0u8; LEASE_CHUNK];
        let mut done = 0;
        while done < length {
            let step = (length - done).min(LEASE_CHUNK as u64);
            let bytes = &mut chunk[..step as usize];
            let in_lease = UserSlice::new(lease.address + offset + done, step);
            let in_buffer = UserSlice::new(buffer.wrapping_add(done), step);
            let (lender, borrower) = (self.space_of(caller), self.space_of(me));
            // The lender's memory going bad is the lender's fault: `BadLease` for the server.
            let moved = if write {
                copy_from_user(borrower, in_buffer, bytes).and_then(|()| {
                    copy_to_user(lender, in_lease, bytes).map_err(|_| SyscallError::BadLease)
                })
            } else {
                copy_from_user(lender, in_lease, bytes)
                    .map_err(|_| SyscallError::BadLease)
                    .and_then(|()| copy_to_user(borrower, in_buffer, bytes))
            };
            if let Err(error) = moved {
                return error.into();
            }
            done += step;
        }
        Outcome::Value(length)
    }

    /// Copies the lease table named by `r12`/`r13` of the running task into its record.
    fn take_leases(&mut self, live: &TrapFrame) -> Result<(), SyscallError> {
        let me = self.current;
        let count = usize::try_from(live.r13).map_err(|_| SyscallError::TooLong)?;
        if count > MAX_LEASES {
            return Err(SyscallError::TooLong);
        }
        if count == 0 {
            self.tasks[me].lease_count = 0;
            return Ok(()); // the common call: nothing to copy
        }
        let mut table = [Lease::default(); MAX_LEASES];
        copy_values_from_user(self.space_of(me), live.r12, &mut table[..count])?;
        if table[..count].iter().any(|l| l.access & !(LEASE_READ | LEASE_WRITE) != 0) {
            return Err(SyscallError::InvalidArgument);
        }
        // Every lent range must lie in user space; its pages are checked at each copy.
        if table[..count]
            .iter()
            .any(|l| l.address.checked_add(l.length).is_none_or(|end| end > USER_END))
        {
            return Err(SyscallError::BadAddress);
        }
        self.tasks[me].leases = table;
        self.tasks[me].lease_count = count;
        Ok(())
    }

    /// Makes the armed fault happen to `index`, whose registers (`registers`, as it will
    /// resume from its `receive`) are given: a jump to the fault's snippet, the corruption, or
    /// (`kill`) its end. False when the task was ended.
    #[cold]
    pub(super) fn fire_injection(
        &mut self,
        index: usize,
        injection: Injection,
        registers: &mut TrapFrame,
    ) -> bool {
        let task = &mut self.tasks[index];
        let what = match injection.kind {
            INJECT_KILL => "ended",
            INJECT_FLIP_REGISTER => crate::inject::flip_register(registers, injection.seed),
            INJECT_CORRUPT_REPLY => {
                task.corrupt_reply = Some(injection.seed);
                "its next reply will carry a flipped bit"
            }
            INJECT_SKIP => {
                task.skip_syscall = true;
                "its next system call will be skipped"
            }
            INJECT_FLIP_MEMORY => match task.space.as_ref() {
                Some(space) => crate::inject::flip_memory(space, task.data.clone(), injection.seed),
                None => "no memory",
            },
            kind => match crate::inject::entry(kind) {
                Some(rip) => {
                    registers.rip = rip;
                    "resumes at the fault's code"
                }
                None => "nothing to do",
            },
        };
        log::info!(
            "task {} ({}): injected fault {} fired at its receive: {what}",
            task.name,
            task.id,
            libipc::abi::INJECT_KINDS.get(injection.kind as usize).unwrap_or(&"?")
        );
        if injection.kind == INJECT_KILL {
            self.kill(index);
            return false;
        }
        true
    }

    fn may_send(&self, from: usize, to: usize) -> bool {
        let position = self.tasks[to].position;
        position < 64 && self.tasks[from].send_mask & 1 << position != 0
    }

    fn space_of(&self, index: usize) -> &crate::arch::paging::AddressSpace {
        self.tasks[index].space.as_ref().expect("a live task has memory")
    }
}

/// Writes a delivered message into `registers`: status 0, sender and operation, payload,
/// lease count. `message` holds the sender's registers.
fn write_message(registers: &mut TrapFrame, sender: TaskId, message: &TrapFrame, leases: u64) {
    let (_, op) = unpack_target(message.rdi);
    registers.rax = 0;
    registers.rdi = pack_target(sender, op);
    (registers.rsi, registers.rdx, registers.r10, registers.r8) =
        (message.rsi, message.rdx, message.r10, message.r8);
    registers.r9 = leases;
}

/// A notification message: the bits in payload word 0, the time of the last forwarded
/// interrupt in word 1.
fn write_notification(registers: &mut TrapFrame, bits: u64, interrupt_time: u64) {
    registers.rax = 0;
    registers.rdi = pack_target(KERNEL_SENDER, OP_NOTIFICATION);
    (registers.rsi, registers.rdx, registers.r10, registers.r8, registers.r9) =
        (bits, interrupt_time, 0, 0, 0);
}
