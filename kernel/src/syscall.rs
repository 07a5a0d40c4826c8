//! System calls: decode the number, check the arguments, do the work, write the result.
//!
//! The entry (`arch/x86_64/syscall_entry.rs`) saves the caller's registers in a `TrapFrame`
//! and `trap::dispatch` calls `handle`. Arguments arrive in rdi, rsi, rdx, r10, r8 (IPC uses
//! more; see `libipc::abi`); the status goes back in rax (0 or a `SyscallError` code) and the
//! value in rdx (docs/abi.md). A bad argument is an error code for the caller, never a fault
//! of the kernel.

use crate::arch::TrapFrame;
use crate::arch::serial;
use crate::sched::{self, Outcome, Scheduler};
use crate::time;
use crate::usercopy::{UserSlice, copy_from_user};
use libipc::abi::DEBUG_WRITE_MAX;
use libipc::{SyscallError, Sysnum};

pub fn handle(frame: &mut TrapFrame) {
    let outcome = sched::with(|s| {
        s.current_task().stats.syscalls += 1;
        match Sysnum::try_from(frame.rax) {
            Ok(number) => dispatch(s, number, frame),
            Err(error) => error.into(),
        }
    });
    match outcome {
        Outcome::Value(value) => (frame.rax, frame.rdx) = (0, value),
        Outcome::Error(error, detail) => (frame.rax, frame.rdx) = (error.code(), detail),
        Outcome::Written | Outcome::Blocked => {}
    }
}

fn dispatch(s: &mut Scheduler, number: Sysnum, frame: &mut TrapFrame) -> Outcome {
    let args = [frame.rdi, frame.rsi, frame.rdx, frame.r10, frame.r8];
    match number {
        Sysnum::DebugWrite => debug_write(s, UserSlice::new(args[0], args[1])),
        Sysnum::Yield => {
            s.yield_current();
            Outcome::Value(0)
        }
        Sysnum::Sleep => {
            s.sleep_current(args[0]);
            Outcome::Value(0)
        }
        Sysnum::Exit => {
            s.exit_current(args[0]);
            Outcome::Blocked // nobody resumes it
        }
        Sysnum::TaskInfo => Outcome::Value(s.current_task().id.to_raw()),
        Sysnum::Uptime => Outcome::Value(time::ticks()),
        Sysnum::Send => s.ipc_send(frame, false),
        Sysnum::Call => s.ipc_send(frame, true),
        Sysnum::Receive => s.ipc_receive(frame, args[0], frame.r9),
        Sysnum::Reply => s.ipc_reply(frame),
        Sysnum::ReplyReceive => s.ipc_reply_receive(frame),
        Sysnum::Notify => s.ipc_notify(args[0], args[1]),
        Sysnum::LeaseRead => s.ipc_lease_copy(args, false),
        Sysnum::LeaseWrite => s.ipc_lease_copy(args, true),
        Sysnum::IrqAck => s.irq_ack(args[0]),
        Sysnum::PortRead => s.port_io(args[0], args[1], None),
        Sysnum::PortWrite => s.port_io(args[0], args[1], Some(args[2])),
        Sysnum::Restart => s.restart(args[0]),
        Sysnum::FaultInfo => s.fault_info(args[0], args[1]),
        Sysnum::Lookup => s.lookup(args[0], args[1]),
        Sysnum::LeaseInfo => s.ipc_lease_info(frame),
    }
}

/// Copies the caller's bytes in and prints them, one log line per text line, prefixed with the
/// task's name. Control characters other than newline and tab are shown as `?`.
fn debug_write(s: &mut Scheduler, source: UserSlice) -> Outcome {
    if source.len() > DEBUG_WRITE_MAX {
        return SyscallError::TooLong.into();
    }
    let mut buffer = [0u8; DEBUG_WRITE_MAX as usize];
    let bytes = &mut buffer[..source.len() as usize];
    let task = s.current_task();
    if let Err(error) =
        copy_from_user(task.space.as_ref().expect("the running task has memory"), source, bytes)
    {
        return error.into();
    }
    task.stats.bytes_written += bytes.len() as u64;
    if !task.spec.quiet {
        for byte in bytes.iter_mut() {
            if (*byte < b' ' && *byte != b'\n' && *byte != b'\t') || *byte >= 0x7f {
                *byte = b'?';
            }
        }
        let text = core::str::from_utf8(bytes).expect("printable ASCII is UTF-8");
        for line in text.strip_suffix('\n').unwrap_or(text).split('\n') {
            serial::write_fmt(format_args!("{}: {}\n", task.spec.name, line));
        }
    }
    Outcome::Value(bytes.len() as u64)
}
