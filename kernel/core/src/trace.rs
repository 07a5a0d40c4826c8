//! The IPC trace: what moved between tasks, kept in a bounded ring while tracing is on and
//! read back as text, one line per event, for `trace show` and `cargo xtask trace`.
//!
//! ```text
//!       1840 call      shell#5.0 -> fs#4.0  op 2 [0 0], 202 bytes
//!       2911 call      fs#4.0 -> block#3.0  op 1 [2048 1], 512 bytes
//!       9305 interrupt kernel -> block#3.0  irq 14
//!      10020 reply     block#3.0 -> fs#4.0  op 0 [0 512]
//! ```
//!
//! A message shows its operation and its first two payload words (the rest of its payload is
//! not kept); the servers of `servers/api` put a request's arguments there, and a reply's
//! status and count. The first column is the time since tracing began in time-stamp counter ticks (guest
//! instructions under QEMU's `-icount shift=0`). A task is its name, `#`, and its id, so a
//! restarted server shows as a new id under the same name. Every line has the same shape,
//! `TIME KIND FROM -> TO DETAILS`, so tools can read it back (`xtask/src/trace/`).
//!
//! Names are copied into each event when it happens: by the time someone reads the trace, the
//! slot may hold another task.

use crate::line::Line;
use crate::manifest::MAX_NAME_LEN;
use core::fmt::{self, Write};

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A message that wants a reply reached its receiver.
    Call,
    /// A message without a reply reached its receiver.
    Send,
    /// A reply reached the task waiting in `call`.
    Reply,
    /// Notification bits were raised at a task by another.
    Notify,
    /// The kernel forwarded an interrupt to the driver owning its line.
    Interrupt,
    /// The kernel ended a task's wait with an error (its partner died, or time ran out).
    Error,
    /// A task was started (at boot, by `spawn`, or by `restart`).
    Start,
    /// A task asked the kernel to stop another.
    Kill,
    /// The CPU stopped a task with an exception.
    Fault,
    /// A task exited or was stopped.
    End,
}

impl Kind {
    /// The word in the text form.
    pub const fn word(self) -> &'static str {
        match self {
            Kind::Call => "call",
            Kind::Send => "send",
            Kind::Reply => "reply",
            Kind::Notify => "notify",
            Kind::Interrupt => "interrupt",
            Kind::Error => "error",
            Kind::Start => "start",
            Kind::Kill => "kill",
            Kind::Fault => "fault",
            Kind::End => "end",
        }
    }
}

/// One side of an event: a task (its id and name then), or the kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Party {
    /// The task's id as `index.generation`; `None` for the kernel.
    id: Option<(u16, u16)>,
    name: [u8; MAX_NAME_LEN],
    name_len: u8,
}

impl Party {
    pub const KERNEL: Party = Party { id: None, name: [0; MAX_NAME_LEN], name_len: 0 };

    /// The task `index.generation` called `name` (cut to `MAX_NAME_LEN` bytes).
    pub fn task(index: u16, generation: u16, name: &[u8]) -> Party {
        let len = name.len().min(MAX_NAME_LEN);
        let mut bytes = [0; MAX_NAME_LEN];
        bytes[..len].copy_from_slice(&name[..len]);
        Party { id: Some((index, generation)), name: bytes, name_len: len as u8 }
    }
}

impl fmt::Display for Party {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let Some((index, generation)) = self.id else { return f.write_str("kernel") };
        let name = core::str::from_utf8(&self.name[..usize::from(self.name_len)]).unwrap_or("?");
        write!(f, "{name}#{index}.{generation}")
    }
}

/// One event. `op`, `bytes`, `value` and `note` mean what `Kind` says they mean; unused ones
/// are 0 or empty.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    /// Time-stamp counter when it happened.
    pub time: u64,
    pub kind: Kind,
    pub from: Party,
    pub to: Party,
    /// The operation of a message.
    pub op: u64,
    /// A message's first two payload words.
    pub words: [u64; 2],
    /// Bytes lent with a call (or moved by a direct call between built-in services).
    pub bytes: u64,
    /// Notification bits, the interrupt line, an exit code.
    pub value: u64,
    /// Words for what the numbers cannot say: an error's name, a fault's kind.
    pub note: &'static str,
}

