//! The kernel's records, for the shell: its kept log (`dmesg`) and its IPC trace (`trace`).
//! Both are read the same way, in pieces from a position the kernel hands back.

use super::{IpcError, ipc, ipc_result, simple};
use crate::abi::{IpcArgs, Sysnum, TRACE_READ, TRACE_START, TRACE_STOP};

/// Copies the kernel's kept log from position `from` (0: the oldest kept) into `buffer`;
/// returns the bytes copied (0 once everything has been read) and the position to read from
/// next. Needs the privilege `log`.
pub fn kernel_log(from: u64, buffer: &mut [u8]) -> Result<(usize, u64), IpcError> {
    let args = IpcArgs {
        rdi: from,
        rsi: buffer.as_mut_ptr() as u64,
        rdx: buffer.len() as u64,
        ..Default::default()
    };
    read_piece(Sysnum::KernelLog, args)
}

/// Starts the kernel's IPC trace afresh (`true`) or stops it. Needs the privilege `log`.
pub fn trace(on: bool) -> Result<(), IpcError> {
    let what = if on { TRACE_START } else { TRACE_STOP };
    simple(Sysnum::Trace, [what, 0, 0, 0, 0]).map(|_| ())
}

/// Copies whole lines of the kernel's IPC trace, from event `from` (0: the oldest kept), into
/// `buffer`; returns the bytes copied (0 once everything has been read) and the event to read
/// from next. Needs the privilege `log`.
pub fn trace_read(from: u64, buffer: &mut [u8]) -> Result<(usize, u64), IpcError> {
    let args = IpcArgs {
        rdi: TRACE_READ,
        rsi: from,
        rdx: buffer.as_mut_ptr() as u64,
        r10: buffer.len() as u64,
        ..Default::default()
    };
    read_piece(Sysnum::Trace, args)
}

/// One piece of a record, into the buffer `args` name: the bytes copied come back in `rdx`,
/// the position to read from next in `r10`.
fn read_piece(number: Sysnum, args: IpcArgs) -> Result<(usize, u64), IpcError> {
    // SAFETY: both callers pass a buffer of theirs and its length; the kernel writes at most
    // that many bytes into it.
    let result = ipc_result(unsafe { ipc(number, args) })?;
    Ok((result.rdx as usize, result.r10))
}
