//! The keyboard driver, in ring 3: the PS/2 controller (i8042) on ports 0x60 and 0x64 and
//! interrupt line 1, from the manifest. Each interrupt arrives as a notification; the driver
//! reads the scancodes, turns them into terminal bytes with `keyboard-core`, keeps them in a
//! ring and tells the console, which reads them with `serial::READ` exactly as it reads the
//! serial line. QEMU's window (`cargo xtask qemu --display`) is where these keys come from.

#![no_std]
#![no_main]

use console_core::ByteRing;
use keyboard_core::Keyboard;
use libipc::TaskId;
use libipc::abi::{FOREVER, LEASE_WRITE};
use libipc::sys::{self, Message, Received};
use service_api::keyboard::{DATA_PORT, INPUT_READY_BIT, IRQ, STATUS_PORT};
use service_api::serial::READ;
use service_api::status::{BAD_REQUEST, OK};

ulib::entry!(main);

const OUTPUT_FULL: u32 = 1 << 0;
const READ_CONFIG: u32 = 0x20;
const WRITE_CONFIG: u32 = 0x60;
/// Configuration bits: interrupt on a key (port 1), and translate to scancode set 1.
const PORT1_INTERRUPT: u32 = 1 << 0;
const TRANSLATE: u32 = 1 << 6;

fn status() -> u32 {
    sys::port_read(STATUS_PORT, 1).unwrap_or(0)
}

/// Drains whatever the controller holds (bounded: a missing controller reads as all ones).
fn drain(mut each: impl FnMut(u8)) {
    for _ in 0..64 {
        if status() & OUTPUT_FULL == 0 {
            return;
        }
        each(sys::port_read(DATA_PORT, 1).unwrap_or(0) as u8);
    }
}

fn main(_argument: &str) -> u64 {
    // The firmware leaves the controller set up; make sure keys interrupt and arrive as set 1.
    drain(|_| {});
    let _ = sys::port_write(STATUS_PORT, 1, READ_CONFIG);
    let config = sys::port_read(DATA_PORT, 1).unwrap_or(0);
    let _ = sys::port_write(STATUS_PORT, 1, WRITE_CONFIG);
    let _ = sys::port_write(DATA_PORT, 1, config | PORT1_INTERRUPT | TRANSLATE);

    let mut keyboard = Keyboard::new();
    let mut ring = ByteRing::new();
    let mut console: Option<TaskId> = None;
    loop {
        let Ok(request) = sys::receive(None, FOREVER) else { continue };
        if let Some(bits) = request.notification() {
            if bits & 1 << IRQ != 0 {
                let mut got = false;
                drain(|scancode| {
                    if let Some((bytes, len)) = keyboard.feed(scancode) {
                        bytes[..len].iter().for_each(|&b| ring.push(b));
                        got = true;
                    }
                });
                let _ = sys::irq_ack(IRQ);
                if got {
                    console = ulib::client::notify_by_name("console", console, INPUT_READY_BIT);
                }
            }
            continue;
        }
        let reply = handle(&request, &mut ring);
        let _ = sys::reply(request.sender, &reply);
    }
}

/// `READ`: the oldest keys into lease 0, removed only once the copy worked.
fn handle(request: &Received, ring: &mut ByteRing) -> Message {
    let refuse = Message::new(0, [BAD_REQUEST, 0, 0, 0]);
    if request.message.op != READ {
        return refuse;
    }
    let Some(length) = sys::lent_length(request.sender, 0, LEASE_WRITE) else { return refuse };
    let deliver = |bytes: &[u8]| sys::lease_write(request.sender, 0, 0, bytes).is_ok();
    match ring.take_into(length as usize, deliver) {
        Some(n) => Message::new(0, [OK, n as u64, ring.dropped, 0]),
        None => refuse,
    }
}
