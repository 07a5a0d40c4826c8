//! What the kernel knows about a task: identity, state, saved registers, memory, counters.

use crate::arch::TrapFrame;
use crate::arch::paging::AddressSpace;
use crate::research::record::Research;
use kernel_core::manifest::{MAX_NAME_LEN, Service, TaskSpec};
use libipc::abi::{Lease, MAX_LEASES};
use libipc::{FaultKind, TaskId};

/// Why the kernel stopped a task, kept for a supervisor to read later.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FaultRecord {
    pub kind: FaultKind,
    /// The CPU's error code for the exception (0 where it pushes none).
    pub error_code: u64,
    /// Where the task was executing.
    pub rip: u64,
    /// The address a page fault was about (CR2); 0 for other faults.
    pub address: u64,
}

/// An explicit tag byte keeps every state check on the message path one compare (left to
/// itself, the compiler packs the tag into a niche of the payloads, and checks cost more);
/// the three ended states come last, so `is_alive` is one compare too.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum TaskState {
    /// Running, or ready to run.
    Ready,
    /// Blocked in `sleep` until the tick count reaches `until`.
    Sleeping { until: u64 },
    /// Blocked in `send` or `call` until `to` receives; the message waits in its registers.
    /// `order` counts blocking sends kernel-wide, so a receiver takes equal-priority senders
    /// first come, first served.
    Sending { to: TaskId, wants_reply: bool, deadline: u64, order: u64 },
    /// Blocked in `call` after `from` received the message, until `from` replies or the
    /// call's `deadline` passes (a client of a server that went silent gets `TimedOut`).
    AwaitingReply { from: TaskId, deadline: u64 },
    /// Blocked in `receive` (from anyone, or only from `from`).
    Receiving { from: Option<TaskId>, deadline: u64 },
    /// Not a task at all but a service built into the kernel (the monolithic flavour): it has
    /// a slot so that `lookup`, `ps` and `inject` find it, and its calls are handled in ring 0.
    InKernel,
    /// Ended by `exit`; its memory is freed.
    Exited { code: u64 },
    /// Ended by the kernel on request (a test, or `restart`); its memory is freed.
    Killed,
    /// Stopped by the kernel after a fault; its memory is freed.
    Faulted(FaultRecord),
}

/// The state in words, for test reasons and reports.
impl core::fmt::Display for TaskState {
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        match self {
            TaskState::Ready => write!(f, "ready to run"),
            TaskState::Sleeping { until } => write!(f, "sleeping until tick {until}"),
            TaskState::Sending { to, .. } => write!(f, "sending to {to}"),
            TaskState::AwaitingReply { from, .. } => {
                write!(f, "waiting for a reply from {from}")
            }
            TaskState::Receiving { .. } => write!(f, "waiting to receive"),
            TaskState::InKernel => write!(f, "built into the kernel"),
            TaskState::Exited { code } => write!(f, "exited with code {code}"),
            TaskState::Killed => write!(f, "killed"),
            TaskState::Faulted(record) => {
                write!(f, "stopped by a {} at rip {:#x}", record.kind.name(), record.rip)
            }
        }
    }
}

/// Whether `a` and `b` are the same id, compared as one word: the derived `==` compares index
/// and generation one after the other, two loads and two branches where the IPC fast path
/// asks (three times a round trip).
#[inline(always)]
pub fn same_id(a: TaskId, b: TaskId) -> bool {
    a.to_raw() == b.to_raw()
}

impl TaskState {
    /// Whether the task waits in `call` for a reply from `server`.
    #[inline(always)]
    pub fn awaits_reply_from(&self, server: TaskId) -> bool {
        matches!(*self, TaskState::AwaitingReply { from, .. } if same_id(from, server))
    }

    /// Whether the task waits in `send` or `call` for `receiver` to take its message.
    pub fn sends_to(&self, receiver: TaskId) -> bool {
        matches!(*self, TaskState::Sending { to, .. } if to == receiver)
    }

    /// Still has memory and may run again.
    pub fn is_alive(&self) -> bool {
        !matches!(self, TaskState::Exited { .. } | TaskState::Killed | TaskState::Faulted(_))
    }
}

/// Counters for tests, `ps` and benchmarks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TaskStats {
    pub syscalls: u64,
    /// Timer ticks that arrived while the task was running.
    pub ticks: u64,
    pub bytes_written: u64,
}

