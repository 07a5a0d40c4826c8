//! System calls: one `match` from number to handler, each handler a free function over the
//! kernel's state (`state::Kernel`), as in Hubris's `syscalls.rs`.
//!
//! The entry (`arch/x86_64/syscall_entry.rs`) saves the caller's registers in its task record
//! (`Task::saved`) and `trap::system_call` calls `handle`; handlers reach the registers there.
//! Plain calls take up to five arguments in rdi, rsi,
//! rdx, r10, r8 (`TrapFrame::syscall_args`); the message calls use the IPC registers
//! (`libipc::abi::IpcArgs`). The status goes back in rax (0 or a `SyscallError` code) and the
//! value in rdx (docs/abi.md). A bad argument is an error code for the caller, never a fault
//! of the kernel.
//!
//! | family | file |
//! | --- | --- |
//! | `debug_write`, `yield`, `sleep`, `exit`, `task_info`, `uptime` | `basic.rs` |
//! | `send`, `call`, `receive`, `reply`, `reply_receive`, `notify` | `ipc.rs` |
//! | `lease_read`, `lease_write`, `lease_info` | `leases.rs` |
//! | `irq_ack`, `port_read`, `port_write`, `framebuffer` | `devices.rs` |
//! | `restart`, `kill`, `fault_info`, `lookup`, `task_status` | `tasks.rs` |
//! | `inject` | `inject.rs` |
//! | `spawn` | `spawn.rs` |
//! | `kernel_log` | `log.rs` |
//! | `trace` | `trace.rs` |
//! | `memory_info` | `memory.rs` |

mod basic;
pub mod devices;
pub mod fastpath;
mod inject;
mod ipc;
mod leases;
mod log;
mod memory;
pub mod outcome;
pub mod spawn;
mod tasks;
pub mod trace;

use crate::arch::TrapFrame;
use crate::research::hooks::{self, At, Verdict};
use crate::research::record::Point;
use crate::state::Kernel;
use crate::switch;
use libipc::Sysnum;
use libipc::abi::INJECT_MUTATE;
use outcome::{Outcome, finish};

/// Handles the running task's system call (its registers are in its record) and prepares the
/// return to ring 3, which may resume another task if this call blocked the caller or woke a
/// more urgent one.
///
/// # Safety
/// Only at the start of a system call from ring 3, with interrupts off: the fast path then
/// uses the kernel's state without its lock (`state::unlocked_in_system_call`).
#[inline(always)]
pub unsafe fn handle() -> *const TrapFrame {
    // SAFETY: the caller's promise.
    if let Some(resume) = unsafe { fastpath::try_fast() } {
        return resume;
    }
    general_path()
}

/// Every system call the fast path does not take, out of line: what the general path grows
/// (the trace's hooks, a new call) must not change how the fast path is compiled. Left to
/// the compiler, adding the trace's hooks here stopped it inlining `handle`, and the IPC
/// round trip cost 20 instructions more.
#[inline(never)]
fn general_path() -> *const TrapFrame {
    switch::handle_and_return(|k| {
        let caller = k.sched.current;
        let task = &mut k.tasks[caller];
        task.stats.syscalls += 1;
        if hooks::armed(task, Point::SyscallEntry)
            && hooks::run(k, caller, At::SyscallEntry) == Verdict::Skip
        {
            return; // an injected `skip`: as if the `syscall` instruction were not there
        }
        let outcome = match Sysnum::try_from(k.tasks[caller].saved.rax) {
            Ok(number) => dispatch(k, caller, number),
            Err(error) => error.into(),
        };
        finish(&mut k.tasks[caller].saved, outcome);
    })
}

/// The system call table.
fn dispatch(k: &mut Kernel, caller: usize, number: Sysnum) -> Outcome {
    let args = k.tasks[caller].saved.syscall_args();
    // Argument `i` of a plain call.
    macro_rules! arg {
        ($i:literal) => {
            args[$i]
        };
    }
    match number {
        Sysnum::DebugWrite => basic::debug_write(k, caller, arg!(0), arg!(1)),
        Sysnum::Yield => basic::yield_turn(k, caller),
        Sysnum::Sleep => basic::sleep(k, caller, arg!(0)),
        Sysnum::Exit => basic::exit(k, caller, arg!(0)),
        Sysnum::TaskInfo => Outcome::Value(k.tasks[caller].id.to_raw()),
        Sysnum::Uptime => Outcome::Value(crate::time::ticks()),
        Sysnum::Send => ipc::send(k, caller, false),
        Sysnum::Call => ipc::send(k, caller, true),
        Sysnum::Receive => {
            let ipc = k.tasks[caller].saved.ipc_args();
            ipc::receive(k, caller, ipc.receive_from(), ipc.timeout())
        }
        Sysnum::Reply => ipc::reply(k, caller),
        Sysnum::ReplyReceive => ipc::reply_receive(k, caller),
        Sysnum::Notify => ipc::notify(k, caller, arg!(0), arg!(1)),
        Sysnum::LeaseRead => leases::copy(k, caller, false),
        Sysnum::LeaseWrite => leases::copy(k, caller, true),
        Sysnum::LeaseInfo => leases::info(k, caller, args),
        Sysnum::TaskStatus => tasks::task_status(k, caller, arg!(0), arg!(1)),
        Sysnum::Kill => tasks::kill(k, caller, arg!(0)),
        Sysnum::Inject if arg!(1) == INJECT_MUTATE => {
            inject::mutate(k, caller, arg!(0), arg!(2), arg!(3), arg!(4))
        }
        Sysnum::Inject => inject::inject(k, caller, arg!(0), arg!(1), arg!(2)),
        Sysnum::Spawn => spawn::spawn(k, caller, arg!(0)),
        Sysnum::KernelLog => log::kernel_log(k, caller, args),
        Sysnum::Trace => trace::trace(k, caller, args),
        // LAB 2 BEGIN: send the new system call's number to its handler
        Sysnum::MemoryInfo => memory::memory_info(k, caller, arg!(0)),
        // LAB 2 STUB
        // LAB 2 END
        Sysnum::IrqAck => devices::irq_ack(k, caller, arg!(0)),
        Sysnum::PortRead => devices::port_io(k, caller, arg!(0), arg!(1), None),
        Sysnum::PortWrite => devices::port_io(k, caller, arg!(0), arg!(1), Some(arg!(2))),
        Sysnum::Framebuffer => devices::framebuffer(k, caller, arg!(0)),
        Sysnum::Restart => tasks::restart(k, caller, arg!(0)),
        Sysnum::FaultInfo => tasks::fault_info(k, caller, arg!(0), arg!(1)),
        Sysnum::Lookup => tasks::lookup(k, caller, arg!(0), arg!(1)),
    }
}
