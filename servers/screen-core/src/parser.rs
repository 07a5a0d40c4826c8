//! Turning a terminal byte stream into actions, one byte at a time.
//!
//! A small VT100-style state machine: its state lives across calls, so an escape sequence
//! split between two writes still parses. It only names what to do; `terminal` does it.

/// One thing the byte stream asks of the screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    /// Draw this printable ASCII byte at the cursor and advance.
    Print(u8),
    CarriageReturn,
    LineFeed,
    Backspace,
    Tab,
    /// `ESC [ n K`: 0 cursor to end of line, 1 start of line to cursor, 2 whole line.
    EraseInLine(u16),
    /// `ESC [ n J`: 0 cursor to end of screen, 1 start of screen to cursor, 2 and 3 all.
    EraseInDisplay(u16),
    /// `ESC [ row ; col H`, 1-based; 0 or missing means 1.
    MoveTo {
        row: u16,
        col: u16,
    },
    Up(u16),
    Down(u16),
    Forward(u16),
    Back(u16),
}

const ESC: u8 = 0x1b;
const BACKSPACE: u8 = 0x08;
/// Parameters kept per sequence; `ESC [ r ; c H` needs two, later ones are dropped.
const MAX_PARAMS: usize = 4;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Ground,
    /// After ESC.
    Escape,
    /// After `ESC [`: parameters, then a final byte.
    Csi,
    /// After `ESC O` (function keys): one more byte, dropped.
    Ss3,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Parser {
    state: State,
    /// Numbers of the sequence being read; missing ones are 0. Saturating, so a thousand
    /// digits cannot overflow.
    params: [u16; MAX_PARAMS],
    /// Which parameter the next digit belongs to (`MAX_PARAMS` or more: dropped).
    param: usize,
    /// A private marker (`?`) or intermediate byte was seen: consume, do nothing.
    ignored: bool,
}

impl Parser {
    pub(crate) const fn new() -> Self {
        Parser { state: State::Ground, params: [0; MAX_PARAMS], param: 0, ignored: false }
    }

    /// Takes one byte; returns what it completes, if anything.
    pub(crate) fn feed(&mut self, byte: u8) -> Option<Action> {
        match self.state {
            State::Ground => self.ground(byte),
            State::Escape => {
                match byte {
                    b'[' => *self = Parser { state: State::Csi, ..Parser::new() },
                    b'O' => self.state = State::Ss3,
                    // Any other escape is not ours: drop it with its byte.
                    _ => self.state = State::Ground,
                }
                None
            }
            State::Ss3 => {
                self.state = State::Ground;
                None
            }
            State::Csi => self.csi(byte),
        }
    }

    fn ground(&mut self, byte: u8) -> Option<Action> {
        match byte {
            ESC => {
                self.state = State::Escape;
                None
            }
            0x20..=0x7e => Some(Action::Print(byte)),
            b'\r' => Some(Action::CarriageReturn),
            b'\n' => Some(Action::LineFeed),
            BACKSPACE => Some(Action::Backspace),
            b'\t' => Some(Action::Tab),
            // A UTF-8 leading byte: one '?' per character; its continuation bytes are skipped.
            0xc0..=0xff => Some(Action::Print(b'?')),
            // Other C0 controls (bell...), DEL and UTF-8 continuation bytes.
            _ => None,
        }
    }

    fn csi(&mut self, byte: u8) -> Option<Action> {
        match byte {
            b'0'..=b'9' => {
                if let Some(param) = self.params.get_mut(self.param) {
                    *param = param.saturating_mul(10).saturating_add(u16::from(byte - b'0'));
                }
                None
            }
            b';' => {
                self.param = self.param.saturating_add(1);
                None
            }
            // Private markers (`?`, `>`...), sub-parameters and intermediates.
            b':' | b'<'..=b'?' | 0x20..=0x2f => {
                self.ignored = true;
                None
            }
            0x40..=0x7e => {
                self.state = State::Ground;
                if self.ignored { None } else { self.dispatch(byte) }
            }
            // A control or non-ASCII byte cuts the sequence short and counts on its own.
            _ => {
                self.state = State::Ground;
                self.ground(byte)
            }
        }
    }

    fn dispatch(&self, final_byte: u8) -> Option<Action> {
        let [first, second, ..] = self.params;
        // For counts and positions, 0 and "missing" both mean 1.
        let count = first.max(1);
        match final_byte {
            b'A' => Some(Action::Up(count)),
            b'B' => Some(Action::Down(count)),
            b'C' => Some(Action::Forward(count)),
            b'D' => Some(Action::Back(count)),
            b'H' | b'f' => Some(Action::MoveTo { row: count, col: second.max(1) }),
            b'K' => Some(Action::EraseInLine(first)),
            b'J' => Some(Action::EraseInDisplay(first)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actions(bytes: &[u8]) -> ([Option<Action>; 8], usize) {
        let mut parser = Parser::new();
        let mut out = [None; 8];
        let mut n = 0;
        for &byte in bytes {
            if let Some(action) = parser.feed(byte) {
                out[n] = Some(action);
                n += 1;
            }
        }
        (out, n)
    }

    fn only(bytes: &[u8]) -> Option<Action> {
        let (out, n) = actions(bytes);
        assert!(n <= 1, "{bytes:?} gave {out:?}");
        out[0]
    }

    #[test]
    fn sequences() {
        assert_eq!(only(b"\x1b[K"), Some(Action::EraseInLine(0)));
        assert_eq!(only(b"\x1b[2J"), Some(Action::EraseInDisplay(2)));
        assert_eq!(only(b"\x1b[H"), Some(Action::MoveTo { row: 1, col: 1 }));
        assert_eq!(only(b"\x1b[12;34H"), Some(Action::MoveTo { row: 12, col: 34 }));
        assert_eq!(only(b"\x1b[;5H"), Some(Action::MoveTo { row: 1, col: 5 }));
        assert_eq!(only(b"\x1b[A"), Some(Action::Up(1)));
        assert_eq!(only(b"\x1b[7D"), Some(Action::Back(7)));
    }

    #[test]
    fn consumed_silently() {
        for bytes in
            [&b"\x1b[?25l"[..], b"\x1b[1;2;3;4;5;6m", b"\x1bOP", b"\x1b7", b"\x07\x7f\x80\xbf\x00"]
        {
            assert_eq!(only(bytes), None, "{bytes:?}");
        }
    }

    #[test]
    fn a_thousand_digits_saturate() {
        let mut parser = Parser::new();
        for &byte in b"\x1b[" {
            parser.feed(byte);
        }
        for _ in 0..1000 {
            assert_eq!(parser.feed(b'9'), None);
        }
        assert_eq!(parser.feed(b'C'), Some(Action::Forward(u16::MAX)));
    }

    #[test]
    fn a_control_byte_cuts_a_sequence_short() {
        let (out, n) = actions(b"\x1b[3\rA");
        assert_eq!(n, 2);
        assert_eq!(out[..2], [Some(Action::CarriageReturn), Some(Action::Print(b'A'))]);
    }

    #[test]
    fn utf8_is_one_question_mark_per_char() {
        let (out, n) = actions("é€😀".as_bytes());
        assert_eq!(n, 3);
        assert!(out[..3].iter().all(|a| *a == Some(Action::Print(b'?'))));
    }
}
