//! The runtime every user program links: the entry point, a panic handler, and `println!`.
//!
//! A program is a `#![no_std]`, `#![no_main]` binary that names its main function with
//! `ulib::entry!(main)`; `main` gets the start argument from the manifest and returns the exit
//! code. Output goes through the `debug_write` system call to the kernel log.

#![no_std]

use core::fmt::{self, Write};
pub use libipc::sys;

/// Calling servers by name, and finding them again after a restart.
pub mod client;
/// Files through the file server: by path, or as `File`s with an offset.
pub mod fs;
/// Acknowledging interrupt lines, for drivers.
pub mod irq;
/// The server side of a request: its leases, for the shared request handlers.
pub mod leases;
/// I/O ports for drivers, with `in` and `out` on the ports the kernel opened to them.
pub mod ports;
/// State a server keeps with its supervisor across restarts.
pub mod store;
/// The time-stamp counter and summaries of samples, for benchmarks.
pub mod timing;

/// Exit code of a program that panicked (the ABI's, so injected panics look the same).
pub use libipc::abi::PANIC_EXIT_CODE;

/// Defines `_start`, which the kernel enters with the start argument's address in `rdi` and
/// its length in `rsi`, calls `main(argument)` and exits with its result.
#[macro_export]
macro_rules! entry {
    ($main:path) => {
        #[unsafe(no_mangle)]
        extern "C" fn _start(argument: *const u8, length: usize) -> ! {
            // SAFETY: the kernel placed `length` bytes of the argument at `argument`, at the top
            // of this task's stack, where nothing else writes them (docs/abi.md).
            let bytes = unsafe { core::slice::from_raw_parts(argument, length) };
            let code: u64 = $main(core::str::from_utf8(bytes).unwrap_or(""));
            $crate::sys::exit(code)
        }
    };
}

/// Formats into a fixed buffer (no heap in user programs) and writes it with one system call;
/// text beyond the buffer is cut.
pub fn print(args: fmt::Arguments) {
    let line = Line::format(args);
    let _ = sys::debug_write(line.as_str().as_bytes());
}

/// Up to 256 bytes of formatted text, on the stack; more is cut.
pub struct Line {
    bytes: [u8; 256],
    len: usize,
}

impl Line {
    pub fn format(args: fmt::Arguments) -> Self {
        let mut line = Line { bytes: [0; 256], len: 0 };
        let _ = line.write_fmt(args);
        line
    }

    pub fn as_str(&self) -> &str {
        // Cutting can split a character; show what is whole.
        match core::str::from_utf8(&self.bytes[..self.len]) {
            Ok(text) => text,
            Err(error) => core::str::from_utf8(&self.bytes[..error.valid_up_to()]).unwrap_or(""),
        }
    }
}

impl Write for Line {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let take = text.len().min(self.bytes.len() - self.len);
        self.bytes[self.len..self.len + take].copy_from_slice(&text.as_bytes()[..take]);
        self.len += take;
        Ok(())
    }
}

/// Honours width and alignment (`{:<7}`), which `Display` of other types may not.
impl fmt::Display for Line {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.pad(self.as_str())
    }
}

#[macro_export]
macro_rules! println {
    ($($arg:tt)*) => { $crate::print(format_args!("{}\n", format_args!($($arg)*))) };
}

/// For test programs: unless the condition holds, print it with its line number and return
/// the line number from the enclosing function (used as the exit code, so a failing check
/// is identified by the exit code alone).
#[macro_export]
macro_rules! require {
    ($condition:expr) => {
        if !$condition {
            $crate::println!("check failed at line {}: {}", line!(), stringify!($condition));
            return u64::from(line!());
        }
    };
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    match info.location() {
        Some(at) => println!("panic at {}:{}: {}", at.file(), at.line(), info.message()),
        None => println!("panic: {}", info.message()),
    }
    sys::exit(PANIC_EXIT_CODE)
}
