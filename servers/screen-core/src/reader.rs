//! Reading a screenshot back into text, cell by cell.
//!
//! Every printable ASCII glyph is drawn the way the terminal draws it, in the picture's own
//! pixel format, and each cell is looked up among them by colour (not raw bytes), so a
//! 4-byte BGR framebuffer and QEMU's 3-byte RGB `screendump` of it read the same.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use crate::cells::{CELL_HEIGHT, CELL_WIDTH, Grid, draw_cell};
use crate::geometry::{Geometry, GeometryError};
use crate::pixel::decode;

/// What a cell that matches no glyph reads as.
pub const UNKNOWN: char = '\u{fffd}';

/// The text on each grid row of `pixels`, trailing spaces trimmed. A cell showing the cursor
/// reads as the glyph under it; under the cursor `_` reads as a space (the underline hides it).
pub fn read_text(pixels: &[u8], geometry: &Geometry) -> Result<Vec<String>, GeometryError> {
    geometry.check(pixels.len())?;
    let grid = Grid::of(geometry)?;
    let glyphs = glyphs(geometry);
    let mut cell = Vec::new();
    let lines = (0..grid.rows)
        .map(|row| {
            let mut line: String = (0..grid.columns)
                .map(|col| {
                    cell_colours(pixels, geometry, col, row, &mut cell);
                    glyphs.get(&cell).copied().unwrap_or(UNKNOWN)
                })
                .collect();
            line.truncate(line.trim_end_matches(' ').len());
            line
        })
        .collect();
    Ok(lines)
}

/// Each printable glyph's cell colours, for `geometry`'s format, mapped to its char.
fn glyphs(geometry: &Geometry) -> BTreeMap<Vec<u8>, char> {
    let one_cell =
        Geometry { width: CELL_WIDTH, height: CELL_HEIGHT, stride: CELL_WIDTH, ..*geometry };
    let mut scratch = vec![0; CELL_WIDTH * CELL_HEIGHT * geometry.bytes_per_pixel];
    let mut glyphs = BTreeMap::new();
    // Plain glyphs first, and lower chars first, so that where a cursor cell looks like
    // something already known (' ' and '_' under the underline), the earlier entry wins.
    for cursor in [false, true] {
        for ch in ' '..='~' {
            draw_cell(&mut scratch, &one_cell, 0, 0, ch, cursor);
            let mut colours = Vec::new();
            cell_colours(&scratch, &one_cell, 0, 0, &mut colours);
            glyphs.entry(colours).or_insert(ch);
        }
    }
    glyphs
}

/// Replaces `out` with the (r, g, b) bytes of cell (col, row), row by row. The geometry is
/// checked and the cell inside the grid, so every row is in the buffer.
fn cell_colours(pixels: &[u8], geometry: &Geometry, col: usize, row: usize, out: &mut Vec<u8>) {
    out.clear();
    let bytes_per_pixel = geometry.bytes_per_pixel;
    for dy in 0..CELL_HEIGHT {
        let start = geometry.offset(col * CELL_WIDTH, row * CELL_HEIGHT + dy);
        let line = pixels.get(start..start + CELL_WIDTH * bytes_per_pixel).unwrap_or(&[]);
        for pixel in line.chunks_exact(bytes_per_pixel) {
            let colour = decode(geometry.format, pixel);
            out.extend_from_slice(&[colour.r, colour.g, colour.b]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::PixelFormat;

    const RGB_CELL: Geometry = Geometry {
        width: CELL_WIDTH,
        height: CELL_HEIGHT,
        stride: CELL_WIDTH,
        bytes_per_pixel: 3,
        format: PixelFormat::Rgb,
    };

    #[test]
    fn every_plain_glyph_has_its_own_entry() {
        let glyphs = glyphs(&RGB_CELL);
        let plain = ' '..='~';
        for ch in plain.clone() {
            assert!(glyphs.values().any(|&c| c == ch), "{ch:?}");
        }
        // 95 plain cells, and the cursor versions less those that collide (`_`).
        assert!(glyphs.len() > plain.count());
    }

    #[test]
    fn a_cell_matching_nothing_reads_as_unknown() {
        let mut pixels = vec![0; CELL_WIDTH * CELL_HEIGHT * 3];
        pixels[0] = 1;
        assert_eq!(read_text(&pixels, &RGB_CELL).unwrap(), ["\u{fffd}"]);
    }

    #[test]
    fn refuses_a_bad_geometry() {
        let pixels = vec![0; 10];
        assert!(read_text(&pixels, &RGB_CELL).is_err());
        let narrow = Geometry { width: 1, stride: 1, height: 1, ..RGB_CELL };
        assert_eq!(read_text(&pixels, &narrow), Err(GeometryError::SmallerThanOneCell));
    }
}
