//! The console's line discipline: turning keystrokes into edited lines, and what to echo.
//!
//! Pure logic, with no idea whether it runs in a ring-3 server or inside the kernel (the
//! monolithic flavour), so the host tests below cover it completely.
//!
//! | key | effect |
//! | --- | --- |
//! | printable byte | added to the line and echoed |
//! | Enter (`\r` or `\n`) | the line is complete; echo a new line (refused, not echoed, while `TYPE_AHEAD` is full) |
//! | Backspace (`0x08` or `0x7f`) | remove the last byte; echo "back, space, back" |
//! | Ctrl-U | erase the whole line |
//! | Ctrl-C | drop the line and the lines typed ahead, echo `^C`, report an interrupt |
//! | Ctrl-D | on an empty line: end of input; otherwise ignored |
//! | Up / Down (`ESC [ A`, `ESC [ B`) | replace the line with an earlier / later one (history) |
//! | other `ESC [ x` sequences | ignored, all three bytes |
//! | other control bytes | ignored |
//!
//! Lines completed before anyone reads them wait in order (`typeahead`), so what is typed or
//! pasted ahead of a program is kept for it, echoed as it arrives.

#![no_std]
#![forbid(unsafe_code)]

use core::fmt::Write as _;

mod input;
mod output;
mod ring;
mod typeahead;
pub use input::{InputQueue, READ_CHUNK, SAVED_MAX};
pub use output::{OUTPUT_PIECE, Output};
pub use ring::{ByteRing, RING_CAPACITY};
use typeahead::LineQueue;
pub use typeahead::TYPE_AHEAD;
/// The console's protocol on top: requests, and the reader waiting for a line.
pub mod requests;

/// Longest line the editor keeps; further bytes are refused (and not echoed).
pub const MAX_LINE: usize = 200;
/// How many earlier lines Up can bring back.
pub const HISTORY: usize = 8;

const BACKSPACE: u8 = 0x08;
const DELETE: u8 = 0x7f;
const CTRL_C: u8 = 0x03;
const CTRL_D: u8 = 0x04;
const CTRL_U: u8 = 0x15;
const ESCAPE: u8 = 0x1b;
const BELL: &[u8] = b"\x07";

/// A short message for the terminal, formatted on the stack.
struct Message {
    bytes: [u8; 64],
    len: usize,
}

impl Default for Message {
    fn default() -> Self {
        Message { bytes: [0; 64], len: 0 }
    }
}

impl Message {
    fn bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

impl core::fmt::Write for Message {
    fn write_str(&mut self, text: &str) -> core::fmt::Result {
        let take = text.len().min(self.bytes.len() - self.len);
        self.bytes[self.len..self.len + take].copy_from_slice(&text.as_bytes()[..take]);
        self.len += take;
        Ok(())
    }
}

/// What a keystroke completed, if anything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Completed {
    /// A line was entered; it waits for `LineEditor::take_line` behind any typed earlier.
    Line,
    /// Ctrl-C: the line was dropped.
    Interrupt,
    /// Ctrl-D on an empty line.
    EndOfInput,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Escape {
    None,
    /// Saw ESC.
    Started,
    /// Saw ESC `[` (a control sequence: parameter and intermediate bytes until a final byte
    /// from `@` to `~`), or ESC `O` (one more byte); nothing of it is echoed or kept.
    Bracket,
    Ss3,
}

/// A line being typed, with the echo it needs, and the lines entered before it.
pub struct LineEditor {
    line: [u8; MAX_LINE],
    len: usize,
    /// Completed lines not yet taken, oldest first.
    completed: LineQueue,
    escape: Escape,
    /// Keys came after the line was full: Enter then refuses the line rather than enter it
    /// cut short, with another meaning.
    too_long: bool,
    /// Earlier lines, oldest first; `history_len` of them are valid.
    history: [([u8; MAX_LINE], usize); HISTORY],
    history_len: usize,
    /// While browsing with Up/Down: how far back the shown line is (1 = the newest).
    browsing: usize,
}

impl Default for LineEditor {
    fn default() -> Self {
        Self::new()
    }
}

impl LineEditor {
    pub const fn new() -> Self {
        Self {
            line: [0; MAX_LINE],
            len: 0,
            completed: LineQueue::new(),
            escape: Escape::None,
            too_long: false,
            history: [([0; MAX_LINE], 0); HISTORY],
            history_len: 0,
            browsing: 0,
        }
    }

