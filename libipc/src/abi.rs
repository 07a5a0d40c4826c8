//! System call numbers, error codes, task ids and fault kinds.
//!
//! # Register convention
//!
//! A program puts the system call number in `rax` and up to five arguments in `rdi`, `rsi`,
//! `rdx`, `r10`, `r8` (`rcx` and `r11` are taken by the `syscall` instruction itself), then
//! executes `syscall`. On return `rax` holds 0 for success or a `SyscallError` code, and `rdx`
//! holds the result value. Every other register is preserved. IPC calls use more registers:
//! `IpcArgs` and `IpcResults` in `registers.rs`. See docs/abi.md.

/// Defines `Sysnum` and its table from one list, so a number is written exactly once.
macro_rules! system_calls {
    ($($(#[doc = $doc:literal])* $name:ident = $number:literal,)*) => {
        /// The system calls. The numbers are the ABI: never reuse or renumber one.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(u64)]
        pub enum Sysnum {
            $($(#[doc = $doc])* $name = $number,)*
        }

        impl Sysnum {
            /// Every system call, in number order.
            pub const ALL: &[Sysnum] = &[$(Sysnum::$name,)*];
        }
    };
}

system_calls! {
    /// `debug_write(buffer, length)`: write bytes to the kernel log. Returns bytes written.
    DebugWrite = 0,
    /// `yield()`: let other tasks of the same priority run first.
    Yield = 1,
    /// `sleep(ticks)`: block for at least `ticks` timer ticks (0 acts as `yield`).
    Sleep = 2,
    /// `exit(code)`: end the calling task. Never returns.
    Exit = 3,
    /// `task_info()`: the caller's own `TaskId`, as a `u64` (see `TaskId::to_raw`).
    TaskInfo = 4,
    /// `uptime()`: timer ticks since boot; `TICKS_PER_SECOND` of them make a second.
    Uptime = 5,
    /// Send a message and continue once the receiver has taken it (see "IPC registers").
    Send = 6,
    /// Wait for a message from anyone, or from one task; notifications come first.
    Receive = 7,
    /// Send a message and wait for the receiver's reply, lending it buffers (leases).
    Call = 8,
    /// Answer a task that is waiting in `call` on the caller.
    Reply = 9,
    /// `reply`, then `receive`: one system call per request in a server loop.
    ReplyReceive = 10,
    /// `notify(task, bits)`: set notification bits of `task` without blocking.
    Notify = 11,
    /// `lease_read(caller, index, offset, buffer, length)`: copy from a caller's lent buffer.
    LeaseRead = 12,
    /// `lease_write(caller, index, offset, buffer, length)`: copy into a caller's lent buffer.
    LeaseWrite = 13,
    /// `irq_ack(line)`: unmask an interrupt line the caller owns, after handling it.
    IrqAck = 14,
    /// `port_read(port, width)`: read 1, 2 or 4 bytes from an I/O port the caller owns.
    PortRead = 15,
    /// `port_write(port, width, value)`: write to an I/O port the caller owns.
    PortWrite = 16,
    /// `restart(task)`: start a task afresh from its boot image (privilege `restart`).
    Restart = 17,
    /// `fault_info(task, buffer)`: how a task ended (privilege `faults`); `ANY_TASK` for the
    /// next ended task not yet reported.
    FaultInfo = 18,
    /// `lookup(name, length)`: the current id of the task with this manifest name.
    Lookup = 19,
    /// `lease_info(caller, index)`: length (`rdx`) and access (`r10`) of a caller's lease.
    LeaseInfo = 20,
    /// `task_status(index, buffer)`: a `TaskStatus` for the task in slot `index`, for `ps`.
    TaskStatus = 21,
    /// `kill(task)`: stop a task at once (privilege `restart`).
    Kill = 22,
    /// `inject(task, kind)`: make a task fault the next time it receives a message (privilege
    /// `inject`); `kind` is one of the `INJECT_*` values.
    Inject = 23,
    /// `spawn(request)`: start a program from an ELF image in the caller's memory, as an
    /// instance of a manifest template (privilege `spawn`); see `SpawnRequest`. Returns its id.
    Spawn = 24,
    /// `kernel_log(from, buffer, length)`: the kernel's kept log from position `from`, for
    /// `dmesg` (privilege `log`): bytes copied in `rdx`, the next position in `r10`.
    KernelLog = 25,
    /// `trace(what, from, buffer, length)`: start (`TRACE_START`) or stop (`TRACE_STOP`) the
    /// kernel's IPC trace, or read it as text (`TRACE_READ`, as `kernel_log` reads the log)
    /// (privilege `log`).
    Trace = 26,
    /// `framebuffer(buffer)`: map the screen the bootloader set up into the caller's address
    /// space, at `FRAMEBUFFER_ADDRESS`, and describe it in a `FramebufferInfo` (privilege
    /// `framebuffer`). Calling it again maps nothing more and describes it again.
    Framebuffer = 27,
    // LAB 2 BEGIN: give the new system call its number, the next one free
    /// `memory_info(buffer)`: a `MemoryStats` for `mem`.
    MemoryInfo = 28,
    // LAB 2 STUB
    // LAB 2 END
}

// `TryFrom` indexes `ALL` by number: the numbers must run 0, 1, 2, ... without gaps.
const _: () = {
    let mut i = 0;
    while i < Sysnum::ALL.len() {
        assert!(Sysnum::ALL[i] as usize == i);
        i += 1;
    }
};

/// How many system call numbers exist; numbers from here up are unknown.
pub const SYSCALL_COUNT: u64 = Sysnum::ALL.len() as u64;

impl TryFrom<u64> for Sysnum {
    type Error = SyscallError;

    fn try_from(number: u64) -> Result<Self, SyscallError> {
        usize::try_from(number)
            .ok()
            .and_then(|i| Sysnum::ALL.get(i).copied())
            .ok_or(SyscallError::UnknownSyscall)
    }
}

/// Timer ticks per second (`uptime` and `sleep` count in ticks).
pub const TICKS_PER_SECOND: u64 = 100;

/// Longest `debug_write` the kernel accepts in one call; longer requests are `TooLong`.
pub const DEBUG_WRITE_MAX: u64 = 1024;
/// The most bytes one `kernel_log` call copies.
pub const KERNEL_LOG_MAX: u64 = 1024;

/// `trace`'s first argument: stop recording (what was recorded stays readable).
pub const TRACE_STOP: u64 = 0;
/// `trace`'s first argument: forget the last trace and record from now on.
pub const TRACE_START: u64 = 1;
/// `trace`'s first argument: read the trace as text lines from event `from`; the bytes copied
/// come back in `rdx` and the event to read from next in `r10`.
pub const TRACE_READ: u64 = 2;
/// The most bytes one `trace` read copies.
pub const TRACE_READ_MAX: u64 = 2048;

/// Why a system call failed: the code returned in `rax`. Zero means success.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum SyscallError {
    /// No system call has this number.
    UnknownSyscall = 1,
    /// A pointer argument does not lie in memory the caller has mapped with the access the
    /// call needs (read for input buffers, write for output buffers).
    BadAddress = 2,
    /// A length or count is larger than the call allows.
    TooLong = 3,
    /// An argument is out of its range.
    InvalidArgument = 4,
    /// The task named has died or was restarted since the id was issued; `rdx` carries its
    /// current id, with the new generation.
    DeadTask = 5,
    /// The partner was not ready and the timeout was 0 (poll).
    WouldBlock = 6,
    /// The timeout ran out before the partner was ready.
    TimedOut = 7,
    /// The manifest does not allow this: sending to that task, that port or line, that
    /// privileged operation.
    Denied = 8,
    /// A lease index, offset or access the caller did not lend.
    BadLease = 9,
    /// No task has this index or name.
    NoSuchTask = 10,
    /// The kernel has no memory left for this request (frames or heap).
    OutOfMemory = 11,
    /// The machine has no such device (no screen for `framebuffer`).
    NoDevice = 12,
}

impl SyscallError {
    pub const ALL: [SyscallError; 12] = [
        SyscallError::UnknownSyscall,
        SyscallError::BadAddress,
        SyscallError::TooLong,
        SyscallError::InvalidArgument,
        SyscallError::DeadTask,
        SyscallError::WouldBlock,
        SyscallError::TimedOut,
        SyscallError::Denied,
        SyscallError::BadLease,
        SyscallError::NoSuchTask,
        SyscallError::OutOfMemory,
        SyscallError::NoDevice,
    ];

    pub const fn code(self) -> u64 {
        self as u64
    }

    /// The error for a nonzero `rax`; `None` for 0 (success) and for codes this ABI lacks.
    pub fn from_code(code: u64) -> Option<Self> {
        Self::ALL.into_iter().find(|error| error.code() == code)
    }
}

/// A task's identity: a slot index in the kernel's task table plus a generation that changes
/// whenever the slot gets a new task (a restart), so an old id never names the new task.
/// `repr(C)`: in memory (little-endian) the two fields read as one 32-bit word are `to_raw`,
/// which the kernel's lean system call entry relies on.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId {
    pub index: u16,
    pub generation: u16,
}

impl TaskId {
    pub const fn new(index: u16, generation: u16) -> Self {
        Self { index, generation }
    }

    /// The register form: generation in bits 16..32, index in bits 0..16.
    pub const fn to_raw(self) -> u64 {
        (self.generation as u64) << 16 | self.index as u64
    }

    /// The inverse of `to_raw`; bits above 32 must be clear.
    pub const fn from_raw(raw: u64) -> Option<Self> {
        if raw >> 32 != 0 {
            return None;
        }
        Some(Self { index: raw as u16, generation: (raw >> 16) as u16 })
    }

    /// The same slot with the next generation (wrapping).
    pub const fn next_generation(self) -> Self {
        Self { index: self.index, generation: self.generation.wrapping_add(1) }
    }

    /// The same slot with the generation before (wrapping): the id an ended task ran under,
    /// since its slot moved on when it ended.
    pub const fn previous_generation(self) -> Self {
        Self { index: self.index, generation: self.generation.wrapping_sub(1) }
    }
}

impl core::fmt::Display for SyscallError {
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        f.write_str(self.words())
    }
}

impl SyscallError {
    /// The error in words, as a message to a user says it.
    pub const fn words(self) -> &'static str {
        match self {
            SyscallError::UnknownSyscall => "no such system call",
            SyscallError::BadAddress => "a buffer is not memory the caller may use",
            SyscallError::TooLong => "a length or count is too large",
            SyscallError::InvalidArgument => "an argument is out of range",
            SyscallError::DeadTask => "the task has ended or was restarted",
            SyscallError::WouldBlock => "the partner was not ready",
            SyscallError::TimedOut => "the wait timed out",
            SyscallError::Denied => "the manifest does not allow it",
            SyscallError::BadLease => "no such lease, or not with that access",
            SyscallError::NoSuchTask => "no such task",
            SyscallError::OutOfMemory => "the kernel is out of memory",
            SyscallError::NoDevice => "the machine has no such device",
        }
    }
}

