//! A ring-3 driver for the CMOS real-time clock's periodic interrupt (IRQ 8, ports 0x70-0x71).
//!
//! The kernel forwards each interrupt as notification bit 8 and keeps the line masked until
//! the driver calls `irq_ack`. The driver proves that: after the first interrupt it waits a
//! while without acknowledging, and no second notification may arrive in that time although
//! the clock keeps ticking at 64 Hz. Argument: how many interrupts to handle (default 5).

#![no_std]
#![no_main]

use libipc::SyscallError;
use libipc::sys::{self, IpcError};
use ulib::println;

ulib::entry!(main);

const LINE: u8 = 8;
const INDEX_PORT: u16 = 0x70;
const DATA_PORT: u16 = 0x71;
/// Register indices, with bit 7 set to keep NMIs disabled while the index is selected.
const REGISTER_A: u8 = 0x8a;
const REGISTER_B: u8 = 0x8b;
const REGISTER_C: u8 = 0x8c;
/// Rate 10 in register A: 32768 >> (10 - 1) = 64 interrupts per second.
const RATE_64_HZ: u8 = 10;
const PERIODIC_INTERRUPT_ENABLE: u8 = 1 << 6;

fn read(register: u8) -> Result<u8, IpcError> {
    sys::port_write(INDEX_PORT, 1, u32::from(register))?;
    Ok(sys::port_read(DATA_PORT, 1)? as u8)
}

fn write(register: u8, value: u8) -> Result<(), IpcError> {
    sys::port_write(INDEX_PORT, 1, u32::from(register))?;
    sys::port_write(DATA_PORT, 1, u32::from(value))
}

fn main(argument: &str) -> u64 {
    let wanted: u32 = argument.parse().unwrap_or(5);
    match run(wanted) {
        Ok(()) => {
            println!("handled {wanted} clock interrupts, each masked until acknowledged");
            0
        }
        Err(why) => {
            println!("failed: {why}");
            1
        }
    }
}

fn run(wanted: u32) -> Result<(), &'static str> {
    let port_error = |_| "port access refused";
    let a = read(REGISTER_A).map_err(port_error)?;
    write(REGISTER_A, (a & 0xf0) | RATE_64_HZ).map_err(port_error)?;
    let b = read(REGISTER_B).map_err(port_error)?;
    write(REGISTER_B, b | PERIODIC_INTERRUPT_ENABLE).map_err(port_error)?;
    read(REGISTER_C).map_err(port_error)?; // clear anything pending
    for count in 1..=wanted {
        let message = sys::receive(None, 100).map_err(|_| "no interrupt within 100 ticks")?;
        if message.notification().is_none_or(|bits| bits & 1 << LINE == 0) {
            return Err("woken by something other than the clock");
        }
        read(REGISTER_C).map_err(port_error)?; // tells the clock its interrupt was seen
        if count == 1 {
            // Four more clock periods pass, but the line is masked: nothing may arrive.
            sys::sleep(8);
            if sys::receive(None, 0) != Err(IpcError::Failed(SyscallError::WouldBlock)) {
                return Err("a notification arrived while the line was masked");
            }
        }
        sys::irq_ack(LINE).map_err(|_| "irq_ack refused")?;
    }
    write(REGISTER_B, b & !PERIODIC_INTERRUPT_ENABLE).map_err(port_error)?;
    read(REGISTER_C).map_err(port_error)?;
    Ok(())
}
