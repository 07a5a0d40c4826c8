//! The registers of interrupted ring-3 (or ring-0) code, as the entry code saves them.
//!
//! The layout is the order of the pushes in `trap_entry.rs` (drawn there), which the
//! assembly hard-codes; the asserts below keep the two in step.

use core::mem::offset_of;
use libipc::abi::{IpcArgs, IpcResults};

/// The registers of the interrupted code, in the order the entry stubs push them. Aligned so
/// that the CPU's pushes, which start at a 16-byte boundary, fill one exactly.
#[repr(C, align(16))]
#[derive(Clone, Debug, Default)]
pub struct TrapFrame {
    pub rax: u64,
    pub rbx: u64,
    pub rcx: u64,
    pub rdx: u64,
    pub rsi: u64,
    pub rdi: u64,
    pub rbp: u64,
    pub r8: u64,
    pub r9: u64,
    pub r10: u64,
    pub r11: u64,
    pub r12: u64,
    pub r13: u64,
    pub r14: u64,
    pub r15: u64,
    pub vector: u64,
    pub error_code: u64,
    pub rip: u64,
    pub cs: u64,
    pub rflags: u64,
    pub rsp: u64,
    pub ss: u64,
}

impl TrapFrame {
    /// The five argument registers of a plain system call, in ABI order.
    #[inline(always)]
    pub fn syscall_args(&self) -> [u64; 5] {
        [self.rdi, self.rsi, self.rdx, self.r10, self.r8]
    }

    /// The registers an IPC system call reads, gathered field by field by name.
    #[inline(always)]
    pub fn ipc_args(&self) -> IpcArgs {
        let (rdi, rsi, rdx, r10, r8) = (self.rdi, self.rsi, self.rdx, self.r10, self.r8);
        IpcArgs { rdi, rsi, rdx, r10, r8, r9: self.r9, r12: self.r12, r13: self.r13 }
    }

    /// Writes the registers an IPC system call returns.
    #[inline(always)]
    pub fn set_ipc_results(&mut self, results: IpcResults) {
        let IpcResults { rdi, rsi, rdx, r10, r8, r9, r12, r13 } = results;
        (self.rdi, self.rsi, self.rdx, self.r10, self.r8, self.r9) = (rdi, rsi, rdx, r10, r8, r9);
        (self.r12, self.r13) = (r12, r13);
    }
}

// The assembly below hard-codes this layout.
const _: () = assert!(offset_of!(TrapFrame, rax) == 0);
const _: () = assert!(offset_of!(TrapFrame, r15) == 14 * 8);
const _: () = assert!(offset_of!(TrapFrame, vector) == 15 * 8);
const _: () = assert!(offset_of!(TrapFrame, rip) == 17 * 8);
const _: () = assert!(size_of::<TrapFrame>() == 22 * 8);
const _: () = assert!(size_of::<TrapFrame>() % 16 == 0, "the CPU's pushes start 16-aligned");

