//! A line of text formatted into a fixed buffer, without allocating: what the kernel's log and
//! its IPC trace write their lines into. Text past the end is cut, at a character boundary, so
//! the line is always UTF-8.

use core::fmt;

pub struct Line<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> Default for Line<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Line<N> {
    pub const fn new() -> Self {
        Line { bytes: [0; N], len: 0 }
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// Ends the line with a newline, cutting its text to make room if it is full.
    pub fn end(&mut self) -> &[u8] {
        if N > 0 && self.as_bytes().last() != Some(&b'\n') {
            if self.len == N {
                self.len = boundary_at_or_before(self.as_bytes(), N - 1);
            }
            self.bytes[self.len] = b'\n';
            self.len += 1;
        }
        self.as_bytes()
    }
}

impl<const N: usize> fmt::Write for Line<N> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let take = boundary_at_or_before(text.as_bytes(), text.len().min(N - self.len));
        self.bytes[self.len..self.len + take].copy_from_slice(&text.as_bytes()[..take]);
        self.len += take;
        Ok(())
    }
}

/// The largest `end <= at` where `text[..end]` ends between characters (`text` is UTF-8).
fn boundary_at_or_before(text: &[u8], at: usize) -> usize {
    (0..=at).rev().find(|&end| end == text.len() || text[end] & 0xc0 != 0x80).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::fmt::Write;

    #[test]
    fn text_past_the_end_is_cut_between_characters() {
        let mut line = Line::<5>::new();
        write!(line, "ab").unwrap();
        write!(line, "cé!").unwrap(); // 'é' is two bytes: "abcé" fills all five
        assert_eq!(line.as_bytes(), "abcé".as_bytes());
        let mut line = Line::<4>::new();
        write!(line, "abcé").unwrap();
        assert_eq!(line.as_bytes(), b"abc", "half a character is not kept");
    }

    #[test]
    fn a_line_ends_with_one_newline_even_when_full() {
        let mut line = Line::<8>::new();
        write!(line, "hi").unwrap();
        assert_eq!(line.end(), b"hi\n");
        assert_eq!(line.end(), b"hi\n", "not twice");
        let mut full = Line::<4>::new();
        write!(full, "abé").unwrap();
        assert_eq!(full.end(), b"ab\n", "the cut keeps whole characters");
    }
}
