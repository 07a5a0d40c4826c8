//! How a system call ends for its caller, and how that reaches its registers.

use crate::arch::TrapFrame;
use libipc::SyscallError;

/// How a system call ends for the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Success with a value for `rdx`.
    Value(u64),
    /// Success; the handler has already written the result registers (a received message).
    Written,
    /// Failure: the error code for `rax` and a detail for `rdx`.
    Error(SyscallError, u64),
    /// The caller is blocked; whoever wakes it writes its result registers.
    Blocked,
}

impl From<SyscallError> for Outcome {
    fn from(error: SyscallError) -> Self {
        Outcome::Error(error, 0)
    }
}

impl From<(SyscallError, u64)> for Outcome {
    fn from((error, detail): (SyscallError, u64)) -> Self {
        Outcome::Error(error, detail)
    }
}

/// Writes a handler's outcome into the caller's registers (in its task record). Inlined into every arm of the
/// dispatch, so each arm stores its result directly instead of going through a second
/// `match`.
#[inline(always)]
pub fn finish(frame: &mut TrapFrame, outcome: Outcome) {
    match outcome {
        Outcome::Value(value) => (frame.rax, frame.rdx) = (0, value),
        Outcome::Error(error, detail) => (frame.rax, frame.rdx) = (error.code(), detail),
        Outcome::Written | Outcome::Blocked => {}
    }
}
