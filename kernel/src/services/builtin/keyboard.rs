//! The built-in keyboard driver: scancodes from the i8042 in the interrupt handler, turned
//! into terminal bytes by `keyboard-core` and handed to the console by `builtin::interrupt`.

use super::gate::{Gate, Pass, Service};
use crate::arch;
use kernel_core::manifest::Service as BuiltinService;
use keyboard_core::Keyboard;
use keyboard_core::controller::{self, Ports};
use spin::Mutex;

pub static KEYBOARD: Mutex<Service<Keyboard>> =
    Mutex::new(Service { gate: Gate::new(BuiltinService::Keyboard), state: Keyboard::new() });

/// The controller's ports, reached directly.
struct KernelPorts;

impl Ports for KernelPorts {
    fn read(&mut self, port: u16) -> u8 {
        arch::port_read(port, 1) as u8
    }

    fn write(&mut self, port: u16, value: u8) {
        arch::port_write(port, 1, u32::from(value));
    }
}

pub fn start() {
    // Keys pressed while the machine booted are not the user's to the shell.
    controller::configure(&mut KernelPorts, |_| {});
    arch::unmask_irq(service_api::keyboard::IRQ);
}

/// Line 1: decodes what the controller holds into `keys` (for the console); returns how many.
pub fn interrupt(keys: &mut [u8]) -> usize {
    let mut count = 0;
    {
        let mut keyboard = KEYBOARD.lock();
        let proceed = keyboard.enter(&mut []) == Pass::Proceed;
        controller::drain(&mut KernelPorts, |scancode| {
            if !proceed {
                return; // a stopped driver still empties the controller, or it stops interrupting
            }
            if let Some((bytes, len)) = keyboard.state.feed(scancode) {
                let room = (keys.len() - count).min(len);
                keys[count..count + room].copy_from_slice(&bytes[..room]);
                count += room;
            }
        });
    }
    count
}
