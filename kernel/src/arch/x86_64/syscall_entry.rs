//! The `syscall` instruction's entry point and the registers that configure it.
//!
//! `syscall` jumps to `LSTAR` in ring 0 with the user's RIP in RCX and RFLAGS in R11, clears
//! the RFLAGS bits named in `FMASK`, and loads CS/SS from `STAR`. It does not switch stacks, so
//! the entry swaps GS to reach this CPU's `PerCpu`, parks the user RSP there and loads the
//! kernel's trap stack. It then pushes the same frame an interrupt from ring 3 would have
//! pushed and joins the common path in `trap_entry`, so there is one frame layout and one exit.
//!
//! One call never gets that far: `task_info`, which only reads the caller's id, is answered
//! by the first instructions of the entry from `PerCpu::lean_task_id`, which the kernel keeps
//! equal to the running task's id (`switch::allow_lean_entry`), and `sysretq`. The kernel sets
//! it to `LEAN_OFF` while the task has a fault armed at its next system call, and then (or
//! when the return address is the first one past user space, where `SYSRET` would fault in
//! ring 0) the call takes the general path, which answers the same. The lean path counts its
//! calls in `PerCpu::lean_calls`, which the kernel adds to the task's statistics when it
//! leaves the CPU (`take_lean_calls`).

use super::gdt::{
    KERNEL_CODE_SELECTOR, KERNEL_DATA_SELECTOR, USER_CODE_SELECTOR, USER_DATA_SELECTOR,
};
use super::stacks::TRAP_STACK;
use super::trap_entry::SYSCALL_VECTOR;
use ::x86_64::VirtAddr;
use ::x86_64::registers::model_specific::{
    Efer, EferFlags, GsBase, KernelGsBase, LStar, SFMask, Star,
};
use ::x86_64::registers::rflags::RFlags;
use ::x86_64::registers::segmentation::SegmentSelector;
use core::cell::UnsafeCell;
use core::mem::offset_of;

/// What the `syscall` entry finds through GS after `swapgs`.
#[repr(C)]
struct PerCpu {
    /// Where the kernel stack starts for entries from ring 3.
    trap_stack_top: u64,
    /// Scratch: the user's RSP between `swapgs` and the push that saves it in the frame.
    user_rsp: u64,
    /// The running task's raw id, which `task_info` answers in the entry, or `LEAN_OFF`.
    lean_task_id: u64,
    /// Calls the lean path answered since the kernel last took the count.
    lean_calls: u64,
}

const _: () = assert!(offset_of!(PerCpu, trap_stack_top) == 0);
const _: () = assert!(offset_of!(PerCpu, user_rsp) == 8);
const _: () = assert!(offset_of!(PerCpu, lean_task_id) == 16);
const _: () = assert!(offset_of!(PerCpu, lean_calls) == 24);

/// `lean_task_id` when `task_info` must take the general path. Not a raw id: ids are 32 bits.
const LEAN_OFF: u64 = u64::MAX;

struct PerCpuCell(UnsafeCell<PerCpu>);

// SAFETY: one CPU; `init` writes it before `syscall` is enabled, afterwards only the entry code
// touches `user_rsp`, with interrupts disabled.
unsafe impl Sync for PerCpuCell {}

static PER_CPU: PerCpuCell = PerCpuCell(UnsafeCell::new(PerCpu {
    trap_stack_top: 0,
    user_rsp: 0,
    lean_task_id: LEAN_OFF,
    lean_calls: 0,
}));

/// What `task_info` answers in the entry from now on: the running task's raw id, or `None`
/// for the general path. Called with interrupts off, on every switch.
#[inline(always)]
pub fn set_lean_task_id(id: Option<u64>) {
    // SAFETY: one CPU, interrupts off: the entry code, which reads the field, cannot run
    // until the kernel returns to ring 3.
    unsafe { (*PER_CPU.0.get()).lean_task_id = id.unwrap_or(LEAN_OFF) };
}

/// The calls the lean path has answered since the last time, for the running task's count.
#[inline(always)]
pub fn take_lean_calls() -> u64 {
    // SAFETY: as in `set_lean_task_id`.
    unsafe { core::mem::take(&mut (*PER_CPU.0.get()).lean_calls) }
}