impl core::fmt::Display for TaskId {
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        write!(f, "{}.{}", self.index, self.generation)
    }
}

/// What a task did wrong when the kernel stopped it: the kind of its fault record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    DivideError,
    Debug,
    Breakpoint,
    Overflow,
    BoundRange,
    InvalidOpcode,
    /// An x87 instruction: the FPU is switched off for user code (see docs/traps.md).
    DeviceNotAvailable,
    /// Includes privileged instructions (`cli`, `hlt`, `in`/`out`, `mov cr3`, `wrmsr`).
    GeneralProtection,
    StackSegment,
    PageFault,
    X87Float,
    AlignmentCheck,
    SimdFloat,
    /// Any other CPU exception, by vector.
    OtherException(u8),
    /// The kernel refused to resume the task at a non-user instruction address.
    BadReturnAddress,
}

impl FaultKind {
    /// The exception vectors with a kind of their own (Intel SDM vol. 3, table 6-1).
    const BY_VECTOR: [(u8, FaultKind); 13] = [
        (0, FaultKind::DivideError),
        (1, FaultKind::Debug),
        (3, FaultKind::Breakpoint),
        (4, FaultKind::Overflow),
        (5, FaultKind::BoundRange),
        (6, FaultKind::InvalidOpcode),
        (7, FaultKind::DeviceNotAvailable),
        (12, FaultKind::StackSegment),
        (13, FaultKind::GeneralProtection),
        (14, FaultKind::PageFault),
        (16, FaultKind::X87Float),
        (17, FaultKind::AlignmentCheck),
        (19, FaultKind::SimdFloat),
    ];

