//! Faults that fire midway: after a count of the target's own instructions, wherever that
//! falls, instead of at its wait for a message. A server runs only while it handles a message,
//! so the fault lands inside a request, half done, where a fault at the wait never does.
//!
//! The kernel counts the instructions by single-stepping the task: `arm` sets the trap flag
//! (RFLAGS.TF) in its saved registers, so each instruction it executes in ring 3 ends in a
//! debug exception, which `on_single_step` counts. At the last one the fault fires as at a wait
//! (`hooks::fire`: a jump to its snippet, a flipped bit, the task's end), and the flag goes.
//! `syscall` clears TF through `FMASK` and `sysretq` restores it, so the kernel's own
//! instructions are never counted, and under `-icount` the fault lands on the same instruction
//! of the same request every run. Each counted instruction costs a trap (a few hundred
//! instructions of the kernel), paid only by the task being counted.

use super::hooks;
use super::record::{Countdown, Injection};
use crate::arch::cpu::TRAP_FLAG;
use crate::state::{self, Kernel};

/// Arms `injection` in the task in `index`, which is not running, to fire after `instructions`
/// (at least 1) more of its own instructions.
pub fn arm(k: &mut Kernel, index: usize, injection: Injection, instructions: u32) {
    let task = &mut k.tasks[index];
    task.research.countdown = Some(Countdown { left: instructions.max(1), injection });
    task.saved.rflags |= TRAP_FLAG;
}

/// A debug exception from ring 3 in the running task: `true` if it was one counted
/// instruction (and the fault has fired if it was the last), `false` if nobody armed a count
/// (the task set TF itself), which makes the trap the task's own fault.
pub fn on_single_step() -> bool {
    state::with(|k| {
        let current = k.sched.current;
        let task = &mut k.tasks[current];
        let Some(countdown) = task.research.countdown.as_mut() else {
            return false;
        };
        countdown.left -= 1;
        if countdown.left == 0 {
            let injection = countdown.injection;
            task.research.countdown = None;
            task.saved.rflags &= !TRAP_FLAG;
            let _ = hooks::fire(k, current, injection, "midway");
        }
        true
    })
}
