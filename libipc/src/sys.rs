//! User-side system call wrappers: load the registers, execute `syscall`, decode the result.
//!
//! Only ring-3 code may call these; in the kernel a `syscall` instruction would re-enter the
//! kernel's own entry point.

use crate::abi::{SyscallError, Sysnum, TaskId};

/// Executes `syscall` with any number and six argument registers (rdi, rsi, rdx, r10, r8,
/// r9) and returns (`rax`, `rdx`). The wrappers below use it; the fuzzer calls it directly.
///
/// # Safety
/// The kernel checks every argument, so nothing here can hurt the kernel or other tasks, but a
/// call that writes to a buffer writes to whatever memory of the caller the pointer names.
#[inline(always)]
pub unsafe fn syscall_any(number: u64, args: [u64; 6]) -> (u64, u64) {
    let status: u64;
    let value: u64;
    // SAFETY: `syscall` clobbers only rcx and r11; the kernel preserves every other register
    // except the outputs rax and rdx (and, for IPC calls, the message registers, declared
    // clobbered here) and validates everything it is given.
    unsafe {
        core::arch::asm!(
            "syscall",
            inlateout("rax") number => status,
            inlateout("rdi") args[0] => _,
            inlateout("rsi") args[1] => _,
            inlateout("rdx") args[2] => value,
            inlateout("r10") args[3] => _,
            inlateout("r8") args[4] => _,
            inlateout("r9") args[5] => _,
            lateout("rcx") _,
            lateout("r11") _,
            options(nostack),
        );
    }
    (status, value)
}

/// A known system call.
///
/// # Safety
/// As `syscall_any`.
#[inline(always)]
unsafe fn syscall(number: Sysnum, args: [u64; 5]) -> (u64, u64) {
    let [a, b, c, d, e] = args;
    // SAFETY: the caller upholds the ABI of `number`.
    unsafe { syscall_any(number as u64, [a, b, c, d, e, 0]) }
}

fn decode((status, value): (u64, u64)) -> Result<u64, SyscallError> {
    match status {
        0 => Ok(value),
        code => Err(SyscallError::from_code(code).unwrap_or(SyscallError::InvalidArgument)),
    }
}

/// Writes `bytes` to the kernel log; returns how many were written.
pub fn debug_write(bytes: &[u8]) -> Result<u64, SyscallError> {
    // SAFETY: the pointer and length describe `bytes`, which the kernel only reads.
    decode(unsafe {
        syscall(Sysnum::DebugWrite, [bytes.as_ptr() as u64, bytes.len() as u64, 0, 0, 0])
    })
}

pub fn yield_now() {
    // SAFETY: no arguments.
    let _ = unsafe { syscall(Sysnum::Yield, [0; 5]) };
}

pub fn sleep(ticks: u64) {
    // SAFETY: no pointer arguments.
    let _ = unsafe { syscall(Sysnum::Sleep, [ticks, 0, 0, 0, 0]) };
}

pub fn exit(code: u64) -> ! {
    // SAFETY: no pointer arguments; the kernel never returns from `exit`.
    unsafe { syscall(Sysnum::Exit, [code, 0, 0, 0, 0]) };
    // The kernel does not return here; if it ever did, spinning is the only safe thing left.
    loop {
        core::hint::spin_loop();
    }
}

/// The caller's own id.
pub fn task_info() -> Result<TaskId, IpcError> {
    simple(Sysnum::TaskInfo, [0; 5]).and_then(returned_id)
}

/// Timer ticks since boot.
pub fn uptime() -> u64 {
    // SAFETY: no arguments.
    decode(unsafe { syscall(Sysnum::Uptime, [0; 5]) }).unwrap_or(0)
}

// ---- Message passing ---------------------------------------------------------------------

use crate::abi::{
    FOREVER, FaultInfo, IpcArgs, IpcResults, KERNEL_SENDER, Lease, MESSAGE_WORDS, OP_NOTIFICATION,
    lease_registers,
};

