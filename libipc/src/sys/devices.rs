//! What drivers ask the kernel for: interrupt acknowledgements, I/O ports through the
//! kernel (the system drivers use `in` and `out` themselves), and the screen.

use super::{IpcError, simple};
use crate::abi::Sysnum;

/// Unmasks interrupt line `line` (owned by the caller) after handling its notification.
pub fn irq_ack(line: u8) -> Result<(), IpcError> {
    simple(Sysnum::IrqAck, [u64::from(line), 0, 0, 0, 0]).map(|_| ())
}

/// Reads `width` (1, 2 or 4) bytes from I/O port `port`, which the caller must own.
pub fn port_read(port: u16, width: u8) -> Result<u32, IpcError> {
    simple(Sysnum::PortRead, [u64::from(port), u64::from(width), 0, 0, 0]).map(|v| v as u32)
}

pub fn port_write(port: u16, width: u8, value: u32) -> Result<(), IpcError> {
    simple(Sysnum::PortWrite, [u64::from(port), u64::from(width), u64::from(value), 0, 0])
        .map(|_| ())
}

/// Maps the screen into this task at `FRAMEBUFFER_ADDRESS` and says how its pixels are laid
/// out (privilege `framebuffer`; `NoDevice` on a machine without one).
pub fn framebuffer() -> Result<crate::abi::FramebufferInfo, IpcError> {
    let mut info = crate::abi::FramebufferInfo::default();
    simple(Sysnum::Framebuffer, [&mut info as *mut _ as u64, 0, 0, 0, 0])?;
    Ok(info)
}
