//! Times interrupt delivery: on a `call` from `bench`, it turns on the real-time clock's
//! periodic interrupt and, for each one, takes the time between the kernel forwarding it
//! (payload word 1 of the notification) and this driver running. The reply carries the
//! summary: median, p99, min, max.

#![no_std]
#![no_main]

use libipc::abi::FOREVER;
use libipc::sys::{self, IpcError, Message};
use ulib::timing::{summarize, timestamp};

ulib::entry!(main);

const LINE: u8 = 8;
const SAMPLES: usize = 200;

fn cmos(register: u8, value: Option<u8>) -> Result<u8, IpcError> {
    sys::port_write(0x70, 1, u32::from(register | 0x80))?;
    match value {
        Some(value) => sys::port_write(0x71, 1, u32::from(value)).map(|_| value),
        None => Ok(sys::port_read(0x71, 1)? as u8),
    }
}

fn main(_argument: &str) -> u64 {
    sys::serve(|request| {
        if request.notification().is_some() {
            return None; // a stray interrupt before the run starts
        }
        let summary = measure().unwrap_or_default();
        Some(Message::new(0, [summary.median, summary.p99, summary.min, summary.max]))
    })
}

fn measure() -> Result<ulib::timing::Summary, IpcError> {
    let mut samples = [0u64; SAMPLES];
    let a = cmos(0x0a, None)?;
    cmos(0x0a, Some((a & 0xf0) | 6))?; // rate 6: 1024 Hz
    let b = cmos(0x0b, None)?;
    cmos(0x0b, Some(b | 0x40))?;
    cmos(0x0c, None)?;
    let mut taken = 0;
    while taken < SAMPLES {
        let message = sys::receive(None, FOREVER)?;
        let woke = timestamp();
        if message.notification().is_some_and(|bits| bits & 1 << LINE != 0) {
            samples[taken] = woke.wrapping_sub(message.message.payload[1]);
            taken += 1;
            cmos(0x0c, None)?;
            sys::irq_ack(LINE)?;
        }
    }
    cmos(0x0b, Some(b & !0x40))?;
    cmos(0x0c, None)?;
    Ok(summarize(&mut samples))
}
