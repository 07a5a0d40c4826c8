//! The console server: owns the terminal (through the serial driver), runs the line
//! discipline of `console-core`, and serves any number of clients. Protocol:
//! `service_api::console`.
//!
//! Input: the serial driver (or the keyboard driver) notifies its `INPUT_READY_BIT`; the
//! console reads the bytes with `serial::READ`, feeds them to the line editor and echoes;
//! `console_core::requests` hands a completed line to the client waiting in `READ_LINE`
//! (whose call it answers only then). Output: `WRITE` requests, with `\n` turned into
//! `\r\n`, and the echo of what is typed go to the serial driver, and to the screen driver
//! when the system has one (QEMU's window then shows the same session).
//!
//! What was typed and not yet read (the line being typed, the lines typed ahead) is kept with
//! the supervisor whenever it changes (`ulib::store`), and a restarted console starts from it:
//! killing the console in the middle of a line loses no keystroke.

#![no_std]
#![no_main]

use console_core::requests::{Clients, Terminal};
use console_core::{MAX_LINE, PENDING_MAX};
use libipc::TaskId;
use libipc::abi::{Lease, SUMMARIZED_LEASES};
use libipc::sys;
use service_api::console::READ_LINE;
use service_api::supervisor::KEEP_MAX;
use service_api::{keyboard, screen, serial};
use ulib::client::{Retry, Server};
use ulib::leases::CallerLeases;
use ulib::store::Keeper;

// Everything pending fits in what the supervisor keeps.
const _: () = assert!(PENDING_MAX <= KEEP_MAX);

ulib::entry!(main);

/// Bytes taken from the serial driver per read.
const INPUT_CHUNK: usize = 64;

/// The bits the input drivers raise when they have bytes, in the order of `Console::inputs`.
const INPUT_BITS: [u64; 2] = [serial::INPUT_READY_BIT, keyboard::INPUT_READY_BIT];
const SERIAL: usize = 0;

struct Console {
    /// Input comes from the serial and the keyboard driver (`INPUT_BITS` order); output goes
    /// to the serial driver, `inputs[SERIAL]`, and to `screen`.
    inputs: [Server; 2],
    /// The screen driver, if the manifest has one (looked up once: a system without it, such
    /// as the benchmarks', pays nothing for it).
    screen: Option<Server>,
    terminal: Terminal<TaskId>,
    keeper: Keeper,
    /// The pending input as last kept.
    kept: [u8; PENDING_MAX],
    kept_len: usize,
}

/// The console's clients, reached through system calls; with the request being served, if
/// any, whose leases' lengths came with it.
struct Callers {
    serving: Option<(TaskId, (usize, [u64; SUMMARIZED_LEASES]))>,
}

impl Clients for Callers {
    type Id = TaskId;
    type Leases<'a> = CallerLeases;

    fn leases(&self, caller: TaskId) -> Option<CallerLeases> {
        Some(match self.serving {
            Some((sender, summaries)) if sender == caller => {
                CallerLeases::of_summaries(caller, summaries)
            }
            _ => CallerLeases::of(caller),
        })
    }

    fn awaits(&self, caller: TaskId) -> bool {
        sys::lease_info(caller, 0).is_ok()
    }

    fn reply(&mut self, caller: TaskId, words: [u64; 4]) {
        let _ = sys::reply(caller, &sys::Message::new(0, words));
    }

    fn notify(&mut self, task: TaskId, bits: u64) {
        let _ = sys::notify(task, bits);
    }
}

fn main(_argument: &str) -> u64 {
    let mut console = Console {
        inputs: [Server::new("serial"), Server::new("keyboard")],
        screen: sys::lookup(screen::NAME).is_ok().then(|| Server::new(screen::NAME)),
        terminal: Terminal::new(),
        keeper: Keeper::new(),
        kept: [0; PENDING_MAX],
        kept_len: 0,
    };
    console.kept_len = console.keeper.kept(&mut console.kept);
    console.terminal.editor.restore(&console.kept[..console.kept_len]);
    // A `READ_LINE` with no line yet gets no answer from the loop: `Callers::reply` sends it.
    sys::serve(|request| {
        let Some(bits) = request.notification() else {
            let Console { inputs, screen, terminal, .. } = &mut console;
            let output = |piece: &[u8]| send(&inputs[SERIAL], screen.as_ref(), piece);
            let callers =
                Callers { serving: Some((request.sender, CallerLeases::summaries(request))) };
            let (op, flags) = (request.message.op, request.message.payload[0]);
            let words = terminal.request(&callers, request.sender, op, flags, output);
            if op == READ_LINE {
                console.keep_pending_input(); // a line typed ahead may have been taken
            }
            return Some(sys::Message::new(0, words?));
        };
        for (source, bit) in INPUT_BITS.iter().enumerate() {
            if bits & bit != 0 {
                console.take_input(source);
            }
        }
        console.keep_pending_input();
        None
    })
}

impl Console {
    /// Keeps what was typed and not yet read with the supervisor, if it changed.
    fn keep_pending_input(&mut self) {
        let mut pending = [0u8; PENDING_MAX];
        let len = self.terminal.editor.pending_input(&mut pending);
        if pending[..len] != self.kept[..self.kept_len] {
            self.keeper.keep(&pending[..len]);
            self.kept[..len].copy_from_slice(&pending[..len]);
            self.kept_len = len;
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
            let event = self.terminal.editor.feed(byte, |out| {
                let room = (echo.len() - echo_len).min(out.len());
                echo[echo_len..echo_len + room].copy_from_slice(&out[..room]);
                echo_len += room;
            });
            send(&self.inputs[SERIAL], self.screen.as_ref(), &echo[..echo_len]);
            self.terminal.edited(event, &mut Callers { serving: None });
        }
        count
    }
}

/// Sends bytes to the terminal through the serial driver (found again if it restarted), and
/// to the screen. A screen driver that died is not waited for: what it misses while it
/// restarts is only a picture, and the serial line has it.
fn send(serial: &Server, screen: Option<&Server>, bytes: &[u8]) {
    if bytes.is_empty() {
        return;
    }
    let lease = [Lease::read(bytes)];
    let _ = serial.call(serial::WRITE, [0; 4], &lease, Retry::Safe);
    if let Some(screen) = screen {
        let _ = screen.call(serial::WRITE, [0; 4], &lease, Retry::Unsafe);
    }
}
