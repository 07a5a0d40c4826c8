//! System call numbers, error codes, task ids and fault kinds.
//!
//! # Register convention
//!
//! A program puts the system call number in `rax` and up to five arguments in `rdi`, `rsi`,
//! `rdx`, `r10`, `r8` (`rcx` and `r11` are taken by the `syscall` instruction itself), then
//! executes `syscall`. On return `rax` holds 0 for success or a `SyscallError` code, and `rdx`
//! holds the result value. Every other register is preserved. See docs/abi.md.

/// The system calls. The numbers are the ABI: never reuse or renumber one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum Sysnum {
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
}

/// How many system call numbers exist; numbers from here up are unknown.
pub const SYSCALL_COUNT: u64 = 6;

impl TryFrom<u64> for Sysnum {
    type Error = SyscallError;

    fn try_from(number: u64) -> Result<Self, SyscallError> {
        Ok(match number {
            0 => Sysnum::DebugWrite,
            1 => Sysnum::Yield,
            2 => Sysnum::Sleep,
            3 => Sysnum::Exit,
            4 => Sysnum::TaskInfo,
            5 => Sysnum::Uptime,
            _ => return Err(SyscallError::UnknownSyscall),
        })
    }
}

/// Timer ticks per second (`uptime` and `sleep` count in ticks).
pub const TICKS_PER_SECOND: u64 = 100;

/// Longest `debug_write` the kernel accepts in one call; longer requests are `TooLong`.
pub const DEBUG_WRITE_MAX: u64 = 1024;

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
}

impl SyscallError {
    pub const fn code(self) -> u64 {
        self as u64
    }

    /// The error for a nonzero `rax`; `None` for 0 (success) and for codes this ABI lacks.
    pub const fn from_code(code: u64) -> Option<Self> {
        Some(match code {
            1 => SyscallError::UnknownSyscall,
            2 => SyscallError::BadAddress,
            3 => SyscallError::TooLong,
            4 => SyscallError::InvalidArgument,
            _ => return None,
        })
    }
}

/// A task's identity: a slot index in the kernel's task table plus a generation that changes
/// whenever the slot gets a new task (a restart), so an old id never names the new task.
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
    /// The kind for a CPU exception vector.
    pub const fn from_vector(vector: u8) -> Self {
        match vector {
            0 => FaultKind::DivideError,
            1 => FaultKind::Debug,
            3 => FaultKind::Breakpoint,
            4 => FaultKind::Overflow,
            5 => FaultKind::BoundRange,
            6 => FaultKind::InvalidOpcode,
            7 => FaultKind::DeviceNotAvailable,
            12 => FaultKind::StackSegment,
            13 => FaultKind::GeneralProtection,
            14 => FaultKind::PageFault,
            16 => FaultKind::X87Float,
            17 => FaultKind::AlignmentCheck,
            19 => FaultKind::SimdFloat,
            other => FaultKind::OtherException(other),
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

#[cfg(test)]
mod tests {
    use super::*;

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
        for error in [
            SyscallError::UnknownSyscall,
            SyscallError::BadAddress,
            SyscallError::TooLong,
            SyscallError::InvalidArgument,
        ] {
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
        assert_eq!(FaultKind::from_vector(30), FaultKind::OtherException(30));
    }

    extern crate std;
}
