//! The built-in services and how requests, interrupts and injected faults reach them. Each
//! service keeps its state behind its own lock, taken inside the scheduler's (interrupts are
//! off throughout); a service calls another only in one direction (console to serial, file
//! server to block), so the locks always nest the same way.

use super::{Answer, Host};
use crate::research::record::Injection;
use core::sync::atomic::{AtomicU8, Ordering};
use libipc::TaskId;
use service_api::status::BAD_REQUEST;

mod block;
mod console;
mod fs;
mod gate;
mod keyboard;
mod serial;

/// The services built in, by manifest name; a bit per service in `STOPPED`.
const NAMES: [&str; 5] = ["serial", "console", "keyboard", "block", "fs"];

/// Services that stopped themselves (an injected `kill` that fired) and whose slot the
/// scheduler has not ended yet.
static STOPPED: AtomicU8 = AtomicU8::new(0);

pub fn is_builtin(name: &[u8]) -> bool {
    NAMES.iter().any(|n| n.as_bytes() == name)
}

/// Sets up the built-in drivers' devices and interrupt lines.
pub fn start() {
    serial::start();
    keyboard::start();
    block::start();
    log::info!("built into the kernel: {}", NAMES.join(", "));
}

/// A `call` from `caller` to the built-in service `name`.
pub fn call(
    name: &[u8],
    kernel: &mut dyn Host,
    caller: TaskId,
    op: u32,
    payload: [u64; 4],
) -> Answer {
    match name {
        b"console" => console::call(kernel, caller, op, payload),
        b"fs" => fs::call(kernel, caller, op, payload),
        b"block" => block::call(kernel, caller, op, payload),
        // The drivers' bytes go straight to the console inside the kernel; nobody else reads.
        _ => Answer::Now([BAD_REQUEST, 0, 0, 0]),
    }
}

/// An interrupt on `line`, for the built-in driver that owns it.
pub fn interrupt(line: u8, kernel: &mut dyn Host) -> bool {
    match line {
        service_api::serial::IRQ => serial::interrupt(kernel),
        service_api::keyboard::IRQ => keyboard::interrupt(kernel),
        service_api::block::IRQ => block::interrupt(),
        _ => return false,
    }
    true
}

/// Arms an injected fault in service `name`, to fire at its request (or interrupt) after
/// `injection.after` more.
pub fn arm(name: &[u8], injection: Injection) {
    with_gate(name, |gate| gate.arm(injection));
}

/// The service's slot was ended (`kill`): it serves nothing more.
pub fn stop(name: &[u8]) {
    with_gate(name, |gate| gate.stopped = true);
}

/// A service that stopped itself since the last call, for the scheduler to end its slot.
pub fn take_stopped() -> Option<&'static str> {
    let bits = STOPPED.load(Ordering::Relaxed);
    let index = (0..NAMES.len()).find(|i| bits & 1 << i != 0)?;
    STOPPED.fetch_and(!(1 << index), Ordering::Relaxed);
    Some(NAMES[index])
}

fn note_stopped(name: &str) {
    if let Some(index) = NAMES.iter().position(|n| *n == name) {
        STOPPED.fetch_or(1 << index, Ordering::Relaxed);
    }
}

fn with_gate(name: &[u8], f: impl FnOnce(&mut gate::Gate)) {
    match name {
        b"serial" => f(&mut serial::SERIAL.lock().gate),
        b"console" => f(&mut console::CONSOLE.lock().gate),
        b"keyboard" => f(&mut keyboard::KEYBOARD.lock().gate),
        b"block" => f(&mut block::BLOCK.lock().gate),
        b"fs" => f(&mut fs::FS.lock().gate),
        _ => {}
    }
}
