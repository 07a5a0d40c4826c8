//! The ABI between Moat's kernel and its user programs, defined once and used by both sides.
//!
//! - `abi`: system call numbers, the register convention, error codes, task ids, fault kinds.
//! - `sys`: the user-side wrappers, one `syscall` instruction each (ring 3 only).
//!
//! The kernel depends on this crate for the types; nothing else numbers a system call.

#![no_std]

pub mod abi;
#[cfg(target_arch = "x86_64")]
pub mod sys;

pub use abi::{FaultKind, SyscallError, Sysnum, TaskId};