    /// What `code` reports for `BadReturnAddress`, which has no vector.
    const BAD_RETURN_CODE: u64 = 256;

    /// The kind for a CPU exception vector.
    pub fn from_vector(vector: u8) -> Self {
        Self::BY_VECTOR
            .iter()
            .find(|(v, _)| *v == vector)
            .map_or(FaultKind::OtherException(vector), |(_, kind)| *kind)
    }

    /// The number `fault_info` reports: the exception vector, or 256 for `BadReturnAddress`.
    pub fn code(self) -> u64 {
        match self {
            FaultKind::OtherException(vector) => u64::from(vector),
            FaultKind::BadReturnAddress => Self::BAD_RETURN_CODE,
            kind => {
                Self::BY_VECTOR.iter().find(|(_, k)| *k == kind).map_or(0, |(v, _)| u64::from(*v))
            }
        }
    }

    /// The inverse of `code`, for whoever reads a `FaultInfo`.
    pub fn from_code(code: u64) -> Self {
        match u8::try_from(code) {
            Ok(vector) => Self::from_vector(vector),
            Err(_) => FaultKind::BadReturnAddress,
        }
    }

    pub const fn name(self) -> &'static str {
        match self {
            FaultKind::DivideError => "divide error",
            FaultKind::Debug => "debug trap",
            FaultKind::Breakpoint => "breakpoint",
            FaultKind::Overflow => "overflow",
            FaultKind::BoundRange => "bound range exceeded",
            FaultKind::InvalidOpcode => "invalid opcode",
            FaultKind::DeviceNotAvailable => "FPU use (device not available)",
            FaultKind::GeneralProtection => "general protection fault",
            FaultKind::StackSegment => "stack-segment fault",
            FaultKind::PageFault => "page fault",
            FaultKind::X87Float => "x87 floating-point error",
            FaultKind::AlignmentCheck => "alignment check",
            FaultKind::SimdFloat => "SIMD floating-point error",
            FaultKind::OtherException(_) => "CPU exception",
            FaultKind::BadReturnAddress => "bad return address",
        }
    }
}

