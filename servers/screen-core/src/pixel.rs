//! Colours, and how each pixel format lays them out in bytes.
//!
//! The terminal thinks in `Colour`s; only `encode` and `decode` know byte orders, so a picture
//! drawn as 4-byte BGR in the framebuffer and dumped as 3-byte RGB by QEMU reads back alike.

use crate::geometry::PixelFormat;

/// An RGB colour, 8 bits a channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Colour {
    pub r: u8,
    pub g: u8,
    pub b: u8,
}

/// Text and cursor: a light grey, easy on the eye on black.
pub const FOREGROUND: Colour = Colour { r: 0xd0, g: 0xd0, b: 0xd0 };
/// Black is all-zero bytes in every format, so clearing a region is `fill(0)`.
pub const BACKGROUND: Colour = Colour { r: 0, g: 0, b: 0 };

const FULL_INTENSITY: u16 = 255;

impl Colour {
    /// This colour dimmed by a glyph's intensity: 0 is black, 255 the colour itself.
    /// Integer math, so it runs where floating point is off (the kernel).
    pub const fn scaled(self, intensity: u8) -> Colour {
        const fn scale(channel: u8, intensity: u8) -> u8 {
            // At most 255 * 255 / 255, so the result fits back in a byte.
            (channel as u16 * intensity as u16 / FULL_INTENSITY) as u8
        }
        Colour {
            r: scale(self.r, intensity),
            g: scale(self.g, intensity),
            b: scale(self.b, intensity),
        }
    }
}

/// Writes `colour` into one pixel's bytes; bytes past the colour (padding) become 0.
/// Grey keeps the green channel, the one the eye weighs most.
pub fn encode(format: PixelFormat, colour: Colour, pixel: &mut [u8]) {
    let (channels, count) = match format {
        PixelFormat::Rgb => ([colour.r, colour.g, colour.b], 3),
        PixelFormat::Bgr => ([colour.b, colour.g, colour.r], 3),
        PixelFormat::Grey => ([colour.g, 0, 0], 1),
    };
    pixel.fill(0);
    for (byte, channel) in pixel.iter_mut().zip(channels.iter().take(count)) {
        *byte = *channel;
    }
}

/// Reads one pixel's colour back; missing bytes read as 0.
pub fn decode(format: PixelFormat, pixel: &[u8]) -> Colour {
    let byte = |i: usize| pixel.get(i).copied().unwrap_or(0);
    match format {
        PixelFormat::Rgb => Colour { r: byte(0), g: byte(1), b: byte(2) },
        PixelFormat::Bgr => Colour { r: byte(2), g: byte(1), b: byte(0) },
        PixelFormat::Grey => Colour { r: byte(0), g: byte(0), b: byte(0) },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ODD: Colour = Colour { r: 1, g: 2, b: 3 };

    #[test]
    fn byte_orders() {
        let mut pixel = [0xff; 4];
        encode(PixelFormat::Bgr, ODD, &mut pixel);
        assert_eq!(pixel, [3, 2, 1, 0]);
        encode(PixelFormat::Rgb, ODD, &mut pixel[..3]);
        assert_eq!(pixel, [1, 2, 3, 0]);
        encode(PixelFormat::Grey, ODD, &mut pixel);
        assert_eq!(pixel, [2, 0, 0, 0]);
    }

    #[test]
    fn decode_undoes_encode() {
        for format in [PixelFormat::Rgb, PixelFormat::Bgr] {
            let mut pixel = [0; 4];
            encode(format, ODD, &mut pixel);
            assert_eq!(decode(format, &pixel), ODD);
        }
        let mut grey = [0];
        encode(PixelFormat::Grey, FOREGROUND, &mut grey);
        assert_eq!(decode(PixelFormat::Grey, &grey), FOREGROUND);
    }

    #[test]
    fn scaling_ends_at_black_and_the_colour() {
        assert_eq!(FOREGROUND.scaled(0), BACKGROUND);
        assert_eq!(FOREGROUND.scaled(255), FOREGROUND);
        assert_eq!(FOREGROUND.scaled(128).g, 104); // 208 * 128 / 255, rounded down
    }
}
