//! Output processing: each `\n` goes out as `\r\n`, as terminals expect. The translated text
//! is gathered and handed on in pieces of up to `OUTPUT_PIECE` bytes, so a write of several
//! lines reaches the serial driver as one request, not one per line and one per line end.

/// The most bytes handed on at once.
pub const OUTPUT_PIECE: usize = 256;

/// Translated text waiting to be handed on.
pub struct Output {
    bytes: [u8; OUTPUT_PIECE],
    len: usize,
}

impl Default for Output {
    fn default() -> Self {
        Self::new()
    }
}

impl Output {
    pub const fn new() -> Self {
        Output { bytes: [0; OUTPUT_PIECE], len: 0 }
    }

    /// Translates `text`, handing full pieces to `out`.
    pub fn write(&mut self, text: &[u8], out: &mut impl FnMut(&[u8])) {
        for &byte in text {
            if byte == b'\n' {
                self.push(b'\r', out);
            }
            self.push(byte, out);
        }
    }

    /// Hands what is left to `out`.
    pub fn flush(&mut self, out: &mut impl FnMut(&[u8])) {
        if self.len > 0 {
            out(&self.bytes[..self.len]);
            self.len = 0;
        }
    }

    fn push(&mut self, byte: u8, out: &mut impl FnMut(&[u8])) {
        if self.len == OUTPUT_PIECE {
            self.flush(out);
        }
        self.bytes[self.len] = byte;
        self.len += 1;
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    fn translated(chunks: &[&[u8]]) -> Vec<Vec<u8>> {
        let (mut output, mut pieces) = (Output::new(), Vec::new());
        let mut out = |piece: &[u8]| pieces.push(piece.to_vec());
        for chunk in chunks {
            output.write(chunk, &mut out);
        }
        output.flush(&mut out);
        pieces
    }

    #[test]
    fn newlines_become_crlf_in_one_piece() {
        assert_eq!(translated(&[b"a\nb\n\nc"]), [b"a\r\nb\r\n\r\nc".to_vec()]);
        assert_eq!(translated(&[b"ab", b"\ncd\n"]), [b"ab\r\ncd\r\n".to_vec()], "across chunks");
    }

    #[test]
    fn long_text_goes_in_full_pieces_and_nothing_is_lost() {
        let text: Vec<u8> = (0..1000).map(|i| if i % 50 == 49 { b'\n' } else { b'x' }).collect();
        let pieces = translated(&[&text]);
        assert!(pieces[..pieces.len() - 1].iter().all(|p| p.len() == OUTPUT_PIECE));
        let joined: Vec<u8> = pieces.concat();
        assert_eq!(joined.len(), 1000 + 20, "each of the 20 newlines gained a carriage return");
        assert_eq!(joined.iter().filter(|&&b| b == b'\r').count(), 20);
    }

    #[test]
    fn nothing_written_hands_on_nothing() {
        assert!(translated(&[]).is_empty());
        assert!(translated(&[b""]).is_empty());
    }
}