/// Timeout value that waits forever; 0 polls.
pub const FOREVER: u64 = u64::MAX;

/// `from` for an open receive, and `task` for `fault_info` of the next ended task.
pub const ANY_TASK: u64 = u64::MAX;

/// The sender of notification messages: the kernel itself.
pub const KERNEL_SENDER: TaskId = TaskId { index: 0xffff, generation: 0xffff };

/// The operation code of a notification message; payload word 0 holds the bits.
pub const OP_NOTIFICATION: u32 = u32::MAX;

/// Notification bit raised for a task with the `faults` privilege whenever a task faults or
/// exits. Bits 0-15 are interrupt lines; bits 16-62 are free for programs.
pub const TASK_ENDED_BIT: u64 = 1 << 63;

/// How many buffers one `call` may lend.
pub const MAX_LEASES: usize = 4;

/// The register word naming a task and an operation.
pub const fn pack_target(task: TaskId, op: u32) -> u64 {
    (op as u64) << 32 | task.to_raw()
}

pub const fn unpack_target(word: u64) -> (TaskId, u32) {
    (TaskId { index: word as u16, generation: (word >> 16) as u16 }, (word >> 32) as u32)
}

mod inject;
mod leases;
mod records;
mod registers;
pub use inject::*;
pub use leases::*;
pub use records::*;
pub use registers::*;

