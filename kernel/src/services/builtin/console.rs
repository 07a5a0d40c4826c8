//! The built-in console: `console-core`'s line editor over the built-in serial driver, with
//! the ring-3 console's protocol (`service_api::console`). A `READ_LINE` with no line typed
//! yet is answered later, from the interrupt that completes the line.

use super::gate::{Gate, Pass, Service};
use super::serial;
use crate::services::{Answer, Host};
use console_core::{Completed, LineEditor, MAX_LINE, translate_output};
use libipc::TaskId;
use service_api::console::{INTERRUPT_BIT, READ_LINE, WRITE};
use service_api::leases::Leases;
use service_api::status::{BAD_REQUEST, BUSY, END_OF_INPUT, OK};
use spin::Mutex;

const NAME: &[u8] = b"console";

pub struct Console {
    editor: LineEditor,
    /// The caller waiting in `READ_LINE`.
    reader: Option<TaskId>,
    /// The last caller that read a line: Ctrl-C goes to it when nobody is reading.
    last_reader: Option<TaskId>,
}

pub static CONSOLE: Mutex<Service<Console>> = Mutex::new(Service {
    gate: Gate::new("console"),
    state: Console { editor: LineEditor::new(), reader: None, last_reader: None },
});

pub fn call(kernel: &mut dyn Host, caller: TaskId, op: u32, payload: [u64; 4]) -> Answer {
    let mut console = CONSOLE.lock();
    let mut registers = [u64::from(op), payload[0]];
    match console.enter(&mut registers) {
        Pass::Serve => {}
        Pass::Skip => return Answer::Skipped,
        Pass::Stopped => return Answer::Now([BAD_REQUEST, 0, 0, 0]),
    }
    let mut answer = console.state.handle(kernel, caller, registers[0] as u32);
    if let Answer::Now(words) = &mut answer {
        console.gate.leave(words);
    }
    answer
}

/// Bytes typed (from the serial line or the keyboard): edit, echo, complete lines.
pub fn input(bytes: &[u8], kernel: &mut dyn Host) {
    if bytes.is_empty() {
        return;
    }
    let mut console = CONSOLE.lock();
    if console.enter(&mut []) != Pass::Serve {
        return;
    }
    let Service { gate, state } = &mut *console;
    for &byte in bytes {
        let event = state.editor.feed(byte, serial::write);
        match event {
            Some(Completed::Line) => state.deliver_line(kernel, gate),
            Some(Completed::Interrupt) => {
                if let Some(reader) = state.reader.or(state.last_reader) {
                    kernel.notify(reader, INTERRUPT_BIT);
                }
            }
            Some(Completed::EndOfInput) => {
                if let Some(reader) = state.reader.take() {
                    kernel.reply(reader, NAME, [END_OF_INPUT, 0, 0, 0]);
                }
            }
            None => {}
        }
    }
}

impl Console {
    fn handle(&mut self, kernel: &mut dyn Host, caller: TaskId, op: u32) -> Answer {
        let Some(leases) = kernel.leases(caller) else {
            return Answer::Now([BAD_REQUEST, 0, 0, 0]);
        };
        match op {
            WRITE => {
                let Some(length) = leases.length(0, false) else {
                    return Answer::Now([BAD_REQUEST, 0, 0, 0]);
                };
                let mut chunk = [0u8; 128];
                if !leases
                    .read_all(0, length, &mut chunk, |text| translate_output(text, serial::write))
                {
                    return Answer::Now([BAD_REQUEST, 0, 0, 0]);
                }
                Answer::Now([OK, length, 0, 0])
            }
            READ_LINE if leases.length(0, true).is_none() => Answer::Now([BAD_REQUEST, 0, 0, 0]),
            READ_LINE => {
                // Another caller waits for the line, unless it has gone meanwhile.
                if self.reader.is_some_and(|r| r != caller && kernel.awaits(r, NAME)) {
                    return Answer::Now([BUSY, 0, 0, 0]);
                }
                self.reader = Some(caller);
                self.last_reader = Some(caller);
                match self.take_line(&leases) {
                    Some(words) => {
                        self.reader = None;
                        Answer::Now(words)
                    }
                    None => Answer::Later,
                }
            }
            _ => Answer::Now([BAD_REQUEST, 0, 0, 0]),
        }
    }

    /// The completed line into lease 0 of the reader whose `leases` these are.
    fn take_line(&mut self, leases: &impl Leases) -> Option<[u64; 4]> {
        let mut line = [0u8; MAX_LINE];
        let mut len = 0;
        let taken = self.editor.take_line(|text| {
            line[..text.len()].copy_from_slice(text);
            len = text.len();
        });
        if !taken {
            return None;
        }
        let fits = leases.length(0, true).unwrap_or(0).min(len as u64) as usize;
        Some(if leases.write(0, 0, &line[..fits]) {
            [OK, fits as u64, 0, 0]
        } else {
            [BAD_REQUEST, 0, 0, 0]
        })
    }

    /// Answers the waiting reader with the line just completed.
    fn deliver_line(&mut self, kernel: &mut dyn Host, gate: &mut Gate) {
        let Some(reader) = self.reader else { return };
        let words = match kernel.leases(reader) {
            Some(leases) => self.take_line(&leases),
            None => None,
        };
        if let Some(mut words) = words {
            self.reader = None;
            gate.leave(&mut words);
            kernel.reply(reader, NAME, words);
        }
    }
}