core::arch::global_asm!(
    r#"
    .section .text.syscall_entry, "ax"
    .global syscall_entry
syscall_entry:
    cmp rax, {task_info}            // the lean path (see the module comment)
    je 2f
1:  swapgs                          // GS base := &PER_CPU (it was the user's)
    mov gs:[8], rsp                 // PerCpu.user_rsp = the user's stack pointer
    mov rsp, gs:[0]                 // the kernel trap stack
    push {user_ss}                  // build an interrupt-style frame: ss
    push qword ptr gs:[8]           //   rsp
    push r11                        //   rflags, saved by SYSCALL in r11
    push {user_cs}                  //   cs
    push rcx                        //   rip, saved by SYSCALL in rcx
    push 0                          //   error code
    push {syscall_vector}           //   vector: marks the frame as a system call
    jmp trap_save                   // save registers, dispatch, return (trap_entry.rs)
2:  bt rcx, 47                      // returning to 2^47, past user space: SYSRET would fault
    jc 1b
    swapgs
    mov rdx, gs:[16]                // PerCpu.lean_task_id
    cmp rdx, -1                     // LEAN_OFF
    je 3f
    inc qword ptr gs:[24]           // PerCpu.lean_calls
    swapgs
    xor eax, eax                    // status 0, the id in rdx
    sysretq                         // RIP from RCX, RFLAGS from R11, as the entry found them
3:  swapgs
    jmp 1b
    "#,
    user_ss = const USER_DATA_SELECTOR,
    user_cs = const USER_CODE_SELECTOR,
    syscall_vector = const SYSCALL_VECTOR,
    task_info = const libipc::Sysnum::TaskInfo as u64,
);

const _: () = assert!(LEAN_OFF == u64::MAX, "the entry compares with -1");

unsafe extern "C" {
    /// The label above, not a Rust function.
    fn syscall_entry();
}

/// Points GS at `PER_CPU` and programs the SYSCALL MSRs.
pub fn init() {
    // SAFETY: runs once at boot before `syscall` is enabled, so nothing reads PER_CPU yet.
    unsafe { (*PER_CPU.0.get()).trap_stack_top = TRAP_STACK.top() };
    // While in the kernel GS points at PER_CPU; `swapgs` on the way to ring 3 parks that in
    // KERNEL_GS_BASE and gives user mode GS base 0.
    GsBase::write(VirtAddr::from_ptr(PER_CPU.0.get()));
    KernelGsBase::write(VirtAddr::zero());
    // STAR: SYSCALL loads CS = 0x08 and SS = 0x10; SYSRET loads CS = 0x23 and SS = 0x1b,
    // which the CPU derives from one base (0x10): SS = base + 8, CS = base + 16. The asserts
    // in `gdt::init` pin the GDT to that order, and `Star::write` checks the arithmetic.
    let selector = |value: u16| SegmentSelector(value);
    Star::write(
        selector(USER_CODE_SELECTOR),
        selector(USER_DATA_SELECTOR),
        selector(KERNEL_CODE_SELECTOR),
        selector(KERNEL_DATA_SELECTOR),
    )
    .expect("the GDT order fits SYSCALL and SYSRET");
    LStar::write(VirtAddr::new(syscall_entry as *const () as u64));
    // FMASK: on entry turn off interrupts (the kernel runs with IF clear), single-step traps,
    // the direction flag (the ABI expects it clear), alignment checks and nested-task.
    SFMask::write(
        RFlags::INTERRUPT_FLAG
            | RFlags::TRAP_FLAG
            | RFlags::DIRECTION_FLAG
            | RFlags::ALIGNMENT_CHECK
            | RFlags::NESTED_TASK
            | RFlags::IOPL_HIGH
            | RFlags::IOPL_LOW,
    );
    // SAFETY: the entry point and MSRs above are set up, so enabling SYSCALL is sound.
    unsafe { Efer::update(|flags| flags.insert(EferFlags::SYSTEM_CALL_EXTENSIONS)) };
}
