//! The fast path, in the spirit of seL4's `fastpath.c`: the two calls of a request and its
//! answer, when nothing unusual is going on, go from the entry straight to the partner, and a
//! server's lease copies skip the general path's dispatch.
//!
//! - `call` to a task already waiting in `receive` for anyone (or for the caller), more urgent
//!   than the caller: the lease table is taken in as the general path takes it, the message
//!   goes into the receiver's saved registers and the receiver runs.
//! - `reply_receive` from a server to a client waiting for that reply, when the server's
//!   receive would block (no notification pending, no sender waiting) and the client is the
//!   only ready task at its priority or above: the reply goes into the client's saved
//!   registers, the server waits, and the client runs.
//! - `lease_read` and `lease_write`, which never switch: the copy runs as in the general
//!   path, and the server goes on, without the dispatch table and the scheduler's return
//!   path around it (about 60 instructions of each lease call).
//!
//! Each case is exactly what the general path (`ipc.rs` or `leases.rs`, then `switch.rs`)
//! would do in it, minus the decisions it can skip: no dispatch table, no outcome to
//! translate, no search for the next task (the conditions above name it). Anything else (a
//! partner not yet waiting, a closed receive, an armed fault injection, a timeout of zero, a
//! return address outside user space, a lease table the general path would refuse) returns
//! `None` before changing anything the general path would not change the same way, and the
//! general path handles the call from the start, with the same result. The kernel command
//! line's `ipc=general` turns the fast path off, so the tests run the IPC scenarios and the
//! fuzzer both ways. Tracing turns it off too while it records (the trace's hooks are on the
//! general path), so with tracing off the fast path has no check for it.

use super::outcome::finish;
use crate::arch::TrapFrame;
use crate::delivery::{Lent, write_message};
use crate::mm::layout::USER_END;
use crate::research::hooks;
use crate::research::record::Point;
use crate::state::{self, Kernel, deadline};
use crate::switch;
use crate::task::{TaskState, same_id};
use core::sync::atomic::{AtomicBool, Ordering};
use libipc::Sysnum;
use libipc::abi::ANY_TASK;

/// Whether the fast path runs now: configured, and no trace recording.
static ENABLED: AtomicBool = AtomicBool::new(true);
/// Whether the command line allows the fast path.
static CONFIGURED: AtomicBool = AtomicBool::new(true);
/// IPC calls the fast path has handled since boot; counted in the test kernel only.
#[cfg(feature = "guest-tests")]
static TAKEN: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);
/// Lease copies the fast path has handled since boot; counted in the test kernel only.
#[cfg(feature = "guest-tests")]
static LEASE_COPIES: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// Reads `ipc=general` (the fast path off) from the command line; at boot.
pub fn configure(cmdline: &crate::cmdline::Cmdline) {
    let allowed = cmdline.value("ipc") != Some("general");
    CONFIGURED.store(allowed, Ordering::Relaxed);
    ENABLED.store(allowed, Ordering::Relaxed);
}

/// Tracing started (`true`) or stopped: the fast path stands aside while it records.
pub fn set_tracing(on: bool) {
    ENABLED.store(CONFIGURED.load(Ordering::Relaxed) && !on, Ordering::Relaxed);
}

/// Whether the fast path is on, and how many IPC calls it has handled.
#[cfg(feature = "guest-tests")]
pub fn status() -> (bool, u64) {
    (ENABLED.load(Ordering::Relaxed), TAKEN.load(Ordering::Relaxed))
}

/// How many lease copies the fast path has handled.
#[cfg(feature = "guest-tests")]
pub fn lease_copies() -> u64 {
    LEASE_COPIES.load(Ordering::Relaxed)
}

/// Handles the running task's system call if it is one of the fast cases; returns the
/// registers to resume, or `None` for the general path.
///
/// # Safety
/// Only at the start of a system call from ring 3 (see `state::unlocked_in_system_call`).
#[inline(always)]
pub(super) unsafe fn try_fast() -> Option<*const TrapFrame> {
    // SAFETY: the caller's promise; `k` is gone when this returns, before the general path
    // takes the lock.
    let k = unsafe { state::unlocked_in_system_call() };
    // Every return to ring 3 through the scheduler made the switch it had pending (the lean
    // `task_info` exit and an NMI's return change no scheduler state), so a system call
    // starts with none: the cases below decide the next task without a test for it. Checked
    // with the fast path off too, since it holds whatever path the last call took.
    debug_assert!(k.sched.is_steady(), "a system call began with a switch pending");
    if !ENABLED.load(Ordering::Relaxed) {
        return None;
    }
    let caller = k.sched.current;
    let number = k.tasks[caller].saved.rax;
    let resume = if number == Sysnum::Call as u64 {
        call_to_waiting(k, caller)?
    } else if number == Sysnum::ReplyReceive as u64 {
        reply_then_wait(k, caller)?
    } else if number == Sysnum::LeaseRead as u64 || number == Sysnum::LeaseWrite as u64 {
        // Tested after the two IPC cases, so a round trip pays nothing for it.
        core::hint::cold_path();
        return lease_copy(k, caller, number == Sysnum::LeaseWrite as u64);
    } else {
        return None;
    };
    k.sched.check_fast_switch(&k.tasks);
    #[cfg(feature = "guest-tests")]
    TAKEN.store(TAKEN.load(Ordering::Relaxed) + 1, Ordering::Relaxed); // one CPU, IF off
    Some(resume)
}

