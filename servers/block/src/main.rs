//! The block driver, in ring 3: the data disk (the second drive of the primary ATA channel,
//! next to the boot disk) through `ata-core`. Register accesses are `in` and `out` on the ports
//! the manifest grants (0x1f0-0x1f7, 0x3f6), which the kernel opens to it alone; the channel's
//! interrupt (line 14) arrives as a notification, which the driver waits for in the middle of
//! a transfer with a closed receive, so client requests wait their turn. Protocol:
//! `service_api::block`.

#![no_std]
#![no_main]

use ata_core::{Disk, Drive, PortChannel, Ports};
use libipc::sys::{self, Message};
use service_api::block::IRQ;
use service_api::leases::words;
use service_api::status::DEVICE_ERROR;
use ulib::leases::CallerLeases;

ulib::entry!(main);

/// A transfer whose interrupt has not come after this many ticks is looked at anyway.
const INTERRUPT_PATIENCE: u64 = 10;

/// The primary channel's ports, reached with `in` and `out` (`ulib::ports`).
struct DriverPorts;

impl Ports for DriverPorts {
    fn read(&mut self, port: u16, width: u8) -> Option<u32> {
        Some(ulib::ports::read(port, width))
    }

    fn write(&mut self, port: u16, width: u8, value: u32) {
        ulib::ports::write(port, width, value);
    }

    fn pause(&mut self) {
        sys::sleep(1);
    }

    fn wait_interrupt(&mut self) -> bool {
        let deadline = sys::uptime() + INTERRUPT_PATIENCE;
        loop {
            let left = deadline.saturating_sub(sys::uptime());
            match sys::wait_notification(left.max(1)) {
                Ok(bits) if bits & 1 << IRQ != 0 => {
                    ulib::irq::acknowledge(IRQ);
                    return true;
                }
                Ok(_) if left > 0 => continue,
                _ => return false,
            }
        }
    }
}

fn main(_argument: &str) -> u64 {
    let mut disk = match Disk::identify(PortChannel(DriverPorts), Drive::Slave) {
        Ok(disk) => Some(disk),
        Err(error) => {
            // Keep answering (with errors) rather than exit: the supervisor would only
            // restart a driver that has no disk to drive.
            ulib::println!("no data disk on the primary ATA channel: {error}");
            None
        }
    };
    let mut buffer: service_api::block::Transfer = [0; _];
    sys::serve(|request| {
        if let Some(bits) = request.notification() {
            // An interrupt outside a transfer (a late one): just let the line fire again.
            if bits & 1 << IRQ != 0 {
                ulib::irq::acknowledge(IRQ);
            }
            return None;
        }
        let (op, lba) = (request.message.op, request.message.payload[0]);
        let reply = match disk.as_mut() {
            Some(disk) => {
                let leases = CallerLeases::of_request(request);
                ata_core::requests::handle(disk, op, lba, &leases, &mut buffer)
            }
            None => Err(DEVICE_ERROR),
        };
        if let Err(DEVICE_ERROR) = reply {
            ulib::println!("disk error at sector {lba}");
        }
        Some(Message::new(0, words(reply)))
    })
}
