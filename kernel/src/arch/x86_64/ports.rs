//! I/O port access on behalf of driver tasks, after the scheduler has checked that the task
//! owns the port (`syscalls::devices::port_io`).

use ::x86_64::instructions::port::Port;

/// Reads 1, 2 or 4 bytes from `port`.
pub fn port_read(port: u16, width: u8) -> u32 {
    // SAFETY: the caller checked the port against the manifest of the task asking; reading a
    // port the manifest grants a driver is that driver's business, not the kernel's memory.
    unsafe {
        match width {
            1 => u32::from(Port::<u8>::new(port).read()),
            2 => u32::from(Port::<u16>::new(port).read()),
            _ => Port::<u32>::new(port).read(),
        }
    }
}

/// Writes the low `width` (1, 2 or 4) bytes of `value` to `port`.
pub fn port_write(port: u16, width: u8, value: u32) {
    // SAFETY: as in `port_read`: the port belongs to the asking driver by the manifest.
    unsafe {
        match width {
            1 => Port::<u8>::new(port).write(value as u8),
            2 => Port::<u16>::new(port).write(value as u16),
            _ => Port::<u32>::new(port).write(value),
        }
    }
}