    /// Feeds one received byte; `echo` is called with bytes to send back to the terminal.
    pub fn feed(&mut self, byte: u8, mut echo: impl FnMut(&[u8])) -> Option<Completed> {
        match (self.escape, byte) {
            (Escape::Started, b'[') => {
                self.escape = Escape::Bracket;
                return None;
            }
            (Escape::Started, b'O') => {
                self.escape = Escape::Ss3;
                return None;
            }
            // Parameters and intermediates (`ESC [ 3 ~`, `ESC [ 1 ; 5 C`): the sequence goes on.
            (Escape::Bracket, 0x20..=0x3f) => return None,
            (Escape::Bracket | Escape::Ss3, b'A') => {
                self.escape = Escape::None;
                self.browse(self.browsing + 1, &mut echo);
                return None;
            }
            (Escape::Bracket | Escape::Ss3, b'B') => {
                self.escape = Escape::None;
                self.browse(self.browsing.saturating_sub(1), &mut echo);
                return None;
            }
            (Escape::Started | Escape::Bracket | Escape::Ss3, _) => {
                self.escape = Escape::None;
                return None;
            }
            (Escape::None, _) => {}
        }
        match byte {
            b'\r' | b'\n' if self.too_long => {
                // Refused whole: an empty line reaches the reader, who asks again.
                if !self.completed.push(&[]) {
                    return None;
                }
                echo(b"\r\n");
                let mut message = Message::default();
                let _ =
                    write!(message, "line too long (at most {MAX_LINE} characters): refused\r\n");
                echo(message.bytes());
                (self.len, self.too_long) = (0, false);
                Some(Completed::Line)
            }
            b'\r' | b'\n' => {
                if !self.completed.push(&self.line[..self.len]) {
                    return None; // no room: the line stays on screen to be entered later
                }
                echo(b"\r\n");
                self.remember();
                self.len = 0;
                Some(Completed::Line)
            }
            BACKSPACE | DELETE => {
                if self.len > 0 {
                    self.len -= 1;
                    echo(b"\x08 \x08");
                }
                None
            }
            CTRL_U => {
                for _ in 0..self.len {
                    echo(b"\x08 \x08");
                }
                (self.len, self.too_long) = (0, false);
                None
            }
            CTRL_C => {
                (self.len, self.too_long) = (0, false);
                self.completed.clear();
                echo(b"^C\r\n");
                Some(Completed::Interrupt)
            }
            CTRL_D if self.len == 0 => Some(Completed::EndOfInput),
            ESCAPE => {
                self.escape = Escape::Started;
                None
            }
            b' '..=b'~' if self.len < MAX_LINE => {
                self.line[self.len] = byte;
                self.len += 1;
                echo(&[byte]);
                None
            }
            b' '..=b'~' => {
                if !self.too_long {
                    echo(BELL); // the line is full: once, the terminal's bell
                    self.too_long = true;
                }
                None
            }
            _ => None,
        }
    }

    /// Adds the completed line to the history (not empty lines, nor a repeat of the newest).
    fn remember(&mut self) {
        self.browsing = 0;
        let line = &self.line[..self.len];
        let newest = self.history_len.checked_sub(1).map(|i| &self.history[i]);
        if line.is_empty() || newest.is_some_and(|(text, len)| &text[..*len] == line) {
            return;
        }
        if self.history_len == HISTORY {
            self.history.rotate_left(1);
            self.history_len -= 1;
        }
        let entry = &mut self.history[self.history_len];
        entry.0[..line.len()].copy_from_slice(line);
        entry.1 = line.len();
        self.history_len += 1;
    }

