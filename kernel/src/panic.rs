//! A kernel panic: print where and why, then make QEMU exit with the failure code.
//!
//! Never a silent hang: even a panic while the serial port was locked gets its report out,
//! because the lock is forced open first (this CPU is about to stop anyway).

use crate::arch;
use core::panic::PanicInfo;

#[panic_handler]
fn panic(info: &PanicInfo) -> ! {
    arch::cpu::disable_interrupts();
    arch::serial::unlock_for_panic();
    crate::println!("");
    match info.location() {
        Some(at) => crate::println!("KERNEL PANIC at {}:{}:{}", at.file(), at.line(), at.column()),
        None => crate::println!("KERNEL PANIC at an unknown location"),
    }
    crate::println!("  {}", info.message());
    arch::qemu::exit(arch::qemu::ExitCode::Failure)
}