impl Event {
    const EMPTY: Event = Event {
        time: 0,
        kind: Kind::End,
        from: Party::KERNEL,
        to: Party::KERNEL,
        op: 0,
        words: [0; 2],
        bytes: 0,
        value: 0,
        note: "",
    };

    /// An event of `kind` from `from` to `to` at `time`, with nothing else to say yet.
    pub fn new(time: u64, kind: Kind, from: Party, to: Party) -> Event {
        Event { time, kind, from, to, ..Event::EMPTY }
    }

    /// Writes the event's line (without the newline), its time counted from `origin`.
    pub fn write_line(&self, origin: u64, out: &mut impl Write) -> fmt::Result {
        let time = self.time.saturating_sub(origin);
        write!(out, "{time:>10} {:<9} {} -> {}", self.kind.word(), self.from, self.to)?;
        match self.kind {
            Kind::Call | Kind::Send | Kind::Reply => {
                let [first, second] = self.words;
                write!(out, "  op {} [{first} {second}]", self.op)?;
                match self.bytes {
                    0 => Ok(()),
                    bytes => write!(out, ", {bytes} bytes"),
                }
            }
            Kind::Notify => write!(out, "  bits {:#x}", self.value),
            Kind::Interrupt => write!(out, "  irq {}", self.value),
            Kind::End if self.note.is_empty() => write!(out, "  exited with code {}", self.value),
            Kind::Error | Kind::Fault | Kind::End => write!(out, "  {}", self.note),
            Kind::Start | Kind::Kill => Ok(()),
        }
    }
}

/// The longest line `Event::write_line` writes, newline included: two parties of a
/// `MAX_NAME_LEN` name and a 5-digit index and generation each, five 20-digit numbers.
pub const LONGEST_LINE: usize = 10 + 1 + 9 + 2 * (MAX_NAME_LEN + 12) + 4 + 5 * 21 + 64;

/// The last `N` events since tracing was turned on.
pub struct TraceRing<const N: usize> {
    events: [Event; N],
    /// Events recorded since tracing was turned on: the sequence number of the next one.
    written: u64,
    /// The time tracing was turned on, which the text form counts from.
    origin: u64,
    on: bool,
}

impl<const N: usize> Default for TraceRing<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> TraceRing<N> {
    pub const fn new() -> Self {
        TraceRing { events: [Event::EMPTY; N], written: 0, origin: 0, on: false }
    }

    /// Starts a fresh trace at time `now`: earlier events are forgotten.
    pub fn start(&mut self, now: u64) {
        (self.written, self.origin, self.on) = (0, now, true);
    }

    /// Stops recording; what was recorded stays readable.
    pub fn stop(&mut self) {
        self.on = false;
    }

    /// Keeps `event` if tracing is on, overwriting the oldest when full.
    pub fn record(&mut self, event: Event) {
        if self.on {
            self.events[(self.written % N as u64) as usize] = event;
            self.written += 1;
        }
    }

    /// The sequence number of the next event (how many have been recorded).
    pub fn end(&self) -> u64 {
        self.written
    }

    /// Writes the lines of events from sequence number `from` into `out`, whole lines only;
    /// returns the bytes written and the sequence number to read from next. Events already
    /// overwritten are skipped, and the first line read says how many.
    pub fn read_text(&self, from: u64, out: &mut [u8]) -> (usize, u64) {
        let oldest = self.written.saturating_sub(N as u64);
        let mut cursor = Cursor { out, len: 0 };
        let mut next = from.min(self.written);
        if next < oldest {
            let mut line = Line::<LONGEST_LINE>::new();
            let _ = writeln!(line, "({} earlier events overwritten)", oldest - next);
            if !cursor.put(line.as_bytes()) {
                return (0, next);
            }
            next = oldest;
        }
        while next < self.written {
            let event = &self.events[(next % N as u64) as usize];
            let mut line = Line::<LONGEST_LINE>::new();
            let _ = event.write_line(self.origin, &mut line);
            if !cursor.put(line.end()) {
                break;
            }
            next += 1;
        }
        (cursor.len, next)
    }
}

/// Where `read_text` puts whole lines.
struct Cursor<'a> {
    out: &'a mut [u8],
    len: usize,
}

