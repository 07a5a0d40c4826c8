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
//! the supervisor whenever it changes (`ulib::store`), with the number of the first byte of
//! each input driver not yet edited in; a restarted console starts from it and reads again
//! from those numbers (the drivers let bytes go only when a later read names a number past
//! them: `console_core::InputQueue`). So a fault at any point of the console loses no
//! keystroke and edits none twice; at worst the echo of a few keys shows twice. A line is
//! kept as typed ahead before it is handed to its reader; killed between that answer and the
//! next keep, the console would hand it out once more.

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

/// What the console keeps: where it is in each input (`INPUT_BITS` order), then what is pending.
const KEPT_MAX: usize = 8 * INPUT_BITS.len() + PENDING_MAX;
// It fits in what the supervisor keeps.
const _: () = assert!(KEPT_MAX <= KEEP_MAX);

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
    /// Per input, the number of the first byte not yet edited in (`serial::READ`).
    next: [u64; 2],
    keeper: Keeper,
    /// The state as last kept (`KEPT_MAX`).
    kept: [u8; KEPT_MAX],
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
        next: [0; 2],
        keeper: Keeper::new(),
        kept: [0; KEPT_MAX],
        kept_len: 0,
    };
    console.restore();
    // A console restarted may have missed the drivers' notifications: look now.
    for source in 0..INPUT_BITS.len() {
        console.take_input(source);
    }
    console.keep_state();
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
                console.keep_state(); // a line typed ahead may have been taken
            }
            return Some(sys::Message::new(0, words?));
        };
        for (source, bit) in INPUT_BITS.iter().enumerate() {
            if bits & bit != 0 {
                console.take_input(source);
            }
        }
        console.keep_state();
        None
    })
}

impl Console {
    /// Starts from what a console before this one kept, if any.
    fn restore(&mut self) {
        let len = self.keeper.kept(&mut self.kept);
        let Some((places, pending)) = self.kept[..len].split_at_checked(8 * INPUT_BITS.len())
        else {
            return;
        };
        for (next, place) in self.next.iter_mut().zip(places.chunks_exact(8)) {
            *next = u64::from_le_bytes(place.try_into().expect("8 bytes"));
        }
        self.terminal.editor.restore(pending);
        self.kept_len = len;
    }

    /// Keeps where the console is in each input and what was typed and not yet read with the
    /// supervisor, if it changed.
    fn keep_state(&mut self) {
        let mut state = [0u8; KEPT_MAX];
        for (place, next) in state.chunks_exact_mut(8).zip(self.next) {
            place.copy_from_slice(&next.to_le_bytes());
        }
        let places = 8 * INPUT_BITS.len();
        let pending: &mut [u8; PENDING_MAX] =
            (&mut state[places..]).try_into().expect("KEPT_MAX holds PENDING_MAX");
        let len = places + self.terminal.editor.pending_input(pending);
        if state[..len] != self.kept[..self.kept_len] {
            self.keeper.keep(&state[..len]);
            self.kept[..len].copy_from_slice(&state[..len]);
            self.kept_len = len;
        }
    }

    /// Reads what an input driver has received and runs it through the line editor.
    fn take_input(&mut self, source: usize) {
        // One notification may stand for more bytes than one read takes: read until drained.
        while self.take_some_input(source) {}
    }

    /// Reads up to `INPUT_CHUNK` bytes from where this console is in the input, and edits
    /// them in up to the first that completes something (a line, Ctrl-C, Ctrl-D). The state
    /// is kept before that is acted on: killed at any point, the console reads again from the
    /// first byte it did not keep. Returns whether the driver may hold more.
    fn take_some_input(&mut self, source: usize) -> bool {
        let mut bytes = [0u8; INPUT_CHUNK];
        let lease = [Lease::write(&mut bytes)];
        let from = [self.next[source], 0, 0, 0];
        // A driver restarted since it notified is asked again: reading is safe to repeat.
        let Ok(reply) = self.inputs[source].call(serial::READ, from, &lease, Retry::Safe) else {
            return false;
        };
        let (count, first) = ((reply[1] as usize).min(bytes.len()), reply[3]);
        let mut edited = 0;
        let mut completed = None;
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
            edited += 1;
            if event.is_some() {
                completed = event;
                break;
            }
        }
        self.next[source] = first + edited as u64;
        self.keep_state();
        self.terminal.edited(completed, &mut Callers { serving: None });
        edited < count || count == INPUT_CHUNK
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
