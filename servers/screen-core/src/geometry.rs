//! The shape of a linear framebuffer: size, stride, and how a pixel is laid out in bytes.
//!
//! A `Geometry` comes from outside (the bootloader, a PPM header), so it is an allegation until
//! `check` accepts it; everything that draws relies on a checked geometry to stay in bounds.

use core::fmt;

/// How the bytes of one pixel hold its colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PixelFormat {
    /// Red, green, blue, then padding up to `bytes_per_pixel` (QEMU's `screendump`).
    Rgb,
    /// Blue, green, red, then padding (the usual UEFI / BIOS VBE framebuffer).
    Bgr,
    /// One intensity byte, then padding.
    Grey,
}

/// A framebuffer's layout; pixel (x, y) starts at byte `(y * stride + x) * bytes_per_pixel`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Geometry {
    /// Visible pixels per row.
    pub width: usize,
    /// Visible rows.
    pub height: usize,
    /// Pixels from the start of one row to the start of the next (at least `width`).
    pub stride: usize,
    /// 1 to 4; at least 3 for the colour formats.
    pub bytes_per_pixel: usize,
    pub format: PixelFormat,
}

/// Largest pixel this crate knows how to lay out.
const MAX_BYTES_PER_PIXEL: usize = 4;
/// Red, green and blue each need a byte.
const COLOUR_BYTES: usize = 3;

/// Why a geometry (or the buffer offered with it) was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GeometryError {
    ZeroSize,
    StrideBelowWidth {
        stride: usize,
        width: usize,
    },
    BadBytesPerPixel(usize),
    TooFewBytesForColour(usize),
    /// `stride * height * bytes_per_pixel` does not fit in a `usize`.
    TooLarge,
    BufferTooShort {
        needed: usize,
        got: usize,
    },
    /// Not even one character cell fits on the screen.
    SmallerThanOneCell,
}

impl Geometry {
    /// The layout the kernel's `framebuffer` call describes; `None` for a pixel format this
    /// crate does not draw.
    pub fn of_framebuffer(info: &libipc::abi::FramebufferInfo) -> Option<Geometry> {
        use libipc::abi::{PIXELS_BGR, PIXELS_GREY, PIXELS_RGB};
        let format = match info.format {
            PIXELS_RGB => PixelFormat::Rgb,
            PIXELS_BGR => PixelFormat::Bgr,
            PIXELS_GREY => PixelFormat::Grey,
            _ => return None,
        };
        Some(Geometry {
            width: usize::try_from(info.width).ok()?,
            height: usize::try_from(info.height).ok()?,
            stride: usize::try_from(info.stride).ok()?,
            bytes_per_pixel: usize::try_from(info.bytes_per_pixel).ok()?,
            format,
        })
    }

    /// Bytes the whole framebuffer spans, or `None` if that overflows.
    pub fn len_bytes(&self) -> Option<usize> {
        self.stride.checked_mul(self.height)?.checked_mul(self.bytes_per_pixel)
    }

    /// Checks the shape alone, and returns the bytes a buffer of this shape needs.
    pub fn check_shape(&self) -> Result<usize, GeometryError> {
        if self.width == 0 || self.height == 0 {
            return Err(GeometryError::ZeroSize);
        }
        if self.stride < self.width {
            return Err(GeometryError::StrideBelowWidth { stride: self.stride, width: self.width });
        }
        if !(1..=MAX_BYTES_PER_PIXEL).contains(&self.bytes_per_pixel) {
            return Err(GeometryError::BadBytesPerPixel(self.bytes_per_pixel));
        }
        if self.format != PixelFormat::Grey && self.bytes_per_pixel < COLOUR_BYTES {
            return Err(GeometryError::TooFewBytesForColour(self.bytes_per_pixel));
        }
        self.len_bytes().ok_or(GeometryError::TooLarge)
    }

    /// Checks the shape and that a buffer of `buffer_len` bytes holds every pixel. Once this
    /// passes, no pixel offset computed from `width`, `height` and `stride` can overflow.
    pub fn check(&self, buffer_len: usize) -> Result<(), GeometryError> {
        let needed = self.check_shape()?;
        if buffer_len < needed {
            return Err(GeometryError::BufferTooShort { needed, got: buffer_len });
        }
        Ok(())
    }

    /// Byte offset of pixel (x, y). Only for a checked geometry and `x < stride, y < height`.
    pub(crate) fn offset(&self, x: usize, y: usize) -> usize {
        (y * self.stride + x) * self.bytes_per_pixel
    }
}

impl fmt::Display for GeometryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ZeroSize => write!(f, "the screen has no pixels: width or height is zero"),
            Self::StrideBelowWidth { stride, width } => {
                write!(f, "a row of {width} pixels cannot fit in a stride of {stride} pixels")
            }
            Self::BadBytesPerPixel(n) => {
                write!(f, "{n} bytes per pixel is not supported (1 to {MAX_BYTES_PER_PIXEL})")
            }
            Self::TooFewBytesForColour(n) => {
                write!(f, "a colour pixel needs at least {COLOUR_BYTES} bytes, not {n}")
            }
            Self::TooLarge => write!(f, "the framebuffer's size does not fit in memory"),
            Self::BufferTooShort { needed, got } => {
                write!(f, "the pixel buffer has {got} bytes but the geometry needs {needed}")
            }
            Self::SmallerThanOneCell => {
                write!(f, "the screen is smaller than one character cell")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> Geometry {
        Geometry {
            width: 100,
            height: 50,
            stride: 103,
            bytes_per_pixel: 4,
            format: PixelFormat::Bgr,
        }
    }

    #[test]
    fn accepts_a_padded_geometry_with_its_exact_buffer() {
        let g = good();
        assert_eq!(g.len_bytes(), Some(103 * 50 * 4));
        assert_eq!(g.check(103 * 50 * 4), Ok(()));
    }

    #[test]
    fn refuses_bad_shapes() {
        let cases = [
            (Geometry { width: 0, ..good() }, GeometryError::ZeroSize),
            (Geometry { height: 0, ..good() }, GeometryError::ZeroSize),
            (
                Geometry { stride: 99, ..good() },
                GeometryError::StrideBelowWidth { stride: 99, width: 100 },
            ),
            (Geometry { bytes_per_pixel: 0, ..good() }, GeometryError::BadBytesPerPixel(0)),
            (Geometry { bytes_per_pixel: 5, ..good() }, GeometryError::BadBytesPerPixel(5)),
            (
                Geometry { bytes_per_pixel: 2, format: PixelFormat::Rgb, ..good() },
                GeometryError::TooFewBytesForColour(2),
            ),
            (
                Geometry { width: usize::MAX / 2, stride: usize::MAX / 2, ..good() },
                GeometryError::TooLarge,
            ),
        ];
        for (geometry, error) in cases {
            assert_eq!(geometry.check(usize::MAX), Err(error), "{geometry:?}");
        }
    }

    #[test]
    fn refuses_a_short_buffer() {
        let needed = 103 * 50 * 4;
        assert_eq!(
            good().check(needed - 1),
            Err(GeometryError::BufferTooShort { needed, got: needed - 1 })
        );
    }

    #[test]
    fn grey_may_use_one_byte() {
        let grey = Geometry { bytes_per_pixel: 1, format: PixelFormat::Grey, ..good() };
        assert_eq!(grey.check(103 * 50), Ok(()));
    }
}