impl Cursor<'_> {
    /// Appends `line` if all of it fits.
    fn put(&mut self, line: &[u8]) -> bool {
        let Some(room) = self.out.get_mut(self.len..self.len + line.len()) else { return false };
        room.copy_from_slice(line);
        self.len += line.len();
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::string::String;
    use std::vec::Vec;

    fn call(time: u64, from: &str, to: &str, bytes: u64) -> Event {
        let mut event = Event::new(
            time,
            Kind::Call,
            Party::task(5, 0, from.as_bytes()),
            Party::task(4, 1, to.as_bytes()),
        );
        (event.op, event.words, event.bytes) = (1, [7, 0], bytes);
        event
    }

    fn read_all<const N: usize>(ring: &TraceRing<N>, piece: usize) -> String {
        let (mut text, mut from) = (Vec::new(), 0);
        loop {
            let mut buffer = std::vec![0u8; piece];
            let (n, next) = ring.read_text(from, &mut buffer);
            if n == 0 {
                return String::from_utf8(text).unwrap();
            }
            text.extend_from_slice(&buffer[..n]);
            from = next;
        }
    }

    #[test]
    fn lines_have_time_kind_parties_and_details() {
        let mut ring = TraceRing::<8>::new();
        ring.start(1000);
        ring.record(call(1840, "shell", "fs", 200));
        let mut irq = Event::new(1900, Kind::Interrupt, Party::KERNEL, Party::task(3, 0, b"block"));
        irq.value = 14;
        ring.record(irq);
        let mut end = Event::new(2000, Kind::Fault, Party::task(4, 1, b"fs"), Party::KERNEL);
        end.note = "page fault";
        ring.record(end);
        assert_eq!(
            read_all(&ring, 4096),
            "       840 call      shell#5.0 -> fs#4.1  op 1 [7 0], 200 bytes\n\
             \x20      900 interrupt kernel -> block#3.0  irq 14\n\
             \x20     1000 fault     fs#4.1 -> kernel  page fault\n"
        );
    }

    #[test]
    fn nothing_is_kept_while_off_and_start_forgets_the_last_trace() {
        let mut ring = TraceRing::<8>::new();
        ring.record(call(1, "a", "b", 0));
        assert_eq!(ring.end(), 0);
        ring.start(0);
        ring.record(call(1, "a", "b", 0));
        ring.stop();
        ring.record(call(2, "a", "b", 0));
        assert_eq!(read_all(&ring, 4096).lines().count(), 1, "kept after stop, nothing new");
        ring.start(0);
        assert_eq!(read_all(&ring, 4096), "");
    }

    #[test]
    fn reads_in_pieces_give_whole_lines_and_the_same_text() {
        let mut ring = TraceRing::<16>::new();
        ring.start(0);
        for t in 0..10 {
            ring.record(call(t, "client", "server", t * 100));
        }
        let whole = read_all(&ring, 4096);
        assert_eq!(whole.lines().count(), 10);
        assert_eq!(read_all(&ring, 100), whole, "each piece holds one whole line");
        let mut small = [0u8; 10];
        assert_eq!(ring.read_text(0, &mut small), (0, 0), "no part of a line");
    }

    #[test]
    fn an_overwritten_start_says_how_many_events_were_lost() {
        let mut ring = TraceRing::<4>::new();
        ring.start(0);
        for t in 0..7 {
            ring.record(call(t, "a", "b", 0));
        }
        let text = read_all(&ring, 4096);
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("(3 earlier events overwritten)"));
        assert_eq!(lines.count(), 4);
        assert!(text.contains("         3 call"), "the oldest kept is the fourth");
    }

    #[test]
    fn the_longest_line_fits() {
        let name = [b'x'; MAX_NAME_LEN];
        let mut event = Event::new(
            u64::MAX,
            Kind::Interrupt,
            Party::task(u16::MAX, u16::MAX, &name),
            Party::task(u16::MAX, u16::MAX, &name),
        );
        (event.op, event.bytes, event.value) = (u64::MAX, u64::MAX, u64::MAX);
        event.words = [u64::MAX; 2];
        for kind in [Kind::Call, Kind::Reply, Kind::Notify, Kind::Interrupt, Kind::End] {
            let mut text = String::new();
            Event { kind, ..event }.write_line(0, &mut text).unwrap();
            assert!(text.len() < LONGEST_LINE, "{kind:?}: {} bytes", text.len());
        }
    }
}