#[cfg(test)]
mod tests {
    #[test]
    fn names_survive_fields_and_message_words() {
        let field = super::name_field("keyboard-driver1");
        assert_eq!(
            super::field_name(&super::words_field(super::name_words("keyboard-driver1"))),
            Some("keyboard-driver1")
        );
        assert_eq!(super::field_name(&field), Some("keyboard-driver1"));
        assert_eq!(super::field_name(&super::name_field("hi")), Some("hi"));
        assert_eq!(super::field_name(&[0; 16]), None);
        assert_eq!(super::field_name(&[0xff, 0]), None);
    }

    use super::*;

    #[test]
    fn message_words_pack_and_unpack() {
        let id = TaskId::new(3, 9);
        let word = pack_target(id, 0xdead_beef);
        assert_eq!(unpack_target(word), (TaskId::new(3, 9), 0xdead_beef));
        assert_eq!(unpack_target(pack_target(KERNEL_SENDER, OP_NOTIFICATION)).0, KERNEL_SENDER);
    }

    #[test]
    fn every_number_below_the_count_decodes_and_round_trips() {
        for number in 0..SYSCALL_COUNT {
            let sysnum = Sysnum::try_from(number).unwrap();
            assert_eq!(sysnum as u64, number);
        }
        assert_eq!(Sysnum::try_from(SYSCALL_COUNT), Err(SyscallError::UnknownSyscall));
        assert_eq!(Sysnum::try_from(u64::MAX), Err(SyscallError::UnknownSyscall));
    }

    #[test]
    fn error_codes_round_trip_and_zero_is_success() {
        for error in SyscallError::ALL {
            assert_ne!(error.code(), 0);
            assert_eq!(SyscallError::from_code(error.code()), Some(error));
        }
        assert_eq!(SyscallError::from_code(0), None);
        assert_eq!(SyscallError::from_code(999), None);
    }

    #[test]
    fn task_ids_pack_and_generations_differ() {
        let id = TaskId::new(7, 65535);
        assert_eq!(TaskId::from_raw(id.to_raw()), Some(id));
        assert_eq!(TaskId::from_raw(1 << 40), None);
        let next = id.next_generation();
        assert_eq!(next.index, 7);
        assert_eq!(next.generation, 0);
        assert_ne!(next, id);
        assert_eq!(std::format!("{}", TaskId::new(3, 2)), "3.2");
    }

    #[test]
    fn fault_kinds_from_vectors() {
        assert_eq!(FaultKind::from_vector(13), FaultKind::GeneralProtection);
        assert_eq!(FaultKind::from_vector(14), FaultKind::PageFault);
        assert_eq!(FaultKind::from_vector(17), FaultKind::AlignmentCheck);
        assert_eq!(FaultKind::from_vector(7), FaultKind::DeviceNotAvailable);
        for vector in 0..=255u8 {
            let kind = FaultKind::from_vector(vector);
            assert_eq!(kind.code(), u64::from(vector));
            assert_eq!(FaultKind::from_code(kind.code()), kind);
        }
        assert_eq!(
            FaultKind::from_code(FaultKind::BadReturnAddress.code()),
            FaultKind::BadReturnAddress
        );
        assert_eq!(FaultKind::from_vector(30), FaultKind::OtherException(30));
    }

    extern crate std;
}