    /// Shows the line `back` entries from the newest (0: an empty new line) in place of the
    /// one being typed: erase it on the terminal, then echo the other.
    fn browse(&mut self, back: usize, echo: &mut impl FnMut(&[u8])) {
        if back > self.history_len {
            return;
        }
        for _ in 0..self.len {
            echo(b"\x08 \x08");
        }
        self.len = 0;
        if back > 0 {
            let (text, len) = self.history[self.history_len - back];
            self.line[..len].copy_from_slice(&text[..len]);
            self.len = len;
            echo(&self.line[..len]);
        }
        self.browsing = back;
    }

    /// The oldest completed line not yet taken, if there is one.
    pub fn take_line(&mut self, into: impl FnOnce(&[u8])) -> bool {
        let mut line = [0u8; MAX_LINE];
        let Some(len) = self.completed.pop(&mut line) else { return false };
        into(&line[..len]);
        true
    }

    /// True when a completed line waits to be taken.
    pub fn has_line(&self) -> bool {
        !self.completed.is_empty()
    }

    /// What was typed and not yet read, as the keys that would type it again: the lines typed
    /// ahead, each with its Enter, then the line being typed. Written into `out`; returns the
    /// length (at most `PENDING_MAX`). A console keeps this where a restart finds it.
    pub fn pending_input(&self, out: &mut [u8; PENDING_MAX]) -> usize {
        let mut len = 0;
        self.completed.each_byte(b'\r', |byte| {
            out[len] = byte;
            len += 1;
        });
        out[len..len + self.len].copy_from_slice(&self.line[..self.len]);
        len + self.len
    }

    /// Types `keys` (from `pending_input`) into this editor, with no echo: the terminal shows
    /// them already.
    pub fn restore(&mut self, keys: &[u8]) {
        for &key in keys {
            self.feed(key, |_| {});
        }
    }
}

/// The most `pending_input` gives: every line typed ahead, and a whole line being typed.
pub const PENDING_MAX: usize = typeahead::TYPE_AHEAD + MAX_LINE;

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    /// Feeds `keys`; returns the echo, the events, and the last line taken.
    fn type_keys(editor: &mut LineEditor, keys: &[u8]) -> (Vec<u8>, Vec<Completed>, Vec<u8>) {
        let mut echo = Vec::new();
        let mut events = Vec::new();
        let mut line = Vec::new();
        for &key in keys {
            if let Some(event) = editor.feed(key, |bytes| echo.extend_from_slice(bytes)) {
                events.push(event);
                if event == Completed::Line {
                    editor.take_line(|text| line = text.to_vec());
                }
            }
        }
        (echo, events, line)
    }

    #[test]
    fn a_line_is_echoed_and_completed() {
        let mut editor = LineEditor::new();
        let (echo, events, line) = type_keys(&mut editor, b"ls -l\r");
        assert_eq!(echo, b"ls -l\r\n");
        assert_eq!(events, [Completed::Line]);
        assert_eq!(line, b"ls -l");
    }

    #[test]
    fn backspace_and_kill_edit_the_line() {
        let mut editor = LineEditor::new();
        let (echo, _, line) = type_keys(&mut editor, b"cax\x7f\x08t\n");
        assert_eq!(line, b"ct");
        assert_eq!(echo, b"cax\x08 \x08\x08 \x08t\r\n");
        let (_, _, line) = type_keys(&mut editor, b"junk\x15ok\r");
        assert_eq!(line, b"ok");
        let (echo, events, _) = type_keys(&mut editor, b"\x7f");
        assert!(echo.is_empty() && events.is_empty(), "backspace on an empty line does nothing");
    }

    #[test]
    fn ctrl_c_drops_the_line_and_ctrl_d_ends_input_only_when_empty() {
        let mut editor = LineEditor::new();
        let (echo, events, _) = type_keys(&mut editor, b"rm x\x03");
        assert_eq!(events, [Completed::Interrupt]);
        assert!(echo.ends_with(b"^C\r\n"));
        assert!(!editor.has_line());
        let (_, events, _) = type_keys(&mut editor, b"a\x04");
        assert!(events.is_empty(), "Ctrl-D with text on the line is ignored");
        let (_, events, line) = type_keys(&mut editor, b"\x7f\x04");
        assert_eq!(events, [Completed::EndOfInput]);
        assert!(line.is_empty());
    }