/// A message: an operation code and four payload words.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Message {
    pub op: u32,
    pub payload: [u64; MESSAGE_WORDS],
}

impl Message {
    pub const fn new(op: u32, payload: [u64; MESSAGE_WORDS]) -> Self {
        Self { op, payload }
    }
}

/// A message as it arrives: who sent it, and how many buffers the sender lent with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Received {
    pub sender: TaskId,
    pub message: Message,
    pub leases: usize,
    /// The first leases' lengths and access, as the kernel delivered them
    /// (`abi::lease_summary`; `ulib::leases::CallerLeases` reads them).
    pub lease_summaries: [u64; crate::abi::SUMMARIZED_LEASES],
}

impl Received {
    /// Pending notification bits, if this is a notification from the kernel.
    pub fn notification(&self) -> Option<u64> {
        (self.sender == KERNEL_SENDER && self.message.op == OP_NOTIFICATION)
            .then_some(self.message.payload[0])
    }
}

/// Why an IPC operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IpcError {
    /// The partner died or was restarted; `current` is its id now (new generation).
    Dead {
        current: TaskId,
    },
    Failed(SyscallError),
}

impl core::fmt::Display for IpcError {
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        match self {
            IpcError::Dead { current } => {
                write!(f, "the partner ended or was restarted (now {current})")
            }
            IpcError::Failed(error) => write!(f, "{error}"),
        }
    }
}

/// Executes an IPC system call: `args` go in their registers, the results come back in
/// theirs (`abi::IpcArgs`, `abi::IpcResults`), with the status from `rax`.
///
/// # Safety
/// Pointer registers (`r12` for `call`) must describe memory of the caller as the ABI says.
#[inline(always)]
unsafe fn ipc(number: Sysnum, args: IpcArgs) -> (u64, IpcResults) {
    let status: u64;
    let mut out = IpcResults::default();
    // SAFETY: `syscall` clobbers rcx and r11; the kernel writes only the registers named as
    // outputs here (`IpcResults`, and the status in rax) and preserves the rest.
    unsafe {
        core::arch::asm!(
            "syscall",
            inlateout("rax") number as u64 => status,
            inlateout("rdi") args.rdi => out.rdi,
            inlateout("rsi") args.rsi => out.rsi,
            inlateout("rdx") args.rdx => out.rdx,
            inlateout("r10") args.r10 => out.r10,
            inlateout("r8") args.r8 => out.r8,
            inlateout("r9") args.r9 => out.r9,
            inlateout("r12") args.r12 => out.r12,
            inlateout("r13") args.r13 => out.r13,
            lateout("rcx") _,
            lateout("r11") _,
            options(nostack),
        );
    }
    (status, out)
}

fn message_args(to: TaskId, message: &Message) -> IpcArgs {
    IpcArgs::message(to, message.op, message.payload)
}

/// The task id a system call returned in `rdx`. The kernel only ever returns valid ids; a
/// value with bits above 32 would be a kernel bug, and is an error here, never task 0.0.
fn returned_id(raw: u64) -> Result<TaskId, IpcError> {
    TaskId::from_raw(raw).ok_or(IpcError::Failed(SyscallError::InvalidArgument))
}

/// The result of an IPC call: its registers, or the error its status names (decoded out of
/// line, so the common case, status 0, costs the caller one compare).
#[inline(always)]
fn ipc_result((status, r): (u64, IpcResults)) -> Result<IpcResults, IpcError> {
    match status {
        0 => Ok(r),
        code => Err(ipc_error(code, r.rdx)),
    }
}

/// The error of a failed IPC call: its status, and `rdx` (a dead task's current id).
#[cold]
fn ipc_error(code: u64, rdx: u64) -> IpcError {
    match SyscallError::from_code(code) {
        Some(SyscallError::DeadTask) => match TaskId::from_raw(rdx) {
            Some(current) => IpcError::Dead { current },
            None => IpcError::Failed(SyscallError::DeadTask),
        },
        Some(error) => IpcError::Failed(error),
        None => IpcError::Failed(SyscallError::InvalidArgument),
    }
}

