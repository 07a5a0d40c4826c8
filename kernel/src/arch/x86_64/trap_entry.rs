//! Trap entry: the assembly between the CPU's interrupt delivery and Rust.
//!
//! Every vector gets a stub that makes the stack look the same (a dummy error code where the
//! CPU pushes none, then the vector number) and jumps to `trap_common`, which saves the
//! general registers so that the stack holds a whole `TrapFrame` (`trap_frame.rs`):
//!
//! ```text
//!   high addresses
//!   +---------------+
//!   | ss            |  \
//!   | rsp           |   |
//!   | rflags        |   | pushed by the CPU
//!   | cs            |   |
//!   | rip           |  /
//!   | error code    |  <- by the CPU for some exceptions, else 0 by the stub
//!   | vector        |  <- by the stub
//!   | r15 ... rax   |  <- by trap_common (rax last, at the lowest address)
//!   +---------------+  <- rsp = &TrapFrame
//!   low addresses
//! ```
//!
//! Where that "stack" is depends on where the trap came from. From ring 3 it is the running
//! task's own record: `TSS.RSP0` (and, for `syscall`, `PerCpu::registers_end`) point just past
//! its `Task::saved`, so the pushes save the task's registers where a switch needs them, and
//! nothing is copied when another task runs next (seL4 saves into the thread's TCB the same
//! way). The entry then moves to the kernel stack (`PerCpu::kernel_stack_top`) to run Rust.
//! From ring 0 (the kernel idling, or a probe's page fault) the CPU pushes on the kernel stack
//! it was using, and Rust runs on below the frame.
//!
//! The CPU aligns the stack to 16 bytes before pushing 5 words, and the frame is 22 words, so
//! a task's `saved` (aligned to 16, `TrapFrame`'s `align`) is exactly what the pushes fill.

use super::per_cpu::KERNEL_STACK_TOP_OFFSET;
use super::trap_frame::TrapFrame;
/// Where the `syscall` entry's lean path finds the running task's id, armed hooks and call
/// count in its record: the entry reaches into the task record as the rest of the trap entry
/// reaches up into the handlers.
pub(super) use crate::task::lean_entry;

/// The `vector` of a frame built by the `syscall` entry. Beyond the 256 interrupt vectors, so
/// it cannot be confused with one; the exit path uses it to choose SYSRET over IRETQ.
pub const SYSCALL_VECTOR: u64 = 0x100;

/// Vectors with an entry stub: the 32 CPU exceptions and the 16 remapped PIC lines.
pub const STUB_COUNT: usize = 48;

/// Each stub is padded to this many bytes, so stub `v` is at `trap_stubs_start + v * STRIDE`
/// (the same trick as Linux's `irq_entries_start`; no table of addresses to relocate).
const STUB_STRIDE: u64 = 16;

unsafe extern "C" {
    /// The first stub; a label in the assembly below, not a real byte.
    static trap_stubs_start: u8;
}

/// The address of the entry stub for `vector`.
pub fn stub_address(vector: usize) -> u64 {
    assert!(vector < STUB_COUNT);
    (&raw const trap_stubs_start) as u64 + vector as u64 * STUB_STRIDE
}

