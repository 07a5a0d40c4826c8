//! Fault injection: the code a task is made to run when an injected fault fires.
//!
//! Every address space gets one read-only, executable page at `INJECTION_PAGE` holding the
//! snippets below. `inject(task, kind)` arms the task; at its next message the kernel resumes
//! it at the snippet for `kind` instead of after its `receive`, so the fault is a real CPU
//! exception (or a real `exit`) in the task's own ring-3 context, handled like any other.

use libipc::abi::{
    INJECT_DIVZERO, INJECT_HANG, INJECT_NULLPTR, INJECT_PANIC, INJECT_PRIVILEGED, INJECT_STACK,
};

/// Where the snippets live in every task's address space (just above the stack).
pub const INJECTION_PAGE: u64 = crate::mm::layout::USER_STACK_TOP + 0x1_0000;

/// Each snippet starts at `kind * SLOT` in the page.
const SLOT: usize = 0x10;

/// The page's contents: machine code, one 16-byte slot per kind, padded with `int3`.
pub fn page() -> [u8; 4096] {
    let mut page = [0xcc; 4096];
    let snippets: [(u64, &[u8]); 6] = [
        // mov eax, 3 (exit); mov edi, 101 (the panic exit code); syscall; jmp $
        (INJECT_PANIC, &[0xb8, 0x03, 0, 0, 0, 0xbf, 0x65, 0, 0, 0, 0x0f, 0x05, 0xeb, 0xfe]),
        // mov rax, qword ptr [0]
        (INJECT_NULLPTR, &[0x48, 0x8b, 0x04, 0x25, 0, 0, 0, 0]),
        // cli
        (INJECT_PRIVILEGED, &[0xfa]),
        // xor ecx, ecx; div ecx
        (INJECT_DIVZERO, &[0x31, 0xc9, 0xf7, 0xf1]),
        // jmp $
        (INJECT_HANG, &[0xeb, 0xfe]),
        // 1: push rax; jmp 1b
        (INJECT_STACK, &[0x50, 0xeb, 0xfd]),
    ];
    for (kind, code) in snippets {
        let at = kind as usize * SLOT;
        page[at..at + code.len()].copy_from_slice(code);
    }
    page
}

/// The address a task armed with `kind` resumes at, or `None` for kinds with no snippet.
pub fn entry(kind: u64) -> Option<u64> {
    (INJECT_PANIC..=INJECT_STACK).contains(&kind).then(|| INJECTION_PAGE + kind * SLOT as u64)
}