    #[test]
    fn escape_sequences_and_control_bytes_are_ignored() {
        let mut editor = LineEditor::new();
        let (echo, _, line) = type_keys(&mut editor, b"a\x1b[Ab\x01\x1b[Dc\r");
        assert_eq!(line, b"abc");
        assert_eq!(echo, b"abc\r\n");
    }

    #[test]
    fn a_line_longer_than_the_limit_is_refused_not_cut() {
        let mut editor = LineEditor::new();
        let keys: Vec<u8> = core::iter::repeat_n(b'x', MAX_LINE + 10).chain([b'\r']).collect();
        let (echo, _, line) = type_keys(&mut editor, &keys);
        assert!(line.is_empty(), "an empty line reaches the reader, not a cut one");
        let text = std::string::String::from_utf8_lossy(&echo);
        assert_eq!(text.matches('\x07').count(), 1, "one bell when the line fills");
        assert!(
            text.ends_with("\r\nline too long (at most 200 characters): refused\r\n"),
            "{text}"
        );
        // The next line is whole again; a line of exactly the limit is fine.
        let keys: Vec<u8> = core::iter::repeat_n(b'y', MAX_LINE).chain([b'\r']).collect();
        let (_, _, line) = type_keys(&mut editor, &keys);
        assert_eq!(line.len(), MAX_LINE);
    }

    #[test]
    fn longer_escape_sequences_are_swallowed_whole() {
        let mut editor = LineEditor::new();
        // Delete (ESC [ 3 ~), Ctrl-Right (ESC [ 1 ; 5 C), F1 (ESC O P), Up in application
        // mode (ESC O A) with no history yet.
        let (echo, _, line) = type_keys(&mut editor, b"a\x1b[3~b\x1b[1;5Cc\x1bOPd\x1bOA\r");
        assert_eq!(line, b"abcd");
        assert_eq!(echo, b"abcd\r\n");
    }

    /// Takes every waiting line.
    fn take_all(editor: &mut LineEditor) -> Vec<Vec<u8>> {
        let mut lines = Vec::new();
        while editor.take_line(|text| lines.push(text.to_vec())) {}
        lines
    }

    #[test]
    fn lines_typed_ahead_wait_in_order() {
        let mut editor = LineEditor::new();
        let mut echo = Vec::new();
        for &key in b"alpha\rbeta\r.\rpart" {
            editor.feed(key, |bytes| echo.extend_from_slice(bytes));
        }
        assert_eq!(echo, b"alpha\r\nbeta\r\n.\r\npart", "each key is echoed as it arrives");
        assert_eq!(take_all(&mut editor), [&b"alpha"[..], b"beta", b"."]);
        editor.feed(b'\r', |_| {});
        assert_eq!(take_all(&mut editor), [b"part"], "the line being typed is not taken early");
    }

    #[test]
    fn enter_is_refused_while_the_lines_typed_ahead_fill_the_queue() {
        let mut editor = LineEditor::new();
        let line: Vec<u8> = core::iter::repeat_n(b'x', MAX_LINE).chain([b'\r']).collect();
        let fit = TYPE_AHEAD / (MAX_LINE + 1);
        for _ in 0..fit {
            assert_eq!(type_keys_only(&mut editor, &line), [Completed::Line]);
        }
        // A last line that fills the queue to the byte, its `\n` included.
        let rest = TYPE_AHEAD - fit * (MAX_LINE + 1) - 1;
        assert_eq!(type_keys_only(&mut editor, &line[MAX_LINE - rest..]), [Completed::Line]);
        assert!(type_keys_only(&mut editor, b"more\r").is_empty(), "Enter with the queue full");
        assert_eq!(take_all(&mut editor).len(), fit + 1);
        assert_eq!(type_keys_only(&mut editor, b"\r"), [Completed::Line], "the line waited");
        assert_eq!(take_all(&mut editor), [b"more"]);
    }

    #[test]
    fn ctrl_c_forgets_the_lines_typed_ahead() {
        let mut editor = LineEditor::new();
        type_keys_only(&mut editor, b"rm A\rrm B\rhalf\x03");
        assert!(!editor.has_line());
        type_keys_only(&mut editor, b"ls\r");
        assert_eq!(take_all(&mut editor), [b"ls"]);
    }