#[inline(always)]
fn received(r: IpcResults) -> Received {
    let (sender, op) = r.sender();
    Received {
        sender,
        message: Message { op, payload: r.payload() },
        leases: r.leases() as usize,
        lease_summaries: r.lease_summaries(),
    }
}

/// Sends `message` to `to`; returns once `to` has received it. `timeout` is in ticks (0
/// polls: fails with `WouldBlock` unless `to` is waiting; `FOREVER` waits as long as needed).
pub fn send(to: TaskId, message: &Message, timeout: u64) -> Result<(), IpcError> {
    let args = IpcArgs { r9: timeout, ..message_args(to, message) };
    // SAFETY: no pointers are passed.
    ipc_result(unsafe { ipc(Sysnum::Send, args) }).map(|_| ())
}

/// Sends `message` to `to`, lending it `leases`, and waits for the reply as long as it takes.
#[inline(always)]
pub fn call(to: TaskId, message: &Message, leases: &[Lease]) -> Result<Received, IpcError> {
    call_within(to, message, leases, FOREVER)
}

/// `call`, giving up with `TimedOut` when `to` has not replied within `timeout` ticks (the
/// leases end then, and a late reply finds nobody waiting).
#[inline(always)]
pub fn call_within(
    to: TaskId,
    message: &Message,
    leases: &[Lease],
    timeout: u64,
) -> Result<Received, IpcError> {
    // One lease travels in the registers themselves; more, in a table the kernel copies in.
    let (r12, r13) = lease_registers(leases);
    let args = IpcArgs { r9: timeout, r12, r13, ..message_args(to, message) };
    // SAFETY: r12/r13 describe the `leases` slice (or its one lease), which the kernel only
    // reads; the buffers it names are the caller's to lend.
    ipc_result(unsafe { ipc(Sysnum::Call, args) }).map(received)
}

/// Waits for a message (or pending notification) from anyone, or only from `from`. Inlined,
/// as `reply_receive` is: in a server's loop the two meet, and a message returned through
/// memory from one would make the other's pass through memory too.
#[inline(always)]
pub fn receive(from: Option<TaskId>, timeout: u64) -> Result<Received, IpcError> {
    let args = IpcArgs {
        rdi: from.map_or(crate::abi::ANY_TASK, TaskId::to_raw),
        r9: timeout,
        ..Default::default()
    };
    // SAFETY: no pointers are passed.
    ipc_result(unsafe { ipc(Sysnum::Receive, args) }).map(received)
}

/// Waits only for notifications (a closed receive on `KERNEL_SENDER`): messages from tasks
/// stay queued. Returns the bits, or `Failed(TimedOut)`.
pub fn wait_notification(timeout: u64) -> Result<u64, IpcError> {
    let message = receive(Some(KERNEL_SENDER), timeout)?;
    Ok(message.notification().unwrap_or(0))
}

/// Replies to `to`, which is waiting in `call` on this task.
pub fn reply(to: TaskId, message: &Message) -> Result<(), IpcError> {
    // SAFETY: no pointers are passed.
    ipc_result(unsafe { ipc(Sysnum::Reply, message_args(to, message)) }).map(|_| ())
}

/// Replies to `to` (ignoring a caller that has died meanwhile), then receives.
#[inline(always)] // in a server's loop, the received message stays in registers
pub fn reply_receive(
    to: TaskId,
    message: &Message,
    from: Option<TaskId>,
    timeout: u64,
) -> Result<Received, IpcError> {
    let args = IpcArgs {
        r9: timeout,
        r12: from.map_or(crate::abi::ANY_TASK, TaskId::to_raw),
        ..message_args(to, message)
    };
    // SAFETY: no pointers are passed.
    ipc_result(unsafe { ipc(Sysnum::ReplyReceive, args) }).map(received)
}

