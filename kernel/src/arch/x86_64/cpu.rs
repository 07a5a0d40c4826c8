//! Small privileged-instruction helpers.

use ::x86_64::instructions::{self, interrupts};
use ::x86_64::registers::control::{Cr0, Cr0Flags, Cr2};
use ::x86_64::registers::model_specific::{Efer, EferFlags};

/// Sets EFER.NXE (so no-execute page bits are honoured) and CR0.WP (so ring 0 also respects
/// read-only pages). The bootloader usually leaves both on; the kernel does not rely on that.
pub fn enable_protection_bits() {
    // SAFETY: NXE only makes the NO_EXECUTE bit meaningful, and the kernel never sets it on a
    // page it executes; WP only adds write checks for ring 0.
    unsafe {
        Efer::update(|flags| flags.insert(EferFlags::NO_EXECUTE_ENABLE));
        Cr0::update(|flags| flags.insert(Cr0Flags::WRITE_PROTECT));
    }
}

pub fn enable_interrupts() {
    interrupts::enable();
}

pub fn disable_interrupts() {
    interrupts::disable();
}

/// Runs `f` with interrupts disabled, restoring the previous state afterwards.
pub fn without_interrupts<R>(f: impl FnOnce() -> R) -> R {
    interrupts::without_interrupts(f)
}

/// The address of the last page fault.
pub fn fault_address() -> u64 {
    Cr2::read_raw()
}

/// Waits for interrupts forever: the idle loop until there is a scheduler.
#[cfg_attr(feature = "guest-tests", allow(dead_code))] // the test kernel exits instead
pub fn idle_forever() -> ! {
    loop {
        instructions::hlt();
    }
}

/// Stops the CPU for good: interrupts off, then halt.
pub fn halt_forever() -> ! {
    interrupts::disable();
    loop {
        instructions::hlt();
    }
}