    /// Feeds `keys` without taking lines; returns the events.
    fn type_keys_only(editor: &mut LineEditor, keys: &[u8]) -> Vec<Completed> {
        keys.iter().filter_map(|&key| editor.feed(key, |_| {})).collect()
    }

    fn pending(editor: &LineEditor) -> Vec<u8> {
        let mut out = [0u8; PENDING_MAX];
        let len = editor.pending_input(&mut out);
        out[..len].to_vec()
    }

    /// A fresh editor given `keys` by `restore`: its pending input, then the lines it gives
    /// and what is pending after them.
    fn restored(keys: &[u8]) -> (Vec<u8>, Vec<Vec<u8>>, Vec<u8>) {
        let mut editor = LineEditor::new();
        editor.restore(keys);
        let before = pending(&editor);
        let mut lines = Vec::new();
        while editor.take_line(|line| lines.push(line.to_vec())) {}
        (before, lines, pending(&editor))
    }

    #[test]
    fn pending_input_types_the_same_state_again() {
        let mut editor = LineEditor::new();
        type_keys_only(&mut editor, b"first\rsecond line\rhalf a li\x7fine");
        let keys = pending(&editor);
        assert_eq!(keys, b"first\rsecond line\rhalf a line");
        let (again, lines, after) = restored(&keys);
        assert_eq!(again, keys);
        assert_eq!(lines, [b"first".to_vec(), b"second line".to_vec()]);
        assert_eq!(after, b"half a line", "the line being typed is being typed again");
    }

    #[test]
    fn a_taken_line_is_no_longer_pending() {
        let mut editor = LineEditor::new();
        type_keys_only(&mut editor, b"one\rtwo\rthr");
        assert!(editor.take_line(|line| assert_eq!(line, b"one")));
        assert_eq!(pending(&editor), b"two\rthr");
    }

    #[test]
    fn a_full_type_ahead_and_line_are_kept_whole() {
        let mut editor = LineEditor::new();
        let line = [b'x'; MAX_LINE];
        while {
            type_keys_only(&mut editor, &line);
            type_keys_only(&mut editor, b"\r").len() == 1
        } {}
        // The queue is full: the last line stays being typed, whole.
        let keys = pending(&editor);
        assert!(keys.len() > typeahead::TYPE_AHEAD && keys.len() <= PENDING_MAX);
        assert!(keys.ends_with(&line));
        assert_eq!(restored(&keys).0, keys);
    }

    #[test]
    fn up_and_down_walk_the_history() {
        let mut editor = LineEditor::new();
        type_keys(&mut editor, b"first\r");
        type_keys(&mut editor, b"second\r");
        type_keys(&mut editor, b"\r"); // empty lines are not remembered
        let (echo, _, line) = type_keys(&mut editor, b"xy\x1b[A\x1b[A\r");
        assert_eq!(line, b"first");
        assert!(
            echo.starts_with(b"xy\x08 \x08\x08 \x08second"),
            "{:?}",
            std::string::String::from_utf8_lossy(&echo)
        );
        // History is now first, second, first: up twice shows `second`, down once the newest.
        let (_, _, line) = type_keys(&mut editor, b"\x1b[A\x1b[A\x1b[B\r");
        assert_eq!(line, b"first");
    }

    #[test]
    fn history_is_bounded_and_skips_repeats() {
        let mut editor = LineEditor::new();
        for n in 0..HISTORY + 3 {
            type_keys(&mut editor, &[b'a' + n as u8, b'\r']);
        }
        type_keys(&mut editor, b"k\r"); // the newest again: not added twice
        let ups: Vec<u8> =
            core::iter::repeat_n(*b"\x1b[A", HISTORY + 5).flatten().chain([b'\r']).collect();
        let (_, _, oldest) = type_keys(&mut editor, &ups);
        assert_eq!(oldest, [b'a' + 3], "only the last {HISTORY} lines are kept");
        let (_, _, line) = type_keys(&mut editor, b"\x1b[A\x1b[B\x1b[Bz\r");
        assert_eq!(line, b"z", "down past the newest gives an empty line");
    }
}
