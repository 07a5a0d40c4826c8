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

/// Handles the system call in `frame` and prepares the return to ring 3, which may resume
/// another task if this call blocked the caller or woke a more urgent one.
pub fn handle(frame: &mut TrapFrame) -> *const TrapFrame {
    sched::handle_and_return(frame, |s, frame| {
        let task = s.current_task();
        task.stats.syscalls += 1;
        if task.skip_syscall {
            // An injected `skip`: as if the `syscall` instruction were not there.
            task.skip_syscall = false;
            return;
        }
        match Sysnum::try_from(frame.rax) {
            Ok(number) => dispatch(s, number, frame),
            Err(error) => finish(frame, error.into()),
        }
    })
}

/// Writes a handler's outcome into the caller's registers. Inlined into every arm below, so
/// each arm stores its result directly instead of going through a second `match`.
#[inline(always)]
fn finish(frame: &mut TrapFrame, outcome: Outcome) {
    match outcome {
        Outcome::Value(value) => (frame.rax, frame.rdx) = (0, value),
        Outcome::Error(error, detail) => (frame.rax, frame.rdx) = (error.code(), detail),
        Outcome::Written | Outcome::Blocked => {}
    }
}

fn dispatch(s: &mut Scheduler, number: Sysnum, f: &mut TrapFrame) {
    let outcome = match number {
        Sysnum::DebugWrite => debug_write(s, UserSlice::new(f.rdi, f.rsi)),
        Sysnum::Yield => {
            s.yield_current();
            Outcome::Value(0)
        }
        Sysnum::Sleep => {
            s.sleep_current(f.rdi);
            Outcome::Value(0)
        }
        Sysnum::Exit => {
            s.exit_current(f.rdi);
            Outcome::Blocked // nobody resumes it
        }
        Sysnum::TaskInfo => {
            let id = s.current_task().id.to_raw();
            return finish(f, Outcome::Value(id));
        }
        Sysnum::Uptime => return finish(f, Outcome::Value(time::ticks())),
        Sysnum::Send => s.ipc_send(f, false),
        Sysnum::Call => s.ipc_send(f, true),
        Sysnum::Receive => {
            let (from, timeout) = (f.rdi, f.r9);
            s.ipc_receive(f, from, timeout)
        }
        Sysnum::Reply => s.ipc_reply(f),
        Sysnum::ReplyReceive => s.ipc_reply_receive(f),
        Sysnum::Notify => s.ipc_notify(f.rdi, f.rsi),
        Sysnum::LeaseRead => s.ipc_lease_copy([f.rdi, f.rsi, f.rdx, f.r10, f.r8], false),
        Sysnum::LeaseWrite => s.ipc_lease_copy([f.rdi, f.rsi, f.rdx, f.r10, f.r8], true),
        Sysnum::LeaseInfo => s.ipc_lease_info(f),
        Sysnum::TaskStatus => s.task_status(f.rdi, f.rsi),
        Sysnum::Kill => s.kill_task(f.rdi),
        Sysnum::Inject => s.inject(f.rdi, f.rsi, f.rdx),
        Sysnum::Spawn => s.spawn_program(f.rdi),
        Sysnum::MemoryInfo => s.memory_info(f.rdi),
        Sysnum::IrqAck => s.irq_ack(f.rdi),
        Sysnum::PortRead => s.port_io(f.rdi, f.rsi, None),
        Sysnum::PortWrite => s.port_io(f.rdi, f.rsi, Some(f.rdx)),
        Sysnum::Restart => s.restart(f.rdi),
        Sysnum::FaultInfo => s.fault_info(f.rdi, f.rsi),
        Sysnum::Lookup => s.lookup(f.rdi, f.rsi),
    };
    finish(f, outcome)
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
            serial::write_fmt(format_args!("{}: {}\n", task.name, line));
        }
    }
    Outcome::Value(bytes.len() as u64)
}
