//! Device interrupts to their drivers: a notification to the owning task, or a call into a
//! driver built into the kernel (the monolithic flavour).

use crate::delivery::raise_notification;
use crate::state::{self, Kernel};

/// An interrupt arrived on `line` (not the timer's): forward it to its owner as a
/// notification, leaving the line masked until the owner calls `irq_ack`. True if it has one.
pub fn interrupt(line: u8) -> bool {
    state::with(|k| forward(k, line) || crate::in_kernel::interrupt(k, line))
}

/// Masks `line` (the caller sends the EOI) and raises the owner's notification bit `line`.
/// False when no task owns it.
fn forward(k: &mut Kernel, line: u8) -> bool {
    let Some(owner) = k.irqs.owner(line) else { return false };
    crate::arch::mask_irq(line);
    k.irqs.note_delivered(line);
    k.tasks[owner].research.interrupt_time = crate::arch::cpu::timestamp();
    crate::trace::interrupt(&k.tasks, line, owner);
    raise_notification(k, owner, 1 << line);
    true
}
