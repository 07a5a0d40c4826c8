//! Devices for driver tasks: acknowledging interrupts, I/O ports and the screen, each checked
//! against what the manifest granted the caller.

use super::outcome::Outcome;
use crate::arch;
use crate::arch::paging::{self, MapError};
use crate::irq::IRQ_LINES;
use crate::mm::layout::USER_DEVICE_END;
use crate::state::Kernel;
use crate::usercopy::copy_value_to_user;
use libipc::SyscallError;
use libipc::abi::{FRAMEBUFFER_ADDRESS, FramebufferInfo};

const PAGE_SIZE: u64 = 4096;

/// `irq_ack(line)`: the owner has handled the device; let the line interrupt again.
pub fn irq_ack(k: &mut Kernel, caller: usize, line: u64) -> Outcome {
    let line = match u8::try_from(line) {
        Ok(line) if usize::from(line) < IRQ_LINES => line,
        _ => return SyscallError::InvalidArgument.into(),
    };
    if k.irqs.owner(line) != Some(caller) {
        return SyscallError::Denied.into();
    }
    k.irqs.acknowledge(line);
    Outcome::Value(0)
}

/// `port_read(port, width)` and `port_write(port, width, value)`, for ports the manifest
/// gave the caller.
pub fn port_io(
    k: &mut Kernel,
    caller: usize,
    port: u64,
    width: u64,
    value: Option<u64>,
) -> Outcome {
    let (Ok(port), Ok(width @ (1 | 2 | 4))) = (u16::try_from(port), u8::try_from(width)) else {
        return SyscallError::InvalidArgument.into();
    };
    if !k.tasks[caller].spec.ports.allows(port, u16::from(width)) {
        return SyscallError::Denied.into();
    }
    match value {
        Some(value) => {
            arch::port_write(port, width, value as u32);
            Outcome::Value(0)
        }
        None => Outcome::Value(u64::from(arch::port_read(port, width))),
    }
}

/// `framebuffer(buffer)`: maps the screen's pixels at `FRAMEBUFFER_ADDRESS` in the caller's
/// space (writable, never executable, and not the task's memory: its end leaves them alone)
/// and writes their layout into `buffer`. Pages mapped by an earlier call stay as they are.
pub fn framebuffer(k: &mut Kernel, caller: usize, buffer: u64) -> Outcome {
    if !k.tasks[caller].spec.privileges.framebuffer {
        return SyscallError::Denied.into();
    }
    let Some(screen) = crate::framebuffer::screen() else {
        return SyscallError::NoDevice.into();
    };
    let info = FramebufferInfo { address: FRAMEBUFFER_ADDRESS, ..screen.info };
    if info.length > USER_DEVICE_END - FRAMEBUFFER_ADDRESS {
        return SyscallError::NoDevice.into(); // a screen larger than the window for it
    }
    let space = k.tasks[caller].space.as_mut().expect("a live task has memory");
    if let Err(error) = copy_value_to_user(space, buffer, &info) {
        return error.into();
    }
    for offset in (0..info.length).step_by(PAGE_SIZE as usize) {
        let Some(physical) = paging::kernel_physical(screen.kernel_address + offset) else {
            return SyscallError::NoDevice.into();
        };
        match space.map_device_page(FRAMEBUFFER_ADDRESS + offset, physical & !(PAGE_SIZE - 1)) {
            Ok(()) | Err(MapError::AlreadyMapped(_)) => {}
            Err(MapError::OutOfFrames) => return SyscallError::OutOfMemory.into(),
        }
    }
    Outcome::Value(0)
}
