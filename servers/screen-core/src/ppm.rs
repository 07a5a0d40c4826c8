//! Parsing a binary PPM picture (what QEMU's `screendump` writes) into a geometry and pixels.
//!
//! Only P6 with maxval 255, i.e. 3-byte RGB pixels, row after row with no padding. The header
//! is "P6", width, height, maxval, separated by whitespace or `#` comments, then one
//! whitespace byte before the pixels.

use core::fmt;

use crate::geometry::{Geometry, GeometryError, PixelFormat};

const MAGIC: &[u8] = b"P6";
/// Bytes per pixel at maxval 255; larger maxvals take two bytes a channel.
const RGB_BYTES: usize = 3;
const MAXVAL: usize = 255;

/// Why a PPM was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PpmError {
    NotP6,
    BadHeader,
    UnsupportedMaxval(usize),
    Geometry(GeometryError),
}

impl fmt::Display for PpmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotP6 => write!(f, "not a binary PPM picture: it does not start with \"P6\""),
            Self::BadHeader => write!(
                f,
                "the PPM header is not \"P6 width height maxval\" followed by one whitespace byte"
            ),
            Self::UnsupportedMaxval(maxval) => {
                write!(f, "the PPM has maxval {maxval}; only {MAXVAL} (one byte a channel) is read")
            }
            Self::Geometry(error) => write!(f, "the PPM's pixels do not fit its header: {error}"),
        }
    }
}

/// The geometry of a P6 picture and exactly its pixel bytes (any trailing bytes are left out).
pub fn parse_ppm(bytes: &[u8]) -> Result<(Geometry, &[u8]), PpmError> {
    let rest = bytes.strip_prefix(MAGIC).ok_or(PpmError::NotP6)?;
    let (width, rest) = number(rest)?;
    let (height, rest) = number(rest)?;
    let (maxval, rest) = number(rest)?;
    if maxval != MAXVAL {
        return Err(PpmError::UnsupportedMaxval(maxval));
    }
    let pixels = match rest.split_first() {
        Some((separator, pixels)) if separator.is_ascii_whitespace() => pixels,
        _ => return Err(PpmError::BadHeader),
    };
    let geometry = Geometry {
        width,
        height,
        stride: width,
        bytes_per_pixel: RGB_BYTES,
        format: PixelFormat::Rgb,
    };
    geometry.check(pixels.len()).map_err(PpmError::Geometry)?;
    let len = geometry.len_bytes().unwrap_or(0);
    Ok((geometry, pixels.get(..len).unwrap_or(&[])))
}

/// Skips whitespace (at least one byte of it, or a comment) then reads a decimal number.
fn number(bytes: &[u8]) -> Result<(usize, &[u8]), PpmError> {
    let mut rest = bytes;
    loop {
        match rest.split_first() {
            Some((b'#', _)) => {
                let end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
                rest = rest.get(end..).unwrap_or(&[]);
            }
            Some((b, after)) if b.is_ascii_whitespace() => rest = after,
            _ => break,
        }
    }
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || rest.len() == bytes.len() {
        return Err(PpmError::BadHeader);
    }
    let (text, rest) = rest.split_at(digits);
    let value = text.iter().try_fold(0usize, |value, &digit| {
        value.checked_mul(10)?.checked_add(usize::from(digit - b'0'))
    });
    value.map(|value| (value, rest)).ok_or(PpmError::BadHeader)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn ppm(header: &[u8], pixel_bytes: usize) -> Vec<u8> {
        let mut bytes = header.to_vec();
        bytes.extend((0..pixel_bytes).map(|i| i as u8));
        bytes
    }

    #[test]
    fn reads_a_header_with_comments() {
        let bytes = ppm(b"P6\n# CREATOR: test\n2 3 # a size\n255\n", 2 * 3 * 3 + 4);
        let (geometry, pixels) = parse_ppm(&bytes).unwrap();
        assert_eq!((geometry.width, geometry.height, geometry.stride), (2, 3, 2));
        assert_eq!((geometry.bytes_per_pixel, geometry.format), (3, PixelFormat::Rgb));
        assert_eq!(pixels.len(), 18);
        assert_eq!(pixels[0], 0, "the pixels start after exactly one whitespace byte");
    }

    #[test]
    fn refuses_what_it_does_not_read() {
        let cases: [(&[u8], PpmError); 6] = [
            (b"P3\n2 3\n255\n", PpmError::NotP6),
            (b"P6\n2 3\n65535\n", PpmError::UnsupportedMaxval(65535)),
            (b"P6\n2\n", PpmError::BadHeader),
            (b"P62 3 255\n", PpmError::BadHeader),
            (b"P6 99999999999999999999999 3 255\n", PpmError::BadHeader),
            (
                b"P6 2 3 255\n\x00",
                PpmError::Geometry(GeometryError::BufferTooShort { needed: 18, got: 1 }),
            ),
        ];
        for (bytes, error) in cases {
            assert_eq!(parse_ppm(bytes).map(|_| ()), Err(error), "{bytes:?}");
        }
        assert_eq!(
            parse_ppm(b"P6 0 3 255\n").map(|_| ()),
            Err(PpmError::Geometry(GeometryError::ZeroSize))
        );
    }
}
