//! `trace`: start, stop and read the kernel's IPC trace (`crate::trace`).

use super::fastpath;
use super::outcome::Outcome;
use crate::state::Kernel;
use crate::task::Task;
use libipc::SyscallError;
use libipc::abi::{TRACE_READ, TRACE_READ_MAX, TRACE_START, TRACE_STOP};

/// `trace(what, from, buffer, length)` (privilege `log`): `TRACE_START` forgets the last
/// trace and records from now on, `TRACE_STOP` stops recording, and `TRACE_READ` copies whole
/// text lines of up to `length` bytes (at most `TRACE_READ_MAX`) from event `from` into
/// `buffer`: the count comes back in `rdx`, the event to read from next in `r10`.
pub fn trace(k: &mut Kernel, caller: usize, args: [u64; 5]) -> Outcome {
    let [what, from, buffer, length, ..] = args;
    if !k.tasks[caller].spec.privileges.log {
        return SyscallError::Denied.into();
    }
    match what {
        TRACE_START => start(&k.tasks),
        TRACE_STOP => stop(),
        TRACE_READ => {
            let mut piece = [0u8; TRACE_READ_MAX as usize];
            let piece = &mut piece[..length.min(TRACE_READ_MAX) as usize];
            let read = crate::trace::read_text(from, piece);
            return super::log::hand_out(k, caller, buffer, piece, read);
        }
        _ => return SyscallError::InvalidArgument.into(),
    }
    Outcome::Value(0)
}

/// Starts a trace, with the IPC fast path (which records nothing) standing aside.
pub fn start(tasks: &[Task]) {
    fastpath::set_tracing(true);
    crate::trace::start(tasks);
}

/// Stops the trace and gives the fast path back.
pub fn stop() {
    crate::trace::stop();
    fastpath::set_tracing(false);
}
