//! The one hook point: where the kernel's paths meet fault injection.
//!
//! Each path that needs it tests one byte of the task's `Research` record (`armed`, inlined);
//! everything else (`run`) is out of line and cold, so a path with no armed task reads and
//! costs as if the hook were not there. `At` names the three points.

use super::inject;
use super::record::{Injection, Point};
use crate::lifecycle::kill;
use crate::state::Kernel;
use crate::task::Task;
use libipc::abi::{
    INJECT_CORRUPT_REPLY, INJECT_FLIP_MEMORY, INJECT_FLIP_REGISTER, INJECT_KILL, INJECT_KINDS,
    INJECT_SKIP,
};

/// Where a path is, and what the hook may change there.
pub enum At {
    /// A system call of the running task, before it is decoded.
    SyscallEntry,
    /// The task is about to block in `receive`; its saved registers are what it will resume
    /// with.
    ReceiveWait,
    /// The task has just replied to the task in slot `client`.
    Reply { client: usize },
}

/// What the path does next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Continue,
    /// Skip the system call: it returns with the registers as they were.
    Skip,
    /// The task was ended (an injected `kill`): nobody resumes it.
    Ended,
}

/// The hook's whole cost on a path with nothing armed: one byte of a task record the path
/// already holds. Every hook point reads `if armed(task, point) { run(...) }`.
#[inline(always)]
pub fn armed(task: &Task, point: Point) -> bool {
    task.research.armed & point as u8 != 0
}

/// Runs what `task` has armed at `at` (called only when `armed` says so).
#[cold]
#[inline(never)]
pub fn run(k: &mut Kernel, task: usize, at: At) -> Verdict {
    let research = &mut k.tasks[task].research;
    match at {
        At::SyscallEntry => {
            research.disarm(Point::SyscallEntry);
            Verdict::Skip
        }
        At::Reply { client } => {
            research.disarm(Point::Reply);
            let seed = research.reply_seed;
            inject::corrupt_reply(&mut k.tasks[client].saved, seed);
            Verdict::Continue
        }
        At::ReceiveWait => {
            let Some(mut injection) = research.injection.take() else {
                research.disarm(Point::ReceiveWait);
                return Verdict::Continue;
            };
            if injection.after > 0 {
                injection.after -= 1;
                research.injection = Some(injection);
                return Verdict::Continue;
            }
            research.disarm(Point::ReceiveWait);
            fire(k, task, injection, "at its receive")
        }
    }
}

/// Makes `injection` happen to `task`, which will resume with its saved registers (it waits in
/// `receive`, or `moment` is midway through its work): a jump to the fault's snippet, the
/// corruption, or (`kill`) its end.
#[cold]
pub fn fire(k: &mut Kernel, task: usize, injection: Injection, moment: &str) -> Verdict {
    let record = &mut k.tasks[task];
    let registers = &mut record.saved;
    let what = match injection.kind {
        INJECT_KILL => "ended",
        INJECT_FLIP_REGISTER => inject::flip_register(registers, injection.seed),
        INJECT_CORRUPT_REPLY => {
            record.research.reply_seed = injection.seed;
            record.research.arm(Point::Reply);
            "its next reply will carry a flipped bit"
        }
        INJECT_SKIP => {
            record.research.arm(Point::SyscallEntry);
            "its next system call will be skipped"
        }
        INJECT_FLIP_MEMORY => match record.space.as_ref() {
            Some(space) => inject::flip_memory(space, record.research.data.clone(), injection.seed),
            None => "no memory",
        },
        kind => match inject::entry(kind) {
            Some(rip) => {
                registers.rip = rip;
                "resumes at the fault's code"
            }
            None => "nothing to do",
        },
    };
    log::info!(
        "task {} ({}): injected fault {} fired {moment}: {what}",
        record.name,
        record.id,
        INJECT_KINDS.get(injection.kind as usize).unwrap_or(&"?")
    );
    if injection.kind == INJECT_KILL {
        kill(k, task);
        return Verdict::Ended;
    }
    Verdict::Continue
}