/// A task's name, kept in the task (a spawned program's name lives nowhere else).
#[derive(Clone, Copy, Debug)]
pub struct TaskName {
    bytes: [u8; MAX_NAME_LEN],
    len: usize,
}

impl TaskName {
    /// The first `MAX_NAME_LEN` bytes of `name` (names are checked to fit before this).
    pub fn new(name: &str) -> Self {
        let len = name.len().min(MAX_NAME_LEN);
        let mut bytes = [0; MAX_NAME_LEN];
        bytes[..len].copy_from_slice(&name.as_bytes()[..len]);
        TaskName { bytes, len }
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

impl core::fmt::Display for TaskName {
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        f.write_str(core::str::from_utf8(self.as_bytes()).unwrap_or("?"))
    }
}

pub struct Task {
    /// The slot index and its generation, bumped when the task ends, so the ids of a dead task
    /// stop working at once.
    pub id: TaskId,
    /// From the manifest compiled into the kernel (`manifest::TASKS`): name, priority, the
    /// resources the task owns, whom it may send to.
    pub spec: TaskSpec<'static>,
    /// The name `ps` shows and `lookup` finds: the manifest's, or a spawned program's own.
    pub name: TaskName,
    pub state: TaskState,
    /// Timer ticks left of its current turn; refilled when used up or given away by `yield`.
    pub quantum_left: u32,
    /// Notification bits raised and not yet received.
    pub notifications: u64,
    /// Buffers lent with the pending `call`; valid while `AwaitingReply`.
    pub leases: [Lease; MAX_LEASES],
    pub lease_count: usize,
    /// Set once `fault_info` has reported how this task ended.
    pub end_reported: bool,
    /// How often `restart` has started this slot's task again.
    pub restarts: u32,
    /// Fault injection and benchmark state (see `research::record`).
    pub research: Research,
    /// The user registers: every entry from ring 3 saves them here (the CPU's and the entry's
    /// pushes land in this field), system calls read their arguments and write their results
    /// here, and the exit path restores them from here.
    pub saved: TrapFrame,
    /// `None` once the task has ended and its memory is freed.
    pub space: Option<AddressSpace>,
    pub stats: TaskStats,
}

/// What the lean `task_info` entry (`arch/x86_64/syscall_entry.rs`) reads of the running
/// task, as offsets from the end of its `saved` registers (where `PerCpu::registers_end`
/// points): its id, the hooks armed at it, and its system call count, which it adds to. Read
/// in place, so a switch has nothing to keep in step for it.
pub mod lean_entry {
    use crate::arch::TrapFrame;
    use crate::research::record::Point;
    use crate::task::Task;
    use core::mem::offset_of;
    use libipc::TaskId;

    const SAVED_END: isize = (offset_of!(Task, saved) + size_of::<TrapFrame>()) as isize;
    pub const ID: isize = offset_of!(Task, id) as isize - SAVED_END;
    pub const ARMED: isize = offset_of!(Task, research.armed) as isize - SAVED_END;
    pub const CALLS: isize = offset_of!(Task, stats.syscalls) as isize - SAVED_END;
    /// The `ARMED` bit that sends `task_info` to the general path (an injected `skip`).
    pub const SKIP_ARMED: u8 = Point::SyscallEntry as u8;

    // The entry reads the id as one 32-bit word: `TaskId::to_raw`'s layout, little-endian.
    const _: () = assert!(offset_of!(TaskId, index) == 0 && offset_of!(TaskId, generation) == 2);
}

impl Task {
    /// The built-in service this slot stands for, while it does (state `InKernel`).
    pub fn in_kernel_service(&self) -> Option<Service> {
        if self.state == TaskState::InKernel { self.spec.service } else { None }
    }

    /// The record of `spec`'s task `id`, named `name`, in `state`, with no memory, registers or
    /// counts yet: a task that runs gets those from its loaded image.
    pub fn new(id: TaskId, spec: &TaskSpec<'static>, name: TaskName, state: TaskState) -> Task {
        Task {
            id,
            spec: *spec,
            name,
            state,
            quantum_left: 0,
            notifications: 0,
            leases: [Lease::default(); MAX_LEASES],
            lease_count: 0,
            end_reported: false,
            restarts: 0,
            research: Research::default(),
            saved: TrapFrame::default(),
            space: None,
            stats: TaskStats::default(),
        }
    }
}
