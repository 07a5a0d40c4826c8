//! The built-in serial driver: COM1's output for the console, and its input, taken in the
//! interrupt handler and handed to the console by `builtin::interrupt`.

use super::gate::{Gate, Pass, Service};
use crate::arch;
use crate::trace;
use kernel_core::manifest::Service as BuiltinService;
use kernel_core::trace::Kind;
use service_api::serial::WRITE;
use service_api::status::OK;
use spin::Mutex;

pub static SERIAL: Mutex<Service<()>> =
    Mutex::new(Service { gate: Gate::new(BuiltinService::Serial), state: () });

pub fn start() {
    arch::serial::enable_receive_interrupt();
    arch::unmask_irq(service_api::serial::IRQ);
}

/// Output: one request to the driver, as a `serial::WRITE` message would be.
pub fn write(bytes: &[u8]) {
    let (console, serial_driver) = (BuiltinService::Console, BuiltinService::Serial);
    let asked = bytes.len() as u64;
    trace::direct(Kind::Call, console, serial_driver, WRITE, [0, 0], asked);
    let mut serial = SERIAL.lock();
    let mut length = [bytes.len() as u64];
    if serial.enter(&mut length) == Pass::Proceed {
        arch::serial::write_bytes(&bytes[..(length[0] as usize).min(bytes.len())]);
    }
    trace::direct(Kind::Reply, serial_driver, console, 0, [OK, asked], 0);
}

/// Line 4: the received bytes, into `bytes`; returns how many. The caller hands them to the
/// console after this lock is dropped (the console's echo comes back here through `write`).
pub fn interrupt(bytes: &mut [u8]) -> usize {
    let mut serial = SERIAL.lock();
    match serial.enter(&mut []) {
        Pass::Proceed => arch::serial::receive(bytes),
        // A stopped driver leaves the bytes in the UART; nobody reads them any more.
        Pass::Skip | Pass::Stopped => 0,
    }
}
