//! The block driver, in ring 3: the data disk (the second drive of the primary ATA channel,
//! next to the boot disk) through `ata-core`. Register accesses are `port_read`/`port_write`
//! system calls on the ports the manifest grants (0x1f0-0x1f7, 0x3f6); the channel's
//! interrupt (line 14) arrives as a notification, which the driver waits for in the middle of
//! a transfer with a closed receive, so client requests wait their turn. Protocol:
//! `service_api::block`.

#![no_std]
#![no_main]

use ata_core::{Channel, Disk, Drive, SECTOR_SIZE};
use libipc::sys::{self, Message};
use service_api::block::IRQ;
use service_api::leases::words;
use service_api::status::DEVICE_ERROR;
use ulib::leases::CallerLeases;

ulib::entry!(main);

const COMMAND_BLOCK: u16 = 0x1f0;
const CONTROL_BLOCK: u16 = 0x3f6;
/// A transfer whose interrupt has not come after this many ticks is looked at anyway.
const INTERRUPT_PATIENCE: u64 = 10;

/// The primary channel, through the kernel's port system calls.
struct KernelChannel;

impl Channel for KernelChannel {
    fn read(&mut self, register: u16) -> u8 {
        sys::port_read(COMMAND_BLOCK + register, 1).map_or(0xff, |v| v as u8)
    }

    fn write(&mut self, register: u16, value: u8) {
        let _ = sys::port_write(COMMAND_BLOCK + register, 1, u32::from(value));
    }

    fn read_data(&mut self, sector: &mut [u8; SECTOR_SIZE]) {
        // 32-bit transfers: half the system calls of 16-bit ones (QEMU's IDE accepts them).
        for word in sector.chunks_exact_mut(4) {
            let value = sys::port_read(COMMAND_BLOCK, 4).unwrap_or(0);
            word.copy_from_slice(&value.to_le_bytes());
        }
    }

    fn write_data(&mut self, sector: &[u8; SECTOR_SIZE]) {
        for word in sector.chunks_exact(4) {
            let value = u32::from_le_bytes([word[0], word[1], word[2], word[3]]);
            let _ = sys::port_write(COMMAND_BLOCK, 4, value);
        }
    }

    fn alternate_status(&mut self) -> u8 {
        sys::port_read(CONTROL_BLOCK, 1).map_or(0xff, |v| v as u8)
    }

    fn control(&mut self, value: u8) {
        let _ = sys::port_write(CONTROL_BLOCK, 1, u32::from(value));
    }

    fn wait_interrupt(&mut self) -> bool {
        let deadline = sys::uptime() + INTERRUPT_PATIENCE;
        loop {
            let left = deadline.saturating_sub(sys::uptime());
            match sys::wait_notification(left.max(1)) {
                Ok(bits) if bits & 1 << IRQ != 0 => {
                    let _ = sys::irq_ack(IRQ);
                    return true;
                }
                Ok(_) if left > 0 => continue,
                _ => return false,
            }
        }
    }
}

fn main(_argument: &str) -> u64 {
    let mut disk = match Disk::identify(KernelChannel, Drive::Slave) {
        Ok(disk) => Some(disk),
        Err(error) => {
            // Keep answering (with errors) rather than exit: the supervisor would only
            // restart a driver that has no disk to drive.
            ulib::println!("no data disk on the primary ATA channel ({error:?})");
            None
        }
    };
    sys::serve(|request| {
        if let Some(bits) = request.notification() {
            // An interrupt outside a transfer (a late one): just let the line fire again.
            if bits & 1 << IRQ != 0 {
                let _ = sys::irq_ack(IRQ);
            }
            return None;
        }
        let (op, lba) = (request.message.op, request.message.payload[0]);
        let reply = match disk.as_mut() {
            Some(disk) => ata_core::requests::handle(disk, op, lba, &CallerLeases(request.sender)),
            None => Err(DEVICE_ERROR),
        };
        if let Err(DEVICE_ERROR) = reply {
            ulib::println!("disk error at sector {lba}");
        }
        Some(Message::new(0, words(reply)))
    })
}