/// Sets notification `bits` of `to` without blocking.
pub fn notify(to: TaskId, bits: u64) -> Result<(), IpcError> {
    let args = IpcArgs { rdi: to.to_raw(), rsi: bits, ..Default::default() };
    // SAFETY: no pointers are passed.
    ipc_result(unsafe { ipc(Sysnum::Notify, args) }).map(|_| ())
}

/// Copies from lease `index` of `caller` (blocked in `call` on this task), at `offset`.
pub fn lease_read(
    caller: TaskId,
    index: usize,
    offset: u64,
    buffer: &mut [u8],
) -> Result<usize, IpcError> {
    // SAFETY: the pointer and length describe `buffer`, which the kernel writes within them.
    unsafe {
        lease_copy(Sysnum::LeaseRead, caller, index, offset, buffer.as_mut_ptr(), buffer.len())
    }
}

/// Copies `buffer` into lease `index` of `caller`, at `offset`.
pub fn lease_write(
    caller: TaskId,
    index: usize,
    offset: u64,
    buffer: &[u8],
) -> Result<usize, IpcError> {
    // SAFETY: the pointer and length describe `buffer`; for `LeaseWrite` the kernel only reads.
    unsafe {
        lease_copy(
            Sysnum::LeaseWrite,
            caller,
            index,
            offset,
            buffer.as_ptr().cast_mut(),
            buffer.len(),
        )
    }
}

/// # Safety
/// `buffer` and `length` must describe memory of the caller; for `LeaseRead` it is written.
unsafe fn lease_copy(
    number: Sysnum,
    caller: TaskId,
    index: usize,
    offset: u64,
    buffer: *mut u8,
    length: usize,
) -> Result<usize, IpcError> {
    let args = IpcArgs {
        rdi: caller.to_raw(),
        rsi: index as u64,
        rdx: offset,
        r10: buffer as u64,
        r8: length as u64,
        ..Default::default()
    };
    // SAFETY: the caller vouches for the buffer registers.
    ipc_result(unsafe { ipc(number, args) }).map(|r| r.rdx as usize)
}

/// The length and access (`LEASE_READ`, `LEASE_WRITE`) of lease `index` of `caller`.
pub fn lease_info(caller: TaskId, index: usize) -> Result<(u64, u64), IpcError> {
    let args = IpcArgs { rdi: caller.to_raw(), rsi: index as u64, ..Default::default() };
    // SAFETY: no pointers are passed.
    ipc_result(unsafe { ipc(Sysnum::LeaseInfo, args) }).map(|r| (r.rdx, r.r10))
}

/// The length of lease `index` of `caller` if it grants `access` (`LEASE_READ` and/or
/// `LEASE_WRITE`); `None` if there is no such lease or it does not. Servers check this before
/// anything else, so a request with a missing or wrong lease is refused at once.
pub fn lent_length(caller: TaskId, index: usize, access: u64) -> Option<u64> {
    lease_info(caller, index)
        .ok()
        .filter(|(_, granted)| granted & access == access)
        .map(|(length, _)| length)
}

mod serve;
pub use serve::{ServeLoop, serve};
mod records;
pub use records::{kernel_log, trace, trace_read};
mod devices;
pub use devices::{framebuffer, irq_ack, port_read, port_write};
mod inject;
pub use inject::{inject, inject_later, mutate};

// ---- Devices and privileged operations -----------------------------------------------------

fn simple(number: Sysnum, args: [u64; 5]) -> Result<u64, IpcError> {
    // SAFETY: callers pass no pointers, or pointers to their own buffers as documented.
    let (status, value) = unsafe { syscall(number, args) };
    ipc_result((status, IpcResults { rdx: value, ..Default::default() })).map(|r| r.rdx)
}

/// Starts `task` afresh from its boot image; returns its new id.
pub fn restart(task: TaskId) -> Result<TaskId, IpcError> {
    simple(Sysnum::Restart, [task.to_raw(), 0, 0, 0, 0]).and_then(returned_id)
}

