//! The console server: owns the terminal (through the serial driver), runs the line
//! discipline of `console-core`, and serves any number of clients. Protocol:
//! `service_api::console`.
//!
//! Input: the serial driver (or the keyboard driver) notifies its `INPUT_READY_BIT`; the
//! console reads the bytes with `serial::READ`, feeds them to the line editor, echoes, and
//! hands a completed line to the client waiting in
//! `READ_LINE` (whose call it answers only then). Output: `WRITE` requests, with `\n` turned
//! into `\r\n`, go to the serial driver.

#![no_std]
#![no_main]

use console_core::{Completed, LineEditor, MAX_LINE, translate_output};
use libipc::TaskId;
use libipc::abi::{LEASE_READ, LEASE_WRITE, Lease};
use libipc::sys::{self, Message, Received};
use service_api::console::{INTERRUPT_BIT, READ_LINE, WRITE};
use service_api::leases::Leases;
use service_api::status::{BAD_REQUEST, BUSY, END_OF_INPUT, OK};
use service_api::{keyboard, serial};
use ulib::client::{Retry, Server};
use ulib::leases::CallerLeases;

ulib::entry!(main);

/// Bytes taken from the serial driver per read.
const INPUT_CHUNK: usize = 64;

/// The bits the input drivers raise when they have bytes, in the order of `Console::inputs`.
const INPUT_BITS: [u64; 2] = [serial::INPUT_READY_BIT, keyboard::INPUT_READY_BIT];
const SERIAL: usize = 0;

struct Console {
    /// Input comes from the serial and the keyboard driver (`INPUT_BITS` order); output goes
    /// to the serial driver, `inputs[SERIAL]`.
    inputs: [Server; 2],
    editor: LineEditor,
    /// The client waiting in `READ_LINE`: its call is answered when a line is complete.
    reader: Option<TaskId>,
    /// The last client that read a line: Ctrl-C goes to it when nobody is reading (the shell,
    /// while a program that does not read runs in the foreground).
    last_reader: Option<TaskId>,
}

fn main(_argument: &str) -> u64 {
    let mut console = Console {
        inputs: [Server::new("serial"), Server::new("keyboard")],
        editor: LineEditor::new(),
        reader: None,
        last_reader: None,
    };
    // `READ_LINE` gets no answer from the loop: the line's reply goes out with `sys::reply`.
    sys::serve(|request| {
        let Some(bits) = request.notification() else { return console.handle(request) };
        for (source, bit) in INPUT_BITS.iter().enumerate() {
            if bits & bit != 0 {
                console.take_input(source);
            }
        }
        None
    })
}

fn status(code: u64, count: u64) -> Message {
    Message::new(0, [code, count, 0, 0])
}

impl Console {
    /// Answers a client request now, or returns `None` to answer later (`READ_LINE`).
    fn handle(&mut self, request: &Received) -> Option<Message> {
        let caller = request.sender;
        let needs = match request.message.op {
            WRITE => LEASE_READ,
            READ_LINE => LEASE_WRITE,
            _ => return Some(status(BAD_REQUEST, 0)),
        };
        // Lease 0 with the right access, or the request is refused at once (a `READ_LINE`
        // that could never be answered must not wait for a line).
        let Some(length) = sys::lent_length(caller, 0, needs) else {
            return Some(status(BAD_REQUEST, 0));
        };
        match request.message.op {
            WRITE => {
                let mut chunk = [0u8; 128];
                let written = CallerLeases(caller).read_all(0, length, &mut chunk, |text| {
                    translate_output(text, |piece| self.send(piece))
                });
                Some(if written { status(OK, length) } else { status(BAD_REQUEST, 0) })
            }
            // Another client waits for the line, unless it has died meanwhile.
            READ_LINE
                if self.reader.is_some_and(|r| r != caller && sys::lease_info(r, 0).is_ok()) =>
            {
                Some(status(BUSY, 0))
            }
            READ_LINE => {
                self.reader = Some(caller);
                self.last_reader = Some(caller);
                self.deliver_line();
                None
            }
            _ => Some(status(BAD_REQUEST, 0)),
        }
    }

    /// Reads what an input driver has received and runs it through the line editor.
    fn take_input(&mut self, source: usize) {
        // One notification may stand for more bytes than one read takes: read until drained.
        while self.take_some_input(source) == INPUT_CHUNK {}
    }

    /// Reads and handles up to `INPUT_CHUNK` bytes; returns how many there were.
    fn take_some_input(&mut self, source: usize) -> usize {
        let mut bytes = [0u8; INPUT_CHUNK];
        let lease = [Lease::write(&mut bytes)];
        // A driver restarted since it notified is asked again: reading is safe to repeat.
        let Ok(reply) = self.inputs[source].call(serial::READ, [0; 4], &lease, Retry::Safe) else {
            return 0;
        };
        let count = (reply[1] as usize).min(bytes.len());
        for &byte in &bytes[..count] {
            // The most one key can echo: erasing a full line and showing another (history).
            let mut echo = [0u8; 4 * MAX_LINE];
            let mut echo_len = 0;
            let event = self.editor.feed(byte, |out| {
                let room = (echo.len() - echo_len).min(out.len());
                echo[echo_len..echo_len + room].copy_from_slice(&out[..room]);
                echo_len += room;
            });
            self.send(&echo[..echo_len]);
            match event {
                Some(Completed::Line) => self.deliver_line(),
                Some(Completed::Interrupt) => {
                    if let Some(reader) = self.reader.or(self.last_reader) {
                        let _ = sys::notify(reader, INTERRUPT_BIT);
                    }
                }
                Some(Completed::EndOfInput) => {
                    if let Some(reader) = self.reader.take() {
                        let _ = sys::reply(reader, &status(END_OF_INPUT, 0));
                    }
                }
                None => {}
            }
        }
        count
    }

    /// Hands a completed line to the waiting reader, if both exist.
    fn deliver_line(&mut self) {
        let Some(reader) = self.reader else { return };
        if !self.editor.has_line() {
            return;
        }
        let mut line = [0u8; MAX_LINE];
        let mut len = 0;
        self.editor.take_line(|text| {
            line[..text.len()].copy_from_slice(text);
            len = text.len();
        });
        self.reader = None;
        let fits = sys::lease_info(reader, 0).map_or(0, |(length, _)| length as usize).min(len);
        let reply = match sys::lease_write(reader, 0, 0, &line[..fits]) {
            Ok(n) => status(OK, n as u64),
            Err(_) => status(BAD_REQUEST, 0),
        };
        let _ = sys::reply(reader, &reply);
    }

    /// Sends bytes to the terminal through the serial driver (found again if it restarted).
    fn send(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let lease = [Lease::read(bytes)];
        let _ = self.inputs[SERIAL].call(serial::WRITE, [0; 4], &lease, Retry::Safe);
    }
}
