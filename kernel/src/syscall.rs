//! System calls: decode the number, check the arguments, do the work, write the result.
//!
//! The entry (`arch/x86_64/syscall_entry.rs`) saves the caller's registers in a `TrapFrame`
//! and `trap::dispatch` calls `handle`. Arguments arrive in rdi, rsi, rdx, r10, r8; the status
//! goes back in rax (0 or a `SyscallError` code) and the value in rdx (docs/abi.md). A bad
//! argument is an error code for the caller, never a fault of the kernel.

use crate::arch::TrapFrame;
use crate::arch::serial;
use crate::sched::{self, Scheduler};
use crate::time;
use crate::usercopy::{UserSlice, copy_from_user};
use libipc::abi::DEBUG_WRITE_MAX;
use libipc::{SyscallError, Sysnum};

pub fn handle(frame: &mut TrapFrame) {
    let args = [frame.rdi, frame.rsi, frame.rdx, frame.r10, frame.r8];
    let result = sched::with(|s| {
        s.current_task().stats.syscalls += 1;
        dispatch(s, frame.rax, args)
    });
    (frame.rax, frame.rdx) = match result {
        Ok(value) => (0, value),
        Err(error) => (error.code(), 0),
    };
}

fn dispatch(s: &mut Scheduler, number: u64, args: [u64; 5]) -> Result<u64, SyscallError> {
    match Sysnum::try_from(number)? {
        Sysnum::DebugWrite => debug_write(s, UserSlice::new(args[0], args[1])),
        Sysnum::Yield => {
            s.yield_current();
            Ok(0)
        }
        Sysnum::Sleep => {
            s.sleep_current(args[0]);
            Ok(0)
        }
        Sysnum::Exit => {
            s.exit_current(args[0]);
            Ok(0) // nobody reads it: the task is gone
        }
        Sysnum::TaskInfo => Ok(s.current_task().id.to_raw()),
        Sysnum::Uptime => Ok(time::ticks()),
    }
}

/// Copies the caller's bytes in and prints them, one log line per text line, prefixed with the
/// task's name. Control characters other than newline and tab are shown as `?`.
fn debug_write(s: &mut Scheduler, source: UserSlice) -> Result<u64, SyscallError> {
    if source.len() > DEBUG_WRITE_MAX {
        return Err(SyscallError::TooLong);
    }
    let mut buffer = [0u8; DEBUG_WRITE_MAX as usize];
    let bytes = &mut buffer[..source.len() as usize];
    let task = s.current_task();
    copy_from_user(task.space.as_ref().expect("the running task has memory"), source, bytes)?;
    task.stats.bytes_written += bytes.len() as u64;
    if !task.quiet {
        for byte in bytes.iter_mut() {
            if (*byte < b' ' && *byte != b'\n' && *byte != b'\t') || *byte >= 0x7f {
                *byte = b'?';
            }
        }
        let text = core::str::from_utf8(bytes).expect("printable ASCII is UTF-8");
        for line in text.strip_suffix('\n').unwrap_or(text).split('\n') {
            serial::write_fmt(format_args!("{}: {}\n", task.name, line));
        }
    }
    Ok(bytes.len() as u64)
}
