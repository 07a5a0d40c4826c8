//! The primary channel's registers as I/O ports: each flavour says only how a port is read
//! and written (port system calls in ring 3, `in`/`out` in the kernel) and how it waits for the
//! interrupt; the register layout and the data transfers are here, once.

use crate::{Channel, SECTOR_SIZE};

/// The primary channel's command block and device control register.
pub const COMMAND_BLOCK: u16 = 0x1f0;
pub const CONTROL_BLOCK: u16 = 0x3f6;

/// I/O port access, `width` 1 or 4 bytes.
pub trait Ports {
    /// The port's value, or `None` if it could not be read.
    fn read(&mut self, port: u16, width: u8) -> Option<u32>;
    fn write(&mut self, port: u16, width: u8, value: u32);
    /// As `Channel::wait_interrupt`.
    fn wait_interrupt(&mut self) -> bool;
    /// As `Channel::pause`.
    fn pause(&mut self);
}

/// The primary channel through `P`.
pub struct PortChannel<P: Ports>(pub P);

impl<P: Ports> PortChannel<P> {
    fn byte(&mut self, port: u16) -> u8 {
        // A register that cannot be read looks like no drive: all ones.
        self.0.read(port, 1).map_or(0xff, |v| v as u8)
    }
}

impl<P: Ports> Channel for PortChannel<P> {
    fn read(&mut self, register: u16) -> u8 {
        self.byte(COMMAND_BLOCK + register)
    }

    fn write(&mut self, register: u16, value: u8) {
        self.0.write(COMMAND_BLOCK + register, 1, u32::from(value));
    }

    fn read_data(&mut self, sector: &mut [u8; SECTOR_SIZE]) {
        // 32-bit transfers: half the port accesses of 16-bit ones (QEMU's IDE accepts them).
        for word in sector.chunks_exact_mut(4) {
            let value = self.0.read(COMMAND_BLOCK, 4).unwrap_or(0);
            word.copy_from_slice(&value.to_le_bytes());
        }
    }

    fn write_data(&mut self, sector: &[u8; SECTOR_SIZE]) {
        for word in sector.chunks_exact(4) {
            let value = u32::from_le_bytes([word[0], word[1], word[2], word[3]]);
            self.0.write(COMMAND_BLOCK, 4, value);
        }
    }

    fn alternate_status(&mut self) -> u8 {
        self.byte(CONTROL_BLOCK)
    }

    fn control(&mut self, value: u8) {
        self.0.write(CONTROL_BLOCK, 1, u32::from(value));
    }

    fn wait_interrupt(&mut self) -> bool {
        self.0.wait_interrupt()
    }

    fn pause(&mut self) {
        self.0.pause();
    }
}
