//! The `syscall` instruction's entry point and the registers that configure it.
//!
//! `syscall` jumps to `LSTAR` in ring 0 with the user's RIP in RCX and RFLAGS in R11, clears
//! the RFLAGS bits named in `FMASK`, and loads CS/SS from `STAR`. It does not switch stacks, so
//! the entry swaps GS to reach this CPU's `PerCpu`, parks the user RSP there and points RSP
//! just past the running task's `Task::saved` (`registers_end`). It then pushes the same frame
//! an interrupt from ring 3 would have pushed, which saves the task's registers in its record,
//! and joins `trap_entry`'s `syscall_save`, so there is one frame layout and one exit.
//!
//! One call never gets that far: `task_info`, which only reads the caller's id, is answered
//! by the first instructions of the entry, which read the id from the running task's record
//! (just below `PerCpu::registers_end`, at the offsets in `task::lean_entry`), count the call
//! there, and `sysretq`. A task with a fault armed at its next system call (an injected
//! `skip`), or a return address that is the first one past user space (where `SYSRET` would
//! fault in ring 0), takes the general path, which answers the same.

use super::gdt::{
    KERNEL_CODE_SELECTOR, KERNEL_DATA_SELECTOR, USER_CODE_SELECTOR, USER_DATA_SELECTOR,
};
use super::per_cpu;
use super::trap_entry::SYSCALL_VECTOR;
use super::trap_entry::lean_entry;
use ::x86_64::VirtAddr;
use ::x86_64::registers::model_specific::{Efer, EferFlags, LStar, SFMask, Star};
use ::x86_64::registers::rflags::RFlags;
use ::x86_64::registers::segmentation::SegmentSelector;

core::arch::global_asm!(
    r#"
    .section .text.syscall_entry, "ax"
    .global syscall_entry
syscall_entry:
    cmp rax, {task_info}            // the lean path (see the module comment)
    je 2f
1:  swapgs                          // GS base := &PER_CPU (it was the user's)
    mov gs:[8], rsp                 // PerCpu.user_rsp = the user's stack pointer
    mov rsp, gs:[0]                 // PerCpu.registers_end: the running task's record
    push {user_ss}                  // build an interrupt-style frame: ss
    push qword ptr gs:[8]           //   rsp
    push r11                        //   rflags, saved by SYSCALL in r11
    push {user_cs}                  //   cs
    push rcx                        //   rip, saved by SYSCALL in rcx
    push 0                          //   error code
    push {syscall_vector}           //   vector: marks the frame as a system call
    jmp syscall_save                // save registers, handle the call, return (trap_entry.rs)
2:  bt rcx, 47                      // returning to 2^47, past user space: SYSRET would fault
    jc 1b
    swapgs
    mov rax, gs:[0]                 // PerCpu.registers_end: the running task's record
    test byte ptr [rax + {armed}], {skip_armed}
    jnz 3f                          // a fault armed at this call: the general path fires it
    inc qword ptr [rax + {calls}]   // Task.stats.syscalls
    mov edx, dword ptr [rax + {id}] // Task.id, which reads as its raw form
    swapgs
    xor eax, eax                    // status 0, the id in rdx
    sysretq                         // RIP from RCX, RFLAGS from R11, as the entry found them
3:  swapgs                          // every register as the task left it: rax is the number
    mov eax, {task_info}
    jmp 1b
    "#,
    user_ss = const USER_DATA_SELECTOR,
    user_cs = const USER_CODE_SELECTOR,
    syscall_vector = const SYSCALL_VECTOR,
    task_info = const libipc::Sysnum::TaskInfo as u64,
    armed = const lean_entry::ARMED,
    skip_armed = const lean_entry::SKIP_ARMED,
    calls = const lean_entry::CALLS,
    id = const lean_entry::ID,
);

unsafe extern "C" {
    /// The label above, not a Rust function.
    fn syscall_entry();
}

/// Points GS at the per-CPU area and programs the SYSCALL MSRs.
pub fn init() {
    per_cpu::init();
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
