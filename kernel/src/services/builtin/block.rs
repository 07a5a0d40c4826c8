//! The built-in block driver: `ata-core` on the primary channel's ports, reached directly.
//!
//! The kernel has one trap stack and no threads of its own, so it cannot wait for the disk's
//! interrupt in the middle of a request: the built-in driver polls the drive's status instead,
//! and its interrupt handler only clears the drive's interrupt.

use super::gate::{Gate, Pass, Service};
use crate::arch;
use crate::services::host::{Answer, Host};
use crate::trace;
use ata_core::ports::COMMAND_BLOCK;
use ata_core::{Disk, Drive, PortChannel};
use kernel_core::manifest::Service as BuiltinService;
use kernel_core::trace::Kind;
use libipc::TaskId;
use service_api::block::{READ, SECTOR_SIZE, WRITE};
use service_api::leases::words;
use service_api::status::{BAD_REQUEST, DEVICE_ERROR, OK};
use spin::Mutex;

pub static BLOCK: Mutex<Service<Option<Disk<Channel>>>> =
    Mutex::new(Service { gate: Gate::new(BuiltinService::Block), state: None });

/// The primary channel through `in` and `out`.
type Channel = PortChannel<Ports>;

pub struct Ports;

/// Spins of a pause while the drive is busy (a few microseconds).
const PAUSE_SPINS: u32 = 10_000;

impl ata_core::Ports for Ports {
    fn read(&mut self, port: u16, width: u8) -> Option<u32> {
        Some(arch::port_read(port, width))
    }

    fn write(&mut self, port: u16, width: u8, value: u32) {
        arch::port_write(port, width, value);
    }

    fn wait_interrupt(&mut self) -> bool {
        false // poll: see the module comment
    }

    fn pause(&mut self) {
        // The kernel cannot sleep in a call; the device runs on QEMU's other threads meanwhile.
        for _ in 0..PAUSE_SPINS {
            core::hint::spin_loop();
        }
    }
}

pub fn start() {
    match Disk::identify(PortChannel(Ports), Drive::Slave) {
        Ok(disk) => BLOCK.lock().state = Some(disk),
        Err(error) => log::warn!("built-in block: no data disk: {error}"),
    }
    arch::unmask_irq(service_api::block::IRQ);
}

/// Line 14: reading the status register clears the drive's interrupt.
pub fn interrupt() {
    arch::port_read(COMMAND_BLOCK + ata_core::register::STATUS, 1);
}

pub fn call(kernel: &mut dyn Host, caller: TaskId, op: u32, payload: [u64; 4]) -> Answer {
    let mut block = BLOCK.lock();
    let mut registers = [u64::from(op), payload[0]];
    match block.enter(&mut registers) {
        Pass::Proceed => {}
        Pass::Skip => return Answer::Skipped,
        Pass::Stopped => return Answer::Now(words(Err(DEVICE_ERROR))),
    }
    let Some(leases) = kernel.leases(caller) else { return Answer::Now(words(Err(BAD_REQUEST))) };
    let reply = match block.state.as_mut() {
        Some(disk) => {
            // Programs that call the disk directly are rare (the built-in file server calls
            // `read` and `write` below), so a buffer on the stack will do.
            let mut buffer: service_api::block::Transfer = [0; _];
            let op = registers[0] as u32;
            ata_core::requests::handle(disk, op, registers[1], &leases, &mut buffer)
        }
        None => Err(DEVICE_ERROR),
    };
    let mut words = words(reply);
    block.gate.leave(&mut words);
    Answer::Now(words)
}

/// Reads sectors from `lba` into `bytes` for the built-in file server: one request to the
/// driver, as a message would be.
pub fn read(lba: u32, bytes: &mut [u8]) -> Result<(), u64> {
    let length = bytes.len();
    let read = || transfer(lba, length, |disk, lba, n| disk.read(lba, &mut bytes[..n]));
    traced(READ, lba, length, read)
}

/// Writes `bytes` to the sectors from `lba`, likewise.
pub fn write(lba: u32, bytes: &[u8]) -> Result<(), u64> {
    let length = bytes.len();
    let write = || transfer(lba, length, |disk, lba, n| disk.write(lba, &bytes[..n]));
    traced(WRITE, lba, length, write)
}

/// `transfer`, shown in the trace as the file server's call `op` and the driver's answer,
/// with the words a `block` message would carry (the first sector; status and sectors).
fn traced(
    op: u32,
    lba: u32,
    length: usize,
    transfer: impl FnOnce() -> Result<(), u64>,
) -> Result<(), u64> {
    let (fs, block) = (BuiltinService::Fs, BuiltinService::Block);
    trace::direct(Kind::Call, fs, block, op, [lba.into(), 0], length as u64);
    let result = transfer();
    let words = match result {
        Ok(()) => [OK, (length / SECTOR_SIZE) as u64],
        Err(status) => [status, 0],
    };
    trace::direct(Kind::Reply, block, fs, 0, words, 0);
    result
}

/// One transfer through the gate, whose `flipreg` may change its sector and length.
fn transfer(
    lba: u32,
    length: usize,
    moved: impl FnOnce(&mut Disk<Channel>, u32, usize) -> Result<(), ata_core::AtaError>,
) -> Result<(), u64> {
    let mut block = BLOCK.lock();
    let mut registers = [u64::from(lba), length as u64];
    match block.enter(&mut registers) {
        Pass::Proceed => {}
        Pass::Skip => return Ok(()), // nothing moved, and nobody is told
        Pass::Stopped => return Err(DEVICE_ERROR),
    }
    let (lba, length) = (registers[0] as u32, (registers[1] as usize).min(length));
    let disk = block.state.as_mut().ok_or(DEVICE_ERROR)?;
    let mut status = [if moved(disk, lba, length).is_ok() { 0 } else { DEVICE_ERROR }, 0, 0, 0];
    block.gate.leave(&mut status);
    match status[0] {
        0 => Ok(()),
        error => Err(error),
    }
}

/// The disk's size in sectors.
pub fn sectors() -> Result<u32, u64> {
    let block = BLOCK.lock();
    block.state.as_ref().map(Disk::sectors).ok_or(DEVICE_ERROR)
}
