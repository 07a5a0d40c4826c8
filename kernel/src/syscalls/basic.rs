//! The calls every program makes: print, give up the CPU, sleep, exit.

use super::outcome::Outcome;
use crate::arch::serial;
use crate::lifecycle::end_task;
use crate::state::Kernel;
use crate::task::TaskState;
use crate::time;
use crate::usercopy::{UserSlice, copy_from_user};
use libipc::SyscallError;
use libipc::abi::DEBUG_WRITE_MAX;

/// `debug_write(buffer, length)`: copies the caller's bytes in and prints them, one log line
/// per text line, prefixed with the task's name. Control characters other than newline and
/// tab are shown as `?`.
pub fn debug_write(k: &mut Kernel, caller: usize, buffer: u64, length: u64) -> Outcome {
    let source = UserSlice::new(buffer, length);
    if source.len() > DEBUG_WRITE_MAX {
        return SyscallError::TooLong.into();
    }
    let mut copy = [0u8; DEBUG_WRITE_MAX as usize];
    let bytes = &mut copy[..source.len() as usize];
    if let Err(error) = copy_from_user(k.space_of(caller), source, bytes) {
        return error.into();
    }
    let task = &mut k.tasks[caller];
    task.stats.bytes_written += bytes.len() as u64;
    if !task.spec.quiet {
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
    Outcome::Value(bytes.len() as u64)
}

/// `yield()`: the caller gives up the rest of its turn.
pub fn yield_turn(k: &mut Kernel, caller: usize) -> Outcome {
    k.sched.pass_turn(&mut k.tasks, caller);
    Outcome::Value(0)
}

/// `sleep(ticks)`: the caller sleeps for `ticks` timer ticks (0 is a yield).
pub fn sleep(k: &mut Kernel, caller: usize, ticks: u64) -> Outcome {
    if ticks > 0 {
        let until = time::ticks().saturating_add(ticks);
        k.sched.park(&mut k.tasks, caller, TaskState::Sleeping { until });
    }
    k.sched.switch_away();
    Outcome::Value(0)
}

/// `exit(code)`: the caller ends; nobody resumes it.
pub fn exit(k: &mut Kernel, caller: usize, code: u64) -> Outcome {
    end_task(k, caller, TaskState::Exited { code });
    Outcome::Blocked
}
