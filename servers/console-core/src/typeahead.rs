//! Lines typed ahead: completed with Enter before any program asked to read them, kept in
//! order until one does, as a terminal keeps what is pasted into it.
//!
//! Lines hold only printable bytes (the editor refuses the rest), so each is stored followed
//! by a `\n` in one byte ring.

/// Bytes of completed lines the console keeps for readers (their `\n`s included).
pub const TYPE_AHEAD: usize = 1024;

const END: u8 = b'\n';

pub struct LineQueue {
    bytes: [u8; TYPE_AHEAD],
    start: usize,
    len: usize,
}

impl LineQueue {
    pub const fn new() -> Self {
        Self { bytes: [0; TYPE_AHEAD], start: 0, len: 0 }
    }

    /// Adds `line` after the others; false, and nothing kept, if it does not fit.
    pub fn push(&mut self, line: &[u8]) -> bool {
        debug_assert!(!line.contains(&END));
        if TYPE_AHEAD - self.len < line.len() + 1 {
            return false;
        }
        for &byte in line.iter().chain(&[END]) {
            self.bytes[(self.start + self.len) % TYPE_AHEAD] = byte;
            self.len += 1;
        }
        true
    }

    /// Removes the oldest line and copies it into `into`; returns its length, or `None` if
    /// no line waits. `into` must hold the longest line the editor makes.
    pub fn pop(&mut self, into: &mut [u8]) -> Option<usize> {
        if self.len == 0 {
            return None;
        }
        let mut length = 0;
        loop {
            let byte = self.bytes[self.start];
            self.start = (self.start + 1) % TYPE_AHEAD;
            self.len -= 1;
            if byte == END {
                return Some(length);
            }
            into[length] = byte;
            length += 1;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Every byte kept, oldest first, each line followed by `end` instead of its `\n`.
    pub fn each_byte(&self, end: u8, mut each: impl FnMut(u8)) {
        for i in 0..self.len {
            let byte = self.bytes[(self.start + i) % TYPE_AHEAD];
            each(if byte == END { end } else { byte });
        }
    }

    /// Forgets every line (Ctrl-C: what was typed ahead of an interrupted program is not
    /// meant for whatever reads next).
    pub fn clear(&mut self) {
        self.start = 0;
        self.len = 0;
    }
}

impl Default for LineQueue {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_come_out_in_order_across_the_wrap() {
        let mut queue = LineQueue::new();
        let mut line = [0u8; TYPE_AHEAD];
        let long = [b'x'; 600];
        // Push and pop a long line so the next ones wrap around the end of the ring.
        assert!(queue.push(&long));
        assert_eq!(queue.pop(&mut line), Some(600));
        assert!(queue.push(b"alpha") && queue.push(b"") && queue.push(&long[..400]));
        assert_eq!(queue.pop(&mut line), Some(5));
        assert_eq!(&line[..5], b"alpha");
        assert_eq!(queue.pop(&mut line), Some(0), "an empty line is a line");
        assert_eq!(queue.pop(&mut line), Some(400));
        assert!(line[..400].iter().all(|&b| b == b'x'));
        assert_eq!(queue.pop(&mut line), None);
        assert!(queue.is_empty());
    }

    #[test]
    fn a_line_that_does_not_fit_is_refused_whole() {
        let mut queue = LineQueue::new();
        assert!(queue.push(&[b'a'; TYPE_AHEAD - 1]));
        assert!(!queue.push(b""), "no room even for the end of a line");
        queue.clear();
        assert!(queue.is_empty());
        assert!(!queue.push(&[b'b'; TYPE_AHEAD]));
        assert!(queue.is_empty(), "nothing of a refused line is kept");
    }
}