/// How `task` ended; `None` asks for the next ended task not yet reported.
pub fn fault_info(task: Option<TaskId>) -> Result<FaultInfo, IpcError> {
    let mut info = FaultInfo::default();
    let address = &mut info as *mut FaultInfo as u64;
    simple(
        Sysnum::FaultInfo,
        [task.map_or(crate::abi::ANY_TASK, TaskId::to_raw), address, 0, 0, 0],
    )?;
    Ok(info)
}

/// The current id of the task named `name` in the manifest.
pub fn lookup(name: &str) -> Result<TaskId, IpcError> {
    simple(Sysnum::Lookup, [name.as_ptr() as u64, name.len() as u64, 0, 0, 0]).and_then(returned_id)
}

/// The status of the task in slot `index`, or `NoSuchTask` past the last slot.
pub fn task_status(index: u16) -> Result<crate::abi::TaskStatus, IpcError> {
    let mut status = crate::abi::TaskStatus::default();
    let address = &mut status as *mut crate::abi::TaskStatus as u64;
    simple(Sysnum::TaskStatus, [u64::from(index), address, 0, 0, 0])?;
    Ok(status)
}

/// Stops `task` at once (privilege `restart`); a supervisor may then restart it.
pub fn kill(task: TaskId) -> Result<(), IpcError> {
    simple(Sysnum::Kill, [task.to_raw(), 0, 0, 0, 0]).map(|_| ())
}

/// Starts a program from `image` (an ELF file in the caller's memory) as an instance of the
/// manifest `template`, named `name`, with `argument` (privilege `spawn`). Returns its id.
pub fn spawn(template: &str, name: &str, image: &[u8], argument: &str) -> Result<TaskId, IpcError> {
    let request = crate::abi::SpawnRequest {
        template: crate::abi::name_field(template),
        name: crate::abi::name_field(name),
        image: image.as_ptr() as u64,
        image_length: image.len() as u64,
        argument: argument.as_ptr() as u64,
        argument_length: argument.len() as u64,
    };
    simple(Sysnum::Spawn, [&request as *const _ as u64, 0, 0, 0, 0]).and_then(returned_id)
}

/// Physical memory, kernel heap and task table use, for `mem`.
pub fn memory_info() -> Result<crate::abi::MemoryStats, IpcError> {
    // LAB 2 BEGIN: the user side: pass a buffer for the kernel to fill, decode the result
    let mut stats = crate::abi::MemoryStats::default();
    simple(Sysnum::MemoryInfo, [&mut stats as *mut _ as u64, 0, 0, 0, 0])?;
    Ok(stats)
    // LAB 2 STUB
    // Err(IpcError::Failed(SyscallError::UnknownSyscall))
    // LAB 2 END
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_with_high_bits_is_an_error_never_task_zero() {
        assert_eq!(returned_id(TaskId::new(3, 1).to_raw()), Ok(TaskId::new(3, 1)));
        assert_eq!(returned_id(1 << 40), Err(IpcError::Failed(SyscallError::InvalidArgument)));
        let dead = IpcResults { rdx: 1 << 40, ..Default::default() };
        assert_eq!(
            ipc_result((SyscallError::DeadTask.code(), dead)),
            Err(IpcError::Failed(SyscallError::DeadTask)),
            "a dead partner whose new id is garbled is still reported dead, not as task 0.0"
        );
        let dead = IpcResults { rdx: TaskId::new(2, 5).to_raw(), ..Default::default() };
        assert_eq!(
            ipc_result((SyscallError::DeadTask.code(), dead)),
            Err(IpcError::Dead { current: TaskId::new(2, 5) })
        );
    }

    #[test]
    fn received_messages_come_from_the_result_registers() {
        let r = IpcResults::message(TaskId::new(1, 2), 7, [10, 11, 12, 13], 3, [41, 42]);
        let got = received(r);
        assert_eq!(got.sender, TaskId::new(1, 2));
        assert_eq!(got.message, Message::new(7, [10, 11, 12, 13]));
        assert_eq!(got.leases, 3);
        assert_eq!(got.lease_summaries, [41, 42]);
    }
}
