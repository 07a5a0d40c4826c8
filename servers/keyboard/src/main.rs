//! The keyboard driver, in ring 3: the PS/2 controller (i8042) on ports 0x60 and 0x64 and
//! interrupt line 1, from the manifest. Each interrupt arrives as a notification; the driver
//! reads the scancodes, turns them into terminal bytes with `keyboard-core`, keeps them in a
//! numbered queue and tells the console, which reads them with `serial::READ` exactly as it
//! reads the serial line. QEMU's window (`cargo xtask qemu --display`) is where these keys
//! come from.
//!
//! Like the serial driver, it keeps its queue with the supervisor whenever it changes, and a
//! restarted driver starts from it and decodes what the controller held meanwhile: keys typed
//! across a restart are not lost. (The decoder's own state, a Shift held down, starts afresh.)

#![no_std]
#![no_main]

use console_core::{InputQueue, SAVED_MAX};
use keyboard_core::Keyboard;
use keyboard_core::controller::{self, Ports};
use libipc::TaskId;
use libipc::abi::LEASE_WRITE;
use libipc::sys::{self, Message, Received};
use service_api::keyboard::{INPUT_READY_BIT, IRQ};
use service_api::serial::READ;
use service_api::status::{BAD_REQUEST, OK};
use ulib::store::Keeper;

ulib::entry!(main);

/// The controller's ports, reached with `in` and `out` (`ulib::ports`).
struct DriverPorts;

impl Ports for DriverPorts {
    fn read(&mut self, port: u16) -> u8 {
        ulib::ports::read(port, 1) as u8
    }

    fn write(&mut self, port: u16, value: u8) {
        ulib::ports::write(port, 1, u32::from(value));
    }
}

fn main(_argument: &str) -> u64 {
    let keeper = Keeper::new();
    let mut kept = [0u8; SAVED_MAX];
    let kept_len = keeper.kept(&mut kept);
    let mut ring = InputQueue::restore(&kept[..kept_len]);
    let mut keyboard = Keyboard::new();
    // What the controller holds was typed while no driver ran: decode it, do not drop it.
    controller::configure(&mut DriverPorts, |scancode| {
        if let Some((bytes, len)) = keyboard.feed(scancode) {
            bytes[..len].iter().for_each(|&b| ring.push(b));
        }
    });
    keep(&keeper, &ring);
    let mut console: Option<TaskId> = None;
    if !ring.is_empty() {
        console = ulib::client::notify_by_name("console", None, INPUT_READY_BIT);
    }
    sys::serve(|request| {
        let Some(bits) = request.notification() else {
            let before = ring.len();
            let reply = handle(request, &mut ring);
            if ring.len() != before {
                keep(&keeper, &ring);
            }
            return Some(reply);
        };
        if bits & 1 << IRQ != 0 {
            // LAB 4 BEGIN: the interrupt: drain the controller, decode each scancode into the ring, acknowledge the line, and tell the console when keys arrived
            let mut got = false;
            controller::drain(&mut DriverPorts, |scancode| {
                if let Some((bytes, len)) = keyboard.feed(scancode) {
                    bytes[..len].iter().for_each(|&b| ring.push(b));
                    got = true;
                }
            });
            ulib::irq::acknowledge(IRQ);
            if got {
                keep(&keeper, &ring);
                console = ulib::client::notify_by_name("console", console, INPUT_READY_BIT);
            }
            // LAB 4 STUB
            // let _ = (&mut keyboard, &mut console, INPUT_READY_BIT);
            // LAB 4 END
        }
        None
    })
}

/// `READ`: the keys from the number in word 0 into lease 0 (`service_api::serial::READ`).
fn handle(request: &Received, ring: &mut InputQueue) -> Message {
    let refuse = Message::new(0, [BAD_REQUEST, 0, 0, 0]);
    if request.message.op != READ {
        return refuse;
    }
    let Some(length) = sys::lent_length(request.sender, 0, LEASE_WRITE) else { return refuse };
    let deliver = |bytes: &[u8]| sys::lease_write(request.sender, 0, 0, bytes).is_ok();
    let from = request.message.payload[0];
    match ring.read_from(from, length as usize, deliver) {
        Some((first, n)) => Message::new(0, [OK, n as u64, ring.dropped(), first]),
        None => refuse,
    }
}

/// Keeps the keys not yet handled, with their numbers, with the supervisor.
fn keep(keeper: &Keeper, ring: &InputQueue) {
    let mut saved = [0u8; SAVED_MAX];
    let len = ring.save(&mut saved);
    keeper.keep(&saved[..len]);
}
