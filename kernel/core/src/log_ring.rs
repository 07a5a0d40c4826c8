//! The kernel's log, kept: the last `N` bytes of log lines, which `dmesg` reads. A reader
//! names where it wants to start as a position in everything ever logged (0 is the first
//! byte), so it can read in pieces and come back for what is new; what has been overwritten
//! since is skipped, up to the next whole line.

pub struct LogRing<const N: usize> {
    bytes: [u8; N],
    /// Bytes appended since boot: the position after the newest byte.
    written: u64,
}

impl<const N: usize> Default for LogRing<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> LogRing<N> {
    pub const fn new() -> Self {
        LogRing { bytes: [0; N], written: 0 }
    }

    /// Appends `text`, overwriting the oldest bytes when full.
    pub fn append(&mut self, text: &[u8]) {
        // Of a text longer than the ring, only its end can be kept; the rest still counts.
        let skipped = text.len().saturating_sub(N);
        self.written += skipped as u64;
        let text = &text[skipped..];
        let at = (self.written % N as u64) as usize;
        let first = text.len().min(N - at);
        self.bytes[at..at + first].copy_from_slice(&text[..first]);
        self.bytes[..text.len() - first].copy_from_slice(&text[first..]);
        self.written += text.len() as u64;
    }

    /// The position after the newest byte (where a reader that has read everything is).
    pub fn end(&self) -> u64 {
        self.written
    }

    /// Copies what was logged from position `from` into `out`; returns how many bytes, and
    /// the position to read from next. A `from` already overwritten starts at the first whole
    /// line still kept.
    pub fn read(&self, from: u64, out: &mut [u8]) -> (usize, u64) {
        let oldest = self.written.saturating_sub(N as u64);
        let mut from = from.min(self.written);
        if from < oldest {
            from = oldest;
            while from < self.written && self.byte(from) != b'\n' {
                from += 1;
            }
            from = (from + 1).min(self.written);
        }
        let n = out.len().min((self.written - from) as usize);
        for (k, slot) in out[..n].iter_mut().enumerate() {
            *slot = self.byte(from + k as u64);
        }
        (n, from + n as u64)
    }

    fn byte(&self, position: u64) -> u8 {
        self.bytes[(position % N as u64) as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::vec::Vec;

    fn read_all<const N: usize>(ring: &LogRing<N>, mut from: u64, piece: usize) -> Vec<u8> {
        let mut out = Vec::new();
        loop {
            let mut buffer = std::vec![0u8; piece];
            let (n, next) = ring.read(from, &mut buffer);
            if n == 0 {
                return out;
            }
            out.extend_from_slice(&buffer[..n]);
            from = next;
        }
    }

    #[test]
    fn lines_read_back_in_pieces_and_only_the_new_ones_later() {
        let mut ring = LogRing::<64>::new();
        ring.append(b"one\n");
        ring.append(b"two\n");
        assert_eq!(read_all(&ring, 0, 3), b"one\ntwo\n");
        let seen = ring.end();
        ring.append(b"three\n");
        assert_eq!(read_all(&ring, seen, 5), b"three\n");
        assert_eq!(ring.read(seen + 100, &mut [0; 8]), (0, ring.end()), "past the end: nothing");
    }

    #[test]
    fn an_overwritten_start_resumes_at_the_next_whole_line() {
        let mut ring = LogRing::<16>::new();
        for line in [&b"aaaa\n"[..], b"bbbb\n", b"cccc\n", b"dddd\n"] {
            ring.append(line);
        }
        // 20 bytes went in; the ring holds the last 16: "aaa\n" is cut, so reading starts at b.
        assert_eq!(read_all(&ring, 0, 7), b"bbbb\ncccc\ndddd\n");
        // A text longer than the ring keeps its end.
        ring.append(b"0123456789abcdefXYZ\n");
        assert_eq!(ring.end(), 40);
        assert_eq!(read_all(&ring, 0, 64), b"");
        // A reader already at the oldest kept byte reads on from there.
        assert_eq!(read_all(&ring, 24, 64), b"456789abcdefXYZ\n");
        ring.append(b"ok\n");
        assert_eq!(read_all(&ring, 0, 64), b"ok\n");
    }
}
