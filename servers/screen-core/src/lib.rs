//! A text terminal drawn on a linear framebuffer, and the reader that turns a screenshot back
//! into text.
//!
//! Pure logic over a borrowed `&mut [u8]` of pixels: the same code runs in a ring-3 server
//! that maps the framebuffer or inside the kernel, and the host tests cover it. Glyphs are
//! Noto Sans Mono, 16 pixels high, light grey on black, with an underline cursor.
//!
//! | file | holds |
//! | --- | --- |
//! | `geometry` | the framebuffer's shape, checked once |
//! | `pixel` | colours and each pixel format's byte order |
//! | `cells` | the character grid and drawing one cell |
//! | `parser` | the byte stream's escape sequences, as actions |
//! | `terminal` | `Screen`: the cursor, the grid's characters, scrolling |
//! | `reader`, `ppm` | (feature `reader`) a screenshot back into text |

#![no_std]
#![forbid(unsafe_code)]

#[cfg(feature = "reader")]
extern crate alloc;

/// The character grid over the framebuffer, and drawing one cell.
mod cells;
/// The framebuffer's shape: size, stride, pixel format.
mod geometry;
/// Escape sequences and control bytes, turned into actions.
mod parser;
/// Colours, and their byte order in each pixel format.
mod pixel;
/// Parsing QEMU's `screendump` pictures.
#[cfg(feature = "reader")]
mod ppm;
/// A screenshot back into text.
#[cfg(feature = "reader")]
mod reader;
/// The terminal: cursor, characters on screen, scrolling.
mod terminal;

/// End-to-end host tests: bytes in, pixels, text back out.
#[cfg(all(test, feature = "reader"))]
mod end_to_end;

pub use cells::{CELL_HEIGHT, CELL_WIDTH, CURSOR_ROWS, Grid, MAX_COLUMNS, MAX_ROWS, draw_cell};
pub use geometry::{Geometry, GeometryError, PixelFormat};
pub use pixel::{BACKGROUND, Colour, FOREGROUND, decode, encode};
#[cfg(feature = "reader")]
pub use ppm::{PpmError, parse_ppm};
#[cfg(feature = "reader")]
pub use reader::{UNKNOWN, read_text};
pub use terminal::Screen;
