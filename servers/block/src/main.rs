//! The block driver, in ring 3: the data disk (the second drive of the primary ATA channel,
//! next to the boot disk) through `ata-core`. Register accesses are `port_read`/`port_write`
//! system calls on the ports the manifest grants (0x1f0-0x1f7, 0x3f6); the channel's
//! interrupt (line 14) arrives as a notification, which the driver waits for in the middle of
//! a transfer with a closed receive, so client requests wait their turn. Protocol:
//! `service_api::block`.

#![no_std]
#![no_main]

use ata_core::{AtaError, Channel, Disk, Drive, SECTOR_SIZE};
use libipc::abi::{FOREVER, LEASE_READ, LEASE_WRITE};
use libipc::sys::{self, Message, Received};
use service_api::block::{INFO, IRQ, MAX_SECTORS, READ, WRITE};
use service_api::status::{BAD_REQUEST, DEVICE_ERROR, OK, TOO_LARGE};

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
    loop {
        let Ok(request) = sys::receive(None, FOREVER) else { continue };
        if let Some(bits) = request.notification() {
            // An interrupt outside a transfer (a late one): just let the line fire again.
            if bits & 1 << IRQ != 0 {
                let _ = sys::irq_ack(IRQ);
            }
            continue;
        }
        let reply = match disk.as_mut() {
            Some(disk) => handle(&request, disk),
            None => Message::new(0, [DEVICE_ERROR, 0, 0, 0]),
        };
        let _ = sys::reply(request.sender, &reply);
    }
}

fn handle(request: &Received, disk: &mut Disk<KernelChannel>) -> Message {
    let caller = request.sender;
    let answer = |status, count| Message::new(0, [status, count, 0, 0]);
    let op = request.message.op;
    if op == INFO {
        return answer(OK, u64::from(disk.sectors()));
    }
    let access = match op {
        READ => LEASE_WRITE,
        WRITE => LEASE_READ,
        _ => return answer(BAD_REQUEST, 0),
    };
    let Some(length) = sys::lent_length(caller, 0, access) else { return answer(BAD_REQUEST, 0) };
    let Ok(lba) = u32::try_from(request.message.payload[0]) else { return answer(TOO_LARGE, 0) };
    let length = length as usize;
    if length == 0 || length % SECTOR_SIZE != 0 {
        return answer(BAD_REQUEST, 0);
    }
    if length > MAX_SECTORS * SECTOR_SIZE {
        return answer(TOO_LARGE, 0);
    }
    let mut buffer = [0u8; MAX_SECTORS * SECTOR_SIZE];
    let buffer = &mut buffer[..length];
    let sectors = (length / SECTOR_SIZE) as u64;
    let result = if op == READ {
        disk.read(lba, buffer).map(|()| sys::lease_write(caller, 0, 0, buffer).is_ok())
    } else {
        match sys::lease_read(caller, 0, 0, buffer) {
            Ok(n) if n == length => disk.write(lba, buffer).map(|()| true),
            _ => Ok(false),
        }
    };
    match result {
        Ok(true) => answer(OK, sectors),
        Ok(false) => answer(BAD_REQUEST, 0),
        Err(AtaError::BadRange) => answer(TOO_LARGE, 0),
        Err(error) => {
            ulib::println!("disk error at sector {lba}: {error:?}");
            answer(DEVICE_ERROR, 0)
        }
    }
}
