//! The ring-3 fault snippets of `crate::inject`, executed by the kernel itself: what the same
//! faulty instruction does when a driver is part of the kernel.

use core::arch::asm;
use libipc::abi::{INJECT_DIVZERO, INJECT_HANG, INJECT_NULLPTR, INJECT_PRIVILEGED, INJECT_STACK};

/// Runs the faulty instruction of `kind`. Most never return: the CPU raises an exception in
/// ring 0, which the kernel cannot pin on anybody, so it stops (`trap::kernel_exception`).
pub fn fault(kind: u64) {
    match kind {
        // SAFETY: none of these is safe, by design: each is the fault being injected. They
        // touch no Rust-visible state, and the asm declares every register it clobbers.
        INJECT_NULLPTR => unsafe { asm!("mov rax, qword ptr [0]", out("rax") _) },
        // Ring 0 may run `cli`: nothing happens at all (interrupts are already off here),
        // which is the point: a kernel cannot tell a driver's privileged mistake from its
        // own code.
        // SAFETY: as above; `cli` only clears the interrupt flag, already clear in the kernel.
        INJECT_PRIVILEGED => unsafe { asm!("cli") },
        // SAFETY: as above; the division by zero raises #DE before any register changes.
        INJECT_DIVZERO => unsafe {
            asm!("xor ecx, ecx", "div ecx", out("eax") _, out("ecx") _, out("edx") _)
        },
        // With interrupts off, nothing ever runs again: not the timer, not a watchdog.
        INJECT_HANG => loop {
            core::hint::spin_loop();
        },
        // SAFETY: as above; pushes run the trap stack into whatever lies below it until a
        // write faults, and the fault cannot be delivered on the broken stack (#DF).
        INJECT_STACK => unsafe { asm!("2:", "push rax", "jmp 2b", options(noreturn)) },
        _ => {}
    }
}
