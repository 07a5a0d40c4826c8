//! One instruction watched with the CPU's first debug register: an execution breakpoint in
//! DR0, enabled in DR7, raises a debug exception just before the instruction at its address
//! runs (in any task, or in the kernel). Fault injection uses it to learn whether a mutated
//! instruction ever ran.

use ::x86_64::registers::debug::{
    BreakpointCondition, BreakpointSize, DebugAddressRegister, DebugAddressRegisterNumber, Dr0,
    Dr6, Dr6Flags, Dr7, Dr7Flags, Dr7Value,
};

/// RFLAGS.RF: the instruction an `iretq` returns to runs once without its breakpoint firing.
pub const RESUME_FLAG: u64 = 1 << 16;

/// Watches the instruction at `address` (replacing any watch).
pub fn watch(address: u64) {
    Dr0::write(address);
    let mut control = Dr7Value::from(Dr7Flags::LOCAL_BREAKPOINT_0_ENABLE);
    control
        .set_condition(DebugAddressRegisterNumber::Dr0, BreakpointCondition::InstructionExecution);
    control.set_size(DebugAddressRegisterNumber::Dr0, BreakpointSize::Length1B);
    Dr7::write(control);
}

/// Watches nothing.
pub fn unwatch() {
    Dr7::write(Dr7Value::from(Dr7Flags::empty()));
}

/// Whether the debug exception being handled is the watched instruction's; says so once (the
/// CPU never clears DR6's status bits itself).
pub fn take_hit() -> bool {
    let hit = Dr6::read().contains(Dr6Flags::TRAP0);
    if hit {
        // SAFETY: DR6 holds only status bits; writing them back cleared changes nothing the
        // CPU relies on, and nothing else reads them.
        unsafe {
            let cleared = Dr6::read_raw() & !Dr6Flags::TRAP0.bits();
            core::arch::asm!("mov dr6, {}", in(reg) cleared, options(nomem, nostack, preserves_flags));
        }
    }
    hit
}
