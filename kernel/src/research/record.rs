//! What fault injection and the benchmarks keep per task: one sub-record of `Task`. The
//! injection state is armed by the `inject` system call and fired by `research::hooks`; the
//! loader records `data`, and interrupt forwarding stamps `interrupt_time`.

use core::ops::Range;

/// An armed fault: its kind, how many more waits for a message before it fires, and the seed
/// that picks what a corruption fault changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Injection {
    pub kind: u64,
    pub after: u16,
    pub seed: u64,
}

/// The hook points a task may have work at, as bits of `Research::armed`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Point {
    /// Every system call of the task, before it is decoded (an injected `skip`).
    SyscallEntry = 1 << 0,
    /// The task is about to block in `receive` (an armed fault fires here).
    ReceiveWait = 1 << 1,
    /// The task has just replied (an injected `badreply` flips a bit of the reply).
    Reply = 1 << 2,
}

/// A fault that fires midway (`research::midway`): after `left` more of the task's
/// instructions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Countdown {
    pub left: u32,
    pub injection: Injection,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Research {
    /// `Point` bits with work waiting: the only field the hot paths read.
    pub armed: u8,
    /// The fault waiting at `ReceiveWait`.
    pub injection: Option<Injection>,
    /// The seed of the bit to flip at `Reply`.
    pub reply_seed: u64,
    /// The fault counting down the task's instructions, while the kernel single-steps it.
    pub countdown: Option<Countdown>,
    /// Where the task's writable data lies (for `INJECT_FLIP_MEMORY`).
    pub data: Range<u64>,
    /// Where the task's code lies (for `INJECT_MUTATE`).
    pub code: Range<u64>,
    /// Time-stamp counter when an interrupt was last forwarded to this task; delivered with
    /// notifications (payload word 1) so a driver can measure its own wake-up latency.
    pub interrupt_time: u64,
}

impl Research {
    /// Arms `point`, so the task's next pass there runs the hook's slow path.
    pub fn arm(&mut self, point: Point) {
        self.armed |= point as u8;
    }

    /// Disarms `point`: its work is done.
    pub fn disarm(&mut self, point: Point) {
        self.armed &= !(point as u8);
    }

    /// Arms `injection` to fire at the task's next wait for a message.
    pub fn arm_injection(&mut self, injection: Injection) {
        self.injection = Some(injection);
        self.arm(Point::ReceiveWait);
    }
}
