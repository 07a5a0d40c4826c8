//! Small privileged-instruction helpers.

use ::x86_64::instructions::{self, interrupts};
use ::x86_64::registers::control::{Cr0, Cr0Flags, Cr2, Cr4, Cr4Flags};
use ::x86_64::registers::model_specific::{Efer, EferFlags};

/// Sets the control-register bits the kernel's protection relies on:
///
/// - EFER.NXE: the NO_EXECUTE page bit is honoured (data and stacks cannot run).
/// - CR0.WP: ring 0 also respects read-only pages.
/// - CR0.AM: with RFLAGS.AC set, a misaligned access in ring 3 raises an alignment check.
/// - The FPU and SSE are off for everyone: CR0.EM makes x87 instructions raise #NM and SSE
///   instructions #UD, and CR4.OSFXSR stays clear. Kernel and user code are built soft-float
///   (`x86_64-unknown-none`), so no register state beyond the general ones needs saving on a
///   task switch (docs/traps.md, "FPU and SSE").
/// - CR4.SMEP and CR4.SMAP where the CPU model has them: ring 0 may neither run code in user
///   pages nor touch user data through user addresses. The kernel never does either: it
///   reaches user memory only through its physical-memory mapping (`usercopy`), so neither
///   costs anything, and a kernel bug that follows a user pointer faults at once.
pub fn configure_control_registers() {
    let (smep, smap) = user_page_protections();
    // SAFETY: each bit only adds checks (NXE, WP, AM) or disables a unit no code uses (EM,
    // OSFXSR, OSXMMEXCPT); the kernel never sets NO_EXECUTE on a page it runs.
    unsafe {
        Efer::update(|flags| flags.insert(EferFlags::NO_EXECUTE_ENABLE));
        Cr0::update(|flags| {
            flags.insert(
                Cr0Flags::WRITE_PROTECT | Cr0Flags::ALIGNMENT_MASK | Cr0Flags::EMULATE_COPROCESSOR,
            );
            flags.remove(Cr0Flags::MONITOR_COPROCESSOR | Cr0Flags::TASK_SWITCHED);
        });
        Cr4::update(|flags| {
            flags.remove(Cr4Flags::OSFXSR | Cr4Flags::OSXMMEXCPT_ENABLE);
            flags.set(Cr4Flags::SUPERVISOR_MODE_EXECUTION_PROTECTION, smep);
            flags.set(Cr4Flags::SUPERVISOR_MODE_ACCESS_PREVENTION, smap);
        });
    }
}

/// RFLAGS.TF: the CPU traps after each instruction (how midway faults count instructions).
pub const TRAP_FLAG: u64 = 1 << 8;

/// Sets RFLAGS.TF: from the next instruction on, the CPU traps after each one, in ring 0 too
/// (a midway fault in a built-in service counts the kernel's instructions this way). The debug
/// trap's handler clears the flag again in the frame it returns to.
#[cfg(feature = "monolithic")]
pub fn start_single_step() {
    // SAFETY: only RFLAGS.TF changes; the debug trap it causes is handled (`trap.rs`).
    unsafe { core::arch::asm!("pushfq", "or qword ptr [rsp], {tf}", "popfq", tf = const TRAP_FLAG) };
}

/// Whether the CPU model offers SMEP and SMAP (CPUID leaf 7, EBX bits 7 and 20).
pub fn user_page_protections() -> (bool, bool) {
    use core::arch::x86_64::{__cpuid, __cpuid_count};
    if __cpuid(0).eax < 7 {
        return (false, false);
    }
    let features = __cpuid_count(7, 0).ebx;
    (features & 1 << 7 != 0, features & 1 << 20 != 0)
}

/// Whether CR4 has SMEP and SMAP on now.
#[cfg_attr(not(feature = "guest-tests"), allow(dead_code))] // used by the in-guest tests
pub fn user_page_protections_on() -> (bool, bool) {
    let flags = Cr4::read();
    (
        flags.contains(Cr4Flags::SUPERVISOR_MODE_EXECUTION_PROTECTION),
        flags.contains(Cr4Flags::SUPERVISOR_MODE_ACCESS_PREVENTION),
    )
}

pub fn enable_interrupts() {
    interrupts::enable();
}

pub fn disable_interrupts() {
    interrupts::disable();
}

/// Whether RFLAGS.AC is set now: in ring 0 it would let SMAP stand aside.
pub fn alignment_flag_set() -> bool {
    ::x86_64::registers::rflags::read()
        .contains(::x86_64::registers::rflags::RFlags::ALIGNMENT_CHECK)
}

pub fn interrupts_enabled() -> bool {
    interrupts::are_enabled()
}

/// Runs `f` with interrupts disabled, restoring the previous state afterwards.
pub fn without_interrupts<R>(f: impl FnOnce() -> R) -> R {
    interrupts::without_interrupts(f)
}

/// The address of the last page fault.
pub fn fault_address() -> u64 {
    Cr2::read_raw()
}

/// Enables interrupts and halts until one arrives, atomically (STI takes effect only after
/// the HLT has started, so an interrupt cannot slip in between), then disables them again.
pub fn wait_for_interrupt() {
    interrupts::enable_and_hlt();
    interrupts::disable();
}

/// The time-stamp counter (one tick per guest instruction under QEMU's `-icount shift=0`).
pub fn timestamp() -> u64 {
    // SAFETY: RDTSC only reads a counter.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// Stops the CPU for good: interrupts off, then halt.
pub fn halt_forever() -> ! {
    interrupts::disable();
    loop {
        instructions::hlt();
    }
}

/// Executes `int3` and returns whether execution went on after it (the breakpoint handler
/// counts the trap and resumes at the next instruction).
#[cfg_attr(not(feature = "guest-tests"), allow(dead_code))] // used by the in-guest tests
pub fn breakpoint() -> bool {
    let mut after_trap = 0u64;
    // SAFETY: `int3` traps into the breakpoint handler, which counts it and returns to the next
    // instruction; the `mov` then proves execution continued here.
    unsafe { core::arch::asm!("int3", "mov {0}, 1", out(reg) after_trap) };
    after_trap == 1
}
