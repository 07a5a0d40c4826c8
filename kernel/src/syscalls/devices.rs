//! Devices for driver tasks: acknowledging interrupts and I/O ports, each checked against
//! what the manifest granted the caller.

use super::outcome::Outcome;
use crate::arch;
use crate::irq::IRQ_LINES;
use crate::state::Kernel;
use libipc::SyscallError;

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
