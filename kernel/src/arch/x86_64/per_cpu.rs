//! The per-CPU area: what the entry code finds through GS after `swapgs`, and what the kernel
//! keeps there for it on every switch (where to save the next task's registers).

use super::stacks::TRAP_STACK;
use super::trap_frame::TrapFrame;
use ::x86_64::VirtAddr;
use ::x86_64::registers::model_specific::{GsBase, KernelGsBase};
use core::cell::UnsafeCell;
use core::mem::offset_of;

/// What the `syscall` entry finds through GS after `swapgs`.
#[repr(C)]
pub(super) struct PerCpu {
    /// Just past the running task's `Task::saved`: where the next entry from ring 3 pushes
    /// its registers (`TSS.RSP0` holds the same for interrupts and exceptions).
    registers_end: u64,
    /// Scratch: the user's RSP between `swapgs` and the push that saves it in the frame.
    user_rsp: u64,
    /// Where Rust's stack starts for entries from ring 3, once their registers are saved.
    kernel_stack_top: u64,
}

const _: () = assert!(offset_of!(PerCpu, registers_end) == 0);
const _: () = assert!(offset_of!(PerCpu, user_rsp) == 8);

/// `PerCpu::kernel_stack_top`, for the entry code in `trap_entry.rs`.
pub(super) const KERNEL_STACK_TOP_OFFSET: usize = offset_of!(PerCpu, kernel_stack_top);

struct PerCpuCell(UnsafeCell<PerCpu>);

// SAFETY: one CPU; `init` writes it before `syscall` is enabled; afterwards the entry code and
// the kernel (with interrupts disabled) are the only users, one at a time.
unsafe impl Sync for PerCpuCell {}

static PER_CPU: PerCpuCell =
    PerCpuCell(UnsafeCell::new(PerCpu { registers_end: 0, user_rsp: 0, kernel_stack_top: 0 }));

/// The next entry from ring 3 saves the registers in `frame`, the record of the task about to
/// run. Called with interrupts off, on every switch.
#[inline(always)]
pub fn save_registers_in(frame: &TrapFrame) {
    let end = frame as *const TrapFrame as u64 + size_of::<TrapFrame>() as u64;
    // SAFETY: one CPU, interrupts off: the entry code, which reads the field, cannot run
    // until the kernel returns to ring 3.
    unsafe { (*PER_CPU.0.get()).registers_end = end };
    super::gdt::set_ring3_entry_stack(end);
}

/// Points GS at the per-CPU area and names the kernel stack; at boot, before `syscall` is
/// enabled.
pub(super) fn init() {
    // SAFETY: runs once at boot before `syscall` is enabled, so nothing reads PER_CPU yet. No
    // entry from ring 3 comes before the first task, whose record `save_registers_in` names.
    unsafe {
        (*PER_CPU.0.get()).kernel_stack_top = TRAP_STACK.top();
        (*PER_CPU.0.get()).registers_end = TRAP_STACK.top();
    }
    // While in the kernel GS points at PER_CPU; `swapgs` on the way to ring 3 parks that in
    // KERNEL_GS_BASE and gives user mode GS base 0.
    GsBase::write(VirtAddr::from_ptr(PER_CPU.0.get()));
    KernelGsBase::write(VirtAddr::zero());
}
