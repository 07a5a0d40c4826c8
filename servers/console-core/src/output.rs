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

    /// Translates `text`, handing full pieces to `out`. Text without a newline, with nothing
    /// gathered before it, goes straight on; otherwise the text between newlines is copied as
    /// a run, not byte by byte.
    pub fn write(&mut self, mut text: &[u8], out: &mut impl FnMut(&[u8])) {
        if self.len == 0 && !text.contains(&b'\n') {
            if !text.is_empty() {
                out(text); // nothing to translate or gather: no copy
            }
            return;
        }
        while let Some(newline) = text.iter().position(|&byte| byte == b'\n') {
            self.put(&text[..newline], out);
            self.put(b"\r\n", out);
            text = &text[newline + 1..];
        }
        self.put(text, out);
    }

    /// Hands what is left to `out`.
    pub fn flush(&mut self, out: &mut impl FnMut(&[u8])) {
        if self.len > 0 {
            out(&self.bytes[..self.len]);
            self.len = 0;
        }
    }

    /// Appends `bytes` as they are, handing on each piece that fills up.
    fn put(&mut self, mut bytes: &[u8], out: &mut impl FnMut(&[u8])) {
        while !bytes.is_empty() {
            if self.len == OUTPUT_PIECE {
                self.flush(out);
            }
            let n = bytes.len().min(OUTPUT_PIECE - self.len);
            self.bytes[self.len..self.len + n].copy_from_slice(&bytes[..n]);
            self.len += n;
            bytes = &bytes[n..];
        }
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
        assert_eq!(translated(&[b"ab\n", b"cd\n"]), [b"ab\r\ncd\r\n".to_vec()], "across chunks");
    }

    #[test]
    fn text_without_newlines_goes_straight_on() {
        assert_eq!(translated(&[b"abc"]), [b"abc".to_vec()]);
        assert_eq!(translated(&[b"ab", b"cd\n"]), [b"ab".to_vec(), b"cd\r\n".to_vec()]);
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
