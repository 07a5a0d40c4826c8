//! QEMU's `isa-debug-exit` device at port 0xf4.
//!
//! Writing `v` makes QEMU exit with status `(v << 1) | 1`, so `Success` (0x10) shows up on the
//! host as 33 and `Failure` (0x11) as 35; `xtask` decodes them. Without the device (real
//! hardware, or QEMU started without it) the write does nothing and the CPU halts instead.

use ::x86_64::instructions::port::Port;

const DEBUG_EXIT_PORT: u16 = 0xf4;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum ExitCode {
    Success = 0x10,
    Failure = 0x11,
}

pub fn exit(code: ExitCode) -> ! {
    // SAFETY: port 0xf4 is the debug-exit device xtask configures; elsewhere it is unused.
    unsafe { Port::<u32>::new(DEBUG_EXIT_PORT).write(code as u32) };
    super::cpu::halt_forever()
}
