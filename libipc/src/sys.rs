//! User-side system call wrappers: load the registers, execute `syscall`, decode the result.
//!
//! Only ring-3 code may call these; in the kernel a `syscall` instruction would re-enter the
//! kernel's own entry point.

use crate::abi::{SyscallError, Sysnum, TaskId};

/// Executes `syscall` with any number and arguments and returns (`rax`, `rdx`). The wrappers
/// below use it; the fuzzer calls it directly.
///
/// # Safety
/// The kernel checks every argument, so nothing here can hurt the kernel or other tasks, but a
/// call that writes to a buffer writes to whatever memory of the caller the pointer names.
#[inline(always)]
pub unsafe fn syscall_any(number: u64, args: [u64; 5]) -> (u64, u64) {
    let status: u64;
    let value: u64;
    // SAFETY: `syscall` clobbers only rcx and r11; the kernel preserves every other register
    // except the outputs rax and rdx and validates everything it is given.
    unsafe {
        core::arch::asm!(
            "syscall",
            inlateout("rax") number => status,
            in("rdi") args[0],
            in("rsi") args[1],
            inlateout("rdx") args[2] => value,
            in("r10") args[3],
            in("r8") args[4],
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
    // SAFETY: the caller upholds the ABI of `number`.
    unsafe { syscall_any(number as u64, args) }
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

pub fn task_info() -> TaskId {
    // SAFETY: no arguments.
    let raw = decode(unsafe { syscall(Sysnum::TaskInfo, [0; 5]) }).unwrap_or(0);
    TaskId::from_raw(raw).unwrap_or(TaskId::new(0, 0))
}

/// Timer ticks since boot.
pub fn uptime() -> u64 {
    // SAFETY: no arguments.
    decode(unsafe { syscall(Sysnum::Uptime, [0; 5]) }).unwrap_or(0)
}
