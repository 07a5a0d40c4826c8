//! The built-in services and how requests, interrupts and injected faults reach them. Each
//! service keeps its state behind its own lock, taken inside the scheduler's (interrupts are
//! off throughout); a service calls another only in one direction (console to serial, file
//! server to block), so the locks always nest the same way.

use super::host::{Answer, Host};
use crate::research::record::Injection;
use kernel_core::manifest::{Service as BuiltinService, TaskSpec};
use libipc::TaskId;
use libipc::abi::{INJECT_CORRUPT_REPLY, INJECT_FLIP_MEMORY, INJECT_KILL, INJECT_SKIP};
use service_api::status::BAD_REQUEST;

mod block;
mod console;
mod fs;
mod gate;
pub use gate::take_stopped;
mod keyboard;
mod midway;
mod screen;
mod serial;

/// The service built in for the manifest entry `spec`, as the build compiled it.
pub fn built_in(spec: &TaskSpec) -> Option<BuiltinService> {
    spec.service
}

/// Sets up the built-in drivers' devices and interrupt lines.
pub fn start() {
    serial::start();
    keyboard::start();
    block::start();
    screen::start();
    let names: alloc::vec::Vec<&str> = BuiltinService::ALL.iter().map(|s| s.name()).collect();
    log::info!("built into the kernel: {}", names.join(", "));
}

/// A `call` from `caller` to the built-in `service`.
pub fn call(
    service: BuiltinService,
    kernel: &mut dyn Host,
    caller: TaskId,
    op: u32,
    payload: [u64; 4],
) -> Answer {
    let answer = match service {
        BuiltinService::Console => console::call(kernel, caller, op, payload),
        BuiltinService::Fs => fs::call(kernel, caller, op, payload),
        BuiltinService::Block => block::call(kernel, caller, op, payload),
        // The drivers' bytes go straight to the console inside the kernel; nobody else reads.
        BuiltinService::Serial | BuiltinService::Keyboard | BuiltinService::Screen => {
            Answer::Now([BAD_REQUEST, 0, 0, 0])
        }
    };
    midway::leaving();
    answer
}

/// An interrupt on `line`, for the built-in driver that owns it.
pub fn interrupt(line: u8, kernel: &mut dyn Host) -> bool {
    let handled = driver_interrupt(line, kernel);
    midway::leaving();
    handled
}

fn driver_interrupt(line: u8, kernel: &mut dyn Host) -> bool {
    match line {
        // Input drivers hand their bytes to the console here, so neither needs the other.
        service_api::serial::IRQ => {
            crate::trace::built_in_interrupt(line, BuiltinService::Serial);
            let mut bytes = [0u8; 64];
            let count = serial::interrupt(&mut bytes);
            console::input(&bytes[..count], kernel);
        }
        service_api::keyboard::IRQ => {
            crate::trace::built_in_interrupt(line, BuiltinService::Keyboard);
            let mut keys = [0u8; 64];
            let count = keyboard::interrupt(&mut keys);
            console::input(&keys[..count], kernel);
        }
        service_api::block::IRQ => {
            crate::trace::built_in_interrupt(line, BuiltinService::Block);
            block::interrupt();
        }
        _ => return false,
    }
    true
}

/// Arms an injected fault in `service`, to fire at its request (or interrupt) after
/// `injection.after` more.
pub fn arm(service: BuiltinService, injection: Injection) {
    with_gate(service, |gate| gate.arm(injection));
}

/// Arms an injected fault in `service`, to fire after `instructions` of the kernel's own
/// while it serves requests or interrupts (`midway.rs`); a kind that changes the service's
/// state instead waits at its gate for the next request.
pub fn arm_midway(service: BuiltinService, injection: Injection, instructions: u32) {
    match injection.kind {
        INJECT_KILL | INJECT_SKIP | INJECT_CORRUPT_REPLY | INJECT_FLIP_MEMORY => {
            with_gate(service, |gate| gate.arm(injection))
        }
        _ => midway::arm(service, injection, instructions),
    }
}

/// A debug trap in ring 0: one counted instruction of a built-in service (`midway.rs`).
pub use midway::on_step as on_kernel_step;

/// The service's slot was ended (`kill`): it serves nothing more.
pub fn stop(service: BuiltinService) {
    with_gate(service, |gate| gate.stopped = true);
}

fn with_gate(service: BuiltinService, f: impl FnOnce(&mut gate::Gate)) {
    match service {
        BuiltinService::Serial => f(&mut serial::SERIAL.lock().gate),
        BuiltinService::Console => f(&mut console::CONSOLE.lock().gate),
        BuiltinService::Keyboard => f(&mut keyboard::KEYBOARD.lock().gate),
        BuiltinService::Block => f(&mut block::BLOCK.lock().gate),
        BuiltinService::Fs => f(&mut fs::FS.lock().gate),
        BuiltinService::Screen => f(&mut screen::SCREEN.lock().gate),
    }
}
