//! A system call fuzzer: random numbers, random arguments, random and hostile pointers, from a
//! fixed seed so every run is the same. It checks what it can: an unknown number must fail
//! with `UnknownSyscall`, a pointer outside its own memory with `BadAddress`, a length past the
//! limit with `TooLong`. Exit code 0 means every answer was right; the kernel surviving is
//! checked by whoever watches.
//!
//! Argument: the number of calls (default 100000). `exit` is never called (it would end the
//! run), `sleep` only for 0 or 1 ticks and IPC calls only with timeouts of 0 or 1 tick (a
//! random wait would stall it for hours). Pointer and task-id arguments are random.

#![no_std]
#![no_main]

use libipc::SyscallError;
use libipc::abi::{DEBUG_WRITE_MAX, SYSCALL_COUNT, Sysnum};
use ulib::println;
use ulib::sys::{self, syscall_any};

ulib::entry!(main);

/// Printable bytes, in case a write with a valid pointer gets through (the task is quiet).
static BUFFER: [u8; 64] = [b'.'; 64];

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// A pointer argument: mostly hostile, sometimes valid. The valid one is read-only (a
/// `static`), so every call that writes through it must be refused too.
fn pointer(random: &mut XorShift) -> (u64, bool) {
    let valid = BUFFER.as_ptr() as u64;
    match random.next() % 12 {
        0 => (0, false),
        1 => (0xffff_ffff_8000_0000 + random.next() % 0x10_0000, false), // kernel image
        2 => (0xffff_8000_0000_0000 + random.next() % (1 << 40), false), // physical map
        3 => (0x0000_7fff_ffff_fff0, false),                             // end of user space
        4 => (random.next(), false),
        5 => (0x1000 + random.next() % 0x3f_f000, false), // below the program
        6 => (0x0000_8000_0000_0000 + random.next() % 0x1000, false), // first non-canonical
        7 => (u64::MAX - random.next() % 0x1000, false),  // wraps past the top
        8 => (0x0000_7000_0000_0000 + random.next() % 0x1000, false), // the device window
        _ => (valid + random.next() % 32, true),
    }
}

/// A length argument: mostly small, sometimes huge or at the edge of wrapping.
fn length(random: &mut XorShift) -> u64 {
    match random.next() % 8 {
        0 => u64::MAX - random.next() % 64,
        1 => random.next(),
        _ => random.next() % 96,
    }
}

fn main(argument: &str) -> u64 {
    let calls: u64 = argument.parse().unwrap_or(100_000);
    let mut random = XorShift(0x9e37_79b9_7f4a_7c15);
    let mut wrong = 0u64;
    let mut errors = 0u64;
    let mut made = 0;
    while made < calls {
        let number = match random.next() % 16 {
            0 => random.next(),
            n => n % (SYSCALL_COUNT + 2),
        };
        let (address, address_valid) = pointer(&mut random);
        // The sixth register is the IPC timeout: 0 or 1 tick, so no call can block for long.
        let mut args = [
            address,
            length(&mut random),
            random.next(),
            random.next(),
            random.next(),
            random.next() % 2,
        ];
        if number == Sysnum::Exit as u64 {
            continue;
        }
        made += 1;
        if number == Sysnum::Sleep as u64 {
            args[0] %= 2;
        }
        // SAFETY: the kernel checks every argument; no call here writes to this task's memory.
        let (status, _) = unsafe { syscall_any(number, args) };
        if status != 0 {
            errors += 1;
        }
        let expected_error = if number >= SYSCALL_COUNT {
            Some(SyscallError::UnknownSyscall)
        } else if number == Sysnum::DebugWrite as u64 && args[1] > DEBUG_WRITE_MAX {
            Some(SyscallError::TooLong)
        } else if number == Sysnum::DebugWrite as u64 && !address_valid && args[1] > 0 {
            Some(SyscallError::BadAddress)
        } else {
            None
        };
        if let Some(expected) = expected_error {
            if status != expected.code() {
                wrong += 1;
                if wrong <= 5 {
                    println!(
                        "wrong answer: call {number:#x} {args:x?} gave status {status}, expected {expected:?}"
                    );
                }
            }
        }
    }
    sys::yield_now();
    println!("{calls} calls, {errors} refused, {wrong} wrong answers");
    u64::from(wrong > 0)
}
