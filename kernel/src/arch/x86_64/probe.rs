//! Memory reads that may fault, and the exception table that recovers them.
//!
//! `read_u64` runs one `mov` at a known address. If that instruction page-faults, the trap
//! handler (`recover`) recognises its address, sets the saved RIP to the recovery label and
//! flags the fault in RDX, so the read returns `None` instead of taking the kernel down. This is
//! the mechanism behind Linux's `copy_from_user` and its exception table, kept to one entry.

use super::trap_frame::TrapFrame;

core::arch::global_asm!(
    r#"
    .section .text.probe, "ax"
    .global probe_read_u64, probe_read_u64_access, probe_read_u64_recover
    // fn(address in rdi) -> (value in rax, faulted in rdx)
probe_read_u64:
    xor edx, edx                    // faulted = 0
probe_read_u64_access:
    mov rax, qword ptr [rdi]        // may fault; then the handler jumps to ..._recover
probe_read_u64_recover:
    ret
    "#
);

/// What `probe_read_u64` returns in RAX:RDX.
#[cfg_attr(not(feature = "guest-tests"), allow(dead_code))] // used by the in-guest tests
#[repr(C)]
struct ProbeResult {
    value: u64,
    faulted: u64,
}

unsafe extern "C" {
    #[cfg_attr(not(feature = "guest-tests"), allow(dead_code))] // used by the in-guest tests
    fn probe_read_u64(address: u64) -> ProbeResult;
    /// Labels inside `probe_read_u64`, not functions.
    static probe_read_u64_access: u8;
    static probe_read_u64_recover: u8;
}

/// Reads the 8 bytes at `address`, or returns `None` if that page faults.
#[cfg_attr(not(feature = "guest-tests"), allow(dead_code))] // used by the in-guest tests
pub fn read_u64(address: u64) -> Option<u64> {
    // SAFETY: the routine touches only `address`; a page fault there is recovered by `recover`,
    // and any other exception is as fatal as it would be for a plain read.
    let result = unsafe { probe_read_u64(address) };
    (result.faulted == 0).then_some(result.value)
}

/// The page-fault handler's question: was this fault at a probe instruction? If so, the saved
/// state is redirected to the recovery point and the fault is handled.
pub fn recover(frame: &mut TrapFrame) -> bool {
    let access = &raw const probe_read_u64_access as u64;
    let in_kernel = frame.cs & 3 == 0;
    if !in_kernel || frame.rip != access {
        return false;
    }
    frame.rip = &raw const probe_read_u64_recover as u64;
    frame.rax = 0;
    frame.rdx = 1;
    true
}
