//! The built-in console: `console-core`'s line editor and protocol (`console_core::requests`)
//! over the built-in serial driver, and drawn by the built-in screen driver too. A `READ_LINE` with no line typed yet is answered later,
//! from the interrupt that completes the line.

use super::gate::{Gate, Pass, Service};
use super::{screen, serial};
use crate::services::host::{Answer, Host};
use crate::services::leases::KernelLeases;
use console_core::requests::{Clients, Terminal};
use kernel_core::manifest::Service as BuiltinService;
use libipc::TaskId;
use service_api::status::BAD_REQUEST;
use spin::Mutex;

const NAME: BuiltinService = BuiltinService::Console;

pub static CONSOLE: Mutex<Service<Terminal<TaskId>>> =
    Mutex::new(Service { gate: Gate::new(BuiltinService::Console), state: Terminal::new() });

/// The console's callers as the kernel holds them; replies pass the fault gate on the way.
struct Callers<'a> {
    kernel: &'a mut dyn Host,
    gate: &'a mut Gate,
}

impl Clients for Callers<'_> {
    type Id = TaskId;
    type Leases<'b>
        = KernelLeases<'b>
    where
        Self: 'b;

    fn leases(&self, caller: TaskId) -> Option<KernelLeases<'_>> {
        self.kernel.leases(caller)
    }

    fn awaits(&self, caller: TaskId) -> bool {
        self.kernel.awaits(caller, NAME)
    }

    fn reply(&mut self, caller: TaskId, mut words: [u64; 4]) {
        self.gate.leave(&mut words);
        self.kernel.reply(caller, NAME, words);
    }

    fn notify(&mut self, task: TaskId, bits: u64) {
        self.kernel.notify(task, bits);
    }
}

pub fn call(kernel: &mut dyn Host, caller: TaskId, op: u32, payload: [u64; 4]) -> Answer {
    let mut console = CONSOLE.lock();
    let mut registers = [u64::from(op), payload[0]];
    match console.enter(&mut registers) {
        Pass::Proceed => {}
        Pass::Skip => return Answer::Skipped,
        Pass::Stopped => return Answer::Now([BAD_REQUEST, 0, 0, 0]),
    }
    let Service { gate, state } = &mut *console;
    let callers = Callers { kernel, gate };
    match state.request(&callers, caller, registers[0] as u32, registers[1], output) {
        Some(mut words) => {
            callers.gate.leave(&mut words);
            Answer::Now(words)
        }
        None => Answer::Later,
    }
}

/// Bytes typed (from the serial line or the keyboard): edit, echo, complete lines.
pub fn input(bytes: &[u8], kernel: &mut dyn Host) {
    if bytes.is_empty() {
        return;
    }
    let mut console = CONSOLE.lock();
    if console.enter(&mut []) != Pass::Proceed {
        return;
    }
    let Service { gate, state } = &mut *console;
    let mut callers = Callers { kernel, gate };
    for &byte in bytes {
        let event = state.editor.feed(byte, output);
        state.edited(event, &mut callers);
    }
}

/// The terminal's output, and the echo of what is typed: the serial line, then the screen.
fn output(bytes: &[u8]) {
    serial::write(bytes);
    screen::write(bytes);
}
