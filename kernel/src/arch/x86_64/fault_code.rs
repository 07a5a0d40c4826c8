//! The machine code of injected faults: the ring-3 snippets every task maps, and the same
//! faulty instructions run by the kernel itself (the monolithic flavour).
//!
//! A ring-3 fault is a real CPU exception in the task's own context, so the kernel handles it
//! like any other. The snippets are encoded here by hand because they are copied into a page
//! of every address space, not linked into the kernel; the system call they make takes its
//! number from the ABI.

#[cfg(feature = "monolithic")]
use core::arch::asm;
use libipc::Sysnum;
use libipc::abi::{
    FOREVER, INJECT_DIVZERO, INJECT_HANG, INJECT_NULLPTR, INJECT_PANIC, INJECT_PRIVILEGED,
    INJECT_STACK, INJECT_STALL, PANIC_EXIT_CODE,
};

/// Each snippet starts at `kind * SNIPPET_SLOT` in the page.
const SNIPPET_SLOT: u64 = 0x10;
const PAGE_BYTES: usize = 4096;
/// `int3`: what fills the page between snippets, so a jump into the gaps traps at once.
const INT3: u8 = 0xcc;

/// `mov eax, imm32; mov edi, imm32; syscall; jmp $`: what a panicking Rust program does.
const fn exit_snippet() -> [u8; 14] {
    let number = (Sysnum::Exit as u32).to_le_bytes();
    let code = (PANIC_EXIT_CODE as u32).to_le_bytes();
    [
        0xb8, number[0], number[1], number[2], number[3], // mov eax, Exit
        0xbf, code[0], code[1], code[2], code[3], // mov edi, PANIC_EXIT_CODE
        0x0f, 0x05, // syscall
        0xeb, 0xfe, // jmp $ (never reached)
    ]
}

/// `1: mov eax, imm32; mov rdi, -1; syscall; jmp 1b`: sleep for ever, and again if woken.
const fn stall_snippet() -> [u8; 16] {
    let number = (Sysnum::Sleep as u32).to_le_bytes();
    assert!(FOREVER == u64::MAX, "mov rdi, -1 sleeps for FOREVER ticks");
    [
        0xb8, number[0], number[1], number[2], number[3], // mov eax, Sleep
        0x48, 0xc7, 0xc7, 0xff, 0xff, 0xff, 0xff, // mov rdi, -1 (sign-extended)
        0x0f, 0x05, // syscall
        0xeb, 0xf0, // jmp 1b (16 bytes back)
    ]
}

/// The page every task maps read-only and executable: one snippet per kind with one.
pub fn user_snippet_page() -> [u8; PAGE_BYTES] {
    let mut page = [INT3; PAGE_BYTES];
    let (exit, stall) = (exit_snippet(), stall_snippet());
    let snippets: [(u64, &[u8]); 7] = [
        (INJECT_PANIC, &exit),
        (INJECT_NULLPTR, &[0x48, 0x8b, 0x04, 0x25, 0, 0, 0, 0]), // mov rax, qword ptr [0]
        (INJECT_PRIVILEGED, &[0xfa]),                            // cli
        (INJECT_DIVZERO, &[0x31, 0xc9, 0xf7, 0xf1]),             // xor ecx, ecx; div ecx
        (INJECT_HANG, &[0xeb, 0xfe]),                            // jmp $
        (INJECT_STACK, &[0x50, 0xeb, 0xfd]),                     // 1: push rax; jmp 1b
        (INJECT_STALL, &stall),
    ];
    for (kind, code) in snippets {
        let at = (kind * SNIPPET_SLOT) as usize;
        page[at..at + code.len()].copy_from_slice(code);
    }
    page
}

/// Where the snippet for `kind` starts in the page, or `None` for kinds with no snippet.
pub fn snippet_offset(kind: u64) -> Option<u64> {
    let has_snippet = (INJECT_PANIC..=INJECT_STACK).contains(&kind) || kind == INJECT_STALL;
    has_snippet.then_some(kind * SNIPPET_SLOT)
}

// The same faults as labels the kernel can resume at, for a midway fault in a built-in
// service: the debug trap that counts its last instruction returns here instead.
#[cfg(feature = "monolithic")]
core::arch::global_asm!(
    r#"
    .section .text.ring0_faults, "ax"
ring0_nullptr:
    mov rax, qword ptr [0]
    ud2
ring0_divzero:
    xor ecx, ecx
    div ecx
    ud2
ring0_hang:
    jmp ring0_hang
ring0_stack:
    push rax
    jmp ring0_stack
ring0_panic:
    and rsp, -16
    call {panic}
    ud2
    "#,
    panic = sym injected_panic,
);

#[cfg(feature = "monolithic")]
unsafe extern "C" {
    /// The labels above, not Rust functions.
    fn ring0_nullptr();
    fn ring0_divzero();
    fn ring0_hang();
    fn ring0_stack();
    fn ring0_panic();
}

/// The label that commits the fault `kind` in ring 0, from wherever the kernel was; `None`
/// for kinds that are not a jump (`privileged`: `cli` changes nothing in the kernel).
#[cfg(feature = "monolithic")]
fn ring0_label(kind: u64) -> Option<unsafe extern "C" fn()> {
    Some(match kind {
        INJECT_NULLPTR => ring0_nullptr,
        INJECT_DIVZERO => ring0_divzero,
        // With interrupts off, nothing ever runs again: not the timer, not a watchdog. A
        // built-in service cannot wait for anything (it runs in its caller's system call, with
        // interrupts off), so a stall there is the same endless loop.
        INJECT_HANG | INJECT_STALL => ring0_hang,
        // Pushes run the kernel's stack into the guard page below it, and that page fault
        // cannot be delivered on the broken stack (#DF).
        INJECT_STACK => ring0_stack,
        INJECT_PANIC => ring0_panic,
        _ => return None,
    })
}

/// Where the kernel resumes to commit the fault `kind` (a midway fault, from a debug trap).
#[cfg(feature = "monolithic")]
pub fn ring0_entry(kind: u64) -> Option<u64> {
    ring0_label(kind).map(|label| label as usize as u64)
}

#[cfg(feature = "monolithic")]
extern "C" fn injected_panic() -> ! {
    panic!("injected panic in a built-in service, midway through its work")
}

/// Runs the faulty instruction of `kind` in ring 0 (a fault at a built-in service's gate).
/// Most never return: the CPU raises an exception in the kernel, which cannot pin it on
/// anybody, so it stops.
#[cfg(feature = "monolithic")]
pub fn run_in_ring0(kind: u64) {
    match ring0_label(kind) {
        // SAFETY: none of these is safe, by design: each is the fault being injected, and
        // none returns (an exception in the kernel, or a loop).
        Some(label) => unsafe { label() },
        // Ring 0 may run `cli`: nothing happens at all (interrupts are already off here),
        // which is the point: a kernel cannot tell a driver's privileged mistake from its
        // own code.
        // SAFETY: `cli` only clears the interrupt flag, already clear in the kernel.
        None if kind == INJECT_PRIVILEGED => unsafe { asm!("cli") },
        None => {}
    }
}