/// `call` to a receiver already waiting: the receiver's registers to resume, or `None` for the
/// general path.
#[inline(always)]
fn call_to_waiting(k: &mut Kernel, caller: usize) -> Option<*const TrapFrame> {
    // The table as one slice and the two records as two references, taken once: each field
    // below is then one load, with no reload of the table or bounds check in between.
    let Kernel { tasks, sched, .. } = k;
    let tasks = tasks.as_mut_slice();
    let args = tasks[caller].saved.ipc_args();
    let (to, op) = args.target();
    let target = usize::from(to.index);
    let [me, them] = tasks.get_disjoint_mut([caller, target]).ok()?; // not to itself
    let takes_it = match them.state {
        TaskState::Receiving { from, .. } => from.is_none_or(|from| same_id(from, me.id)),
        _ => false,
    };
    let fits = takes_it
        && same_id(them.id, to) // the live task the caller named (a waiting task is alive)
        && super::ipc::may_send(me, them)
        && them.spec.priority < me.spec.priority
        && them.saved.rip < USER_END
        && !hooks::armed(me, Point::SyscallEntry);
    if !fits {
        return None;
    }
    // The same copy and checks as the general path's; a refused table goes back to it, which
    // refuses it again and says why.
    let (table, count) = args.lease_table();
    if count == 0 {
        me.lease_count = 0; // inline: the common call, without leases
    } else {
        super::ipc::take_leases(me, (table, count)).ok()?;
    }
    me.stats.syscalls += 1;
    // The payload and timeout read from the record here, not kept in registers across the
    // checks above (where the compiler had to spill them).
    let args = me.saved.ipc_args();
    write_message(&mut them.saved, me.id, op, args.payload(), Lent::of(me));
    let waiting = TaskState::AwaitingReply { from: to, deadline: deadline(args.timeout()) };
    sched.trade_places(me, waiting, them, target);
    // SAFETY: `fits` checked the return address, and nothing since wrote it.
    Some(unsafe { switch::hand_over(them) })
}

/// `reply_receive` whose receive would wait: the registers of the client replied to, or
/// `None`.
#[inline(always)]
fn reply_then_wait(k: &mut Kernel, server: usize) -> Option<*const TrapFrame> {
    let Kernel { tasks, sched, .. } = k; // as in `call_to_waiting`
    let tasks = tasks.as_mut_slice();
    let args = tasks[server].saved.ipc_args();
    let (to, op) = args.target();
    let client = usize::from(to.index);
    let my_id = tasks[server].id;
    // A sender waiting for this server would be received next: the general path's case.
    if sched.any_sender_waits() && tasks.iter().any(|t| t.state.sends_to(my_id)) {
        return None;
    }
    let [me, them] = tasks.get_disjoint_mut([server, client]).ok()?;
    let research = Point::SyscallEntry as u8 | Point::Reply as u8 | Point::ReceiveWait as u8;
    let fits = them.state.awaits_reply_from(my_id)
        && same_id(them.id, to)
        && args.reply_receive_from() == ANY_TASK
        && args.timeout() != 0
        && me.notifications == 0
        && them.saved.rip < USER_END
        && me.research.armed & research == 0
        && !sched.rival_ready(them.spec.priority); // neither of the two is in the ready set
    if !fits {
        return None;
    }
    me.stats.syscalls += 1;
    write_message(&mut them.saved, my_id, op, args.payload(), Lent::NONE);
    them.lease_count = 0;
    let waiting = TaskState::Receiving { from: None, deadline: deadline(args.timeout()) };
    sched.trade_places(me, waiting, them, client);
    // SAFETY: as in `call_to_waiting`.
    Some(unsafe { switch::hand_over(them) })
}

/// `lease_read` or `lease_write` (`write`): the general path's handler and result, then the
/// same task goes on. Whatever the copy's outcome (an error included), it is the one the
/// general path would give, since nothing between its entry and the handler changes the
/// call: no fault armed at the entry, a return to user space (and no switch is pending at the
/// start of a system call, `try_fast`).
#[inline(always)]
fn lease_copy(k: &mut Kernel, server: usize, write: bool) -> Option<*const TrapFrame> {
    let task = &k.tasks[server];
    if hooks::armed(task, Point::SyscallEntry) || task.saved.rip >= USER_END {
        return None;
    }
    let outcome = super::leases::copy(k, server, write);
    let task = &mut k.tasks[server];
    task.stats.syscalls += 1;
    finish(&mut task.saved, outcome);
    #[cfg(feature = "guest-tests")]
    LEASE_COPIES.store(LEASE_COPIES.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
    Some(&task.saved)
}