core::arch::global_asm!(
    r#"
    // A stub for a vector where the CPU pushes no error code: push a 0 in its place.
    .macro STUB_NO_ERROR vector
        .balign 16
        push 0
        push \vector
        jmp trap_common
    .endm

    // A stub for a vector where the CPU has pushed an error code already.
    .macro STUB_ERROR vector
        .balign 16
        push \vector
        jmp trap_common
    .endm

    .section .text.trap_entry, "ax"
    .balign 16
    .global trap_stubs_start
trap_stubs_start:
    STUB_NO_ERROR 0     // #DE divide error
    STUB_NO_ERROR 1     // #DB debug
    STUB_NO_ERROR 2     // NMI
    STUB_NO_ERROR 3     // #BP breakpoint
    STUB_NO_ERROR 4     // #OF overflow
    STUB_NO_ERROR 5     // #BR bound range
    STUB_NO_ERROR 6     // #UD invalid opcode
    STUB_NO_ERROR 7     // #NM device not available
    STUB_ERROR    8     // #DF double fault (error code always 0)
    STUB_NO_ERROR 9     // coprocessor segment overrun (reserved)
    STUB_ERROR    10    // #TS invalid TSS
    STUB_ERROR    11    // #NP segment not present
    STUB_ERROR    12    // #SS stack-segment fault
    STUB_ERROR    13    // #GP general protection
    STUB_ERROR    14    // #PF page fault
    STUB_NO_ERROR 15    // reserved
    STUB_NO_ERROR 16    // #MF x87 floating point
    STUB_ERROR    17    // #AC alignment check
    STUB_NO_ERROR 18    // #MC machine check
    STUB_NO_ERROR 19    // #XM SIMD floating point
    STUB_NO_ERROR 20    // #VE virtualization
    STUB_ERROR    21    // #CP control protection
    STUB_NO_ERROR 22
    STUB_NO_ERROR 23
    STUB_NO_ERROR 24
    STUB_NO_ERROR 25
    STUB_NO_ERROR 26
    STUB_NO_ERROR 27
    STUB_NO_ERROR 28    // #HV hypervisor injection
    STUB_ERROR    29    // #VC VMM communication
    STUB_ERROR    30    // #SX security
    STUB_NO_ERROR 31
    .irp vector, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
        STUB_NO_ERROR \vector   // PIC lines 0-15
    .endr

    // The general registers, pushed under the 7 words already there to make a TrapFrame.
    .macro SAVE_GENERAL_REGISTERS
        push r15
        push r14
        push r13
        push r12
        push r11
        push r10
        push r9
        push r8
        push rbp
        push rdi
        push rsi
        push rdx
        push rcx
        push rbx
        push rax
    .endm

    // The general registers, popped from a TrapFrame, leaving the vector at the top.
    .macro RESTORE_GENERAL_REGISTERS
        pop rax
        pop rbx
        pop rcx
        pop rdx
        pop rsi
        pop rdi
        pop rbp
        pop r8
        pop r9
        pop r10
        pop r11
        pop r12
        pop r13
        pop r14
        pop r15
    .endm

    // Every entry ends up here with the vector and error code pushed. From ring 3, switch GS
    // to the kernel's per-CPU area (the `syscall` entry did that itself and joins below).
trap_common:
    test byte ptr [rsp + 24], 3     // the saved CS: RPL 3 means we came from user mode
    jz 2f
    swapgs
    // An interrupt or exception keeps the task's RFLAGS but IF; ring 3 may set AC, which
    // would let SMAP stand aside in the kernel. Start from clean flags (the task's are in the
    // frame). `syscall` clears them through FMASK instead.
    push 0
    popfq
    SAVE_GENERAL_REGISTERS          // the task's record now holds all its registers
    mov rdi, rsp                    // argument: the frame just saved
    mov rsp, gs:[{kernel_stack}]    // Rust runs on the kernel stack, not in the record
    cld                             // the ABI expects the direction flag clear
    call {dispatch}
    jmp 3f
    // From ring 0: the frame is on the kernel stack, and Rust runs on below it.
2:  SAVE_GENERAL_REGISTERS
    mov rdi, rsp
    cld
    call {dispatch}
    // Rust returns the frame to resume: the one just built, or after a task switch the next
    // task's saved registers in its task record. Restore from there. `enter_user` joins here.
3:  mov rsp, rax
    .global trap_return
trap_return:
    cmp qword ptr [rsp + {vector}], {syscall_vector}
    je sysret_return                // saved by `syscall`: back by SYSRET, below
iret_return:
    RESTORE_GENERAL_REGISTERS
    test byte ptr [rsp + 24], 3     // returning to ring 3?
    jz 1f
    swapgs                          // give user mode its GS back
1:  add rsp, 16                     // drop the vector and error code
    iretq                           // pop rip, cs, rflags, rsp, ss and resume

    // The `syscall` entry (syscall_entry.rs) has pushed the 7 words of an interrupt frame into
    // the running task's record; save the rest there and handle the call. The frame to
    // resume is `trap_return`'s to restore; its test is repeated here so that the common
    // case, a frame saved by `syscall`, falls through to SYSRET without a jump.
    .global syscall_save
syscall_save:
    SAVE_GENERAL_REGISTERS
    mov rsp, gs:[{kernel_stack}]
    call {system_call}              // FMASK has cleared the direction flag; clobbers all
    mov rsp, rax
    cmp qword ptr [rsp + {vector}], {syscall_vector}
    jne iret_return
    // A frame saved by `syscall` (only ever from ring 3) goes back with SYSRET: RIP from
    // RCX, RFLAGS from R11. RIP is a user address: `prepare_return` and `switch_to_next`
    // checked it, or the fast path did before it chose this frame (SYSRET to a non-canonical
    // RIP would fault in ring 0 on the user's stack: the classic SYSRET pitfall).
sysret_return:
    RESTORE_GENERAL_REGISTERS
    swapgs
    mov rcx, [rsp + 16]             // rip
    mov r11, [rsp + 32]             // rflags
    mov rsp, [rsp + 40]             // the user's stack pointer; nothing kernel is on it
    sysretq
    "#,
    dispatch = sym trap_entry_rust,
    system_call = sym system_call_rust,
    kernel_stack = const KERNEL_STACK_TOP_OFFSET,
    syscall_vector = const SYSCALL_VECTOR,
    vector = const core::mem::offset_of!(TrapFrame, vector),
);

/// Called by `trap_common` with the frame it has just saved; returns the frame to restore.
extern "C" fn trap_entry_rust(frame: *mut TrapFrame) -> *const TrapFrame {
    super::trap::dispatch(frame)
}

/// Called by `syscall_save` once the running task's registers are in its record; returns the
/// frame to restore (in `rax`, as every Rust ABI returns a pointer). `preserve-none`: the exit
/// path restores every register from the frame, so this function keeps none for its caller,
/// and saves none on entry (12 instructions fewer on every system call that gets here).
extern "rust-preserve-none" fn system_call_rust() -> *const TrapFrame {
    // SAFETY: only `syscall_save` calls this, at the start of a system call from ring 3, with
    // interrupts off (FMASK clears IF).
    unsafe { super::trap::system_call() }
}

/// Leaves the kernel for ring 3 with `frame`'s registers, abandoning the current kernel stack:
/// the common exit path restores them straight from `frame` (a task's saved registers).
///
/// # Safety
/// `frame` must point to a valid ring-3 frame that stays untouched until the exit path has
/// read it (interrupts are off, so nothing else runs in between).
pub unsafe fn enter_user(frame: *const TrapFrame) -> ! {
    // SAFETY: the caller guarantees a valid frame; reading its CS is fine.
    assert_eq!(unsafe { (*frame).cs } & 3, 3, "enter_user needs a ring-3 frame");
    // SAFETY: `trap_return` pops exactly one TrapFrame from `rsp` and leaves with IRETQ or
    // SYSRET; the boot stack this runs on is never used again.
    unsafe {
        core::arch::asm!("mov rsp, {frame}", "jmp trap_return", frame = in(reg) frame, options(noreturn))
    }
}
