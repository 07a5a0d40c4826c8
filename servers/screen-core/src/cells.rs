//! The character grid laid over the framebuffer, and drawing one cell of it.
//!
//! Cell (col, row) covers the pixels from (col * CELL_WIDTH, row * CELL_HEIGHT), origin at the
//! top left; pixels right of and below the last whole cell stay black. A glyph is the font's
//! intensity raster tinted with `FOREGROUND` on black; the cursor is an underline.

use noto_sans_mono_bitmap::{FontWeight, RasterHeight, get_raster, get_raster_width};

use crate::geometry::{Geometry, GeometryError};
use crate::pixel::{FOREGROUND, encode};

const WEIGHT: FontWeight = FontWeight::Regular;
const SIZE: RasterHeight = RasterHeight::Size16;

/// Pixels across one cell: the font is monospaced, every glyph is this wide.
pub const CELL_WIDTH: usize = get_raster_width(WEIGHT, SIZE);
/// Pixel rows in one cell: the font's raster height.
pub const CELL_HEIGHT: usize = SIZE.val();
/// Grid limits, so the grid's characters fit in a fixed array (no allocator needed);
/// 320 x 120 cells cover 2880 x 1920 pixels. Cells beyond them are not used.
pub const MAX_COLUMNS: usize = 320;
pub const MAX_ROWS: usize = 120;
/// Pixel rows of the underline cursor, at the bottom of its cell.
pub const CURSOR_ROWS: usize = 2;
/// What a character without a glyph draws as.
pub const REPLACEMENT: char = '?';

/// How many whole cells fit on a screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grid {
    pub columns: usize,
    pub rows: usize,
}

impl Grid {
    /// The grid of a geometry whose shape is valid and holds at least one cell.
    pub fn of(geometry: &Geometry) -> Result<Grid, GeometryError> {
        geometry.check_shape()?;
        let columns = (geometry.width / CELL_WIDTH).min(MAX_COLUMNS);
        let rows = (geometry.height / CELL_HEIGHT).min(MAX_ROWS);
        if columns == 0 || rows == 0 {
            return Err(GeometryError::SmallerThanOneCell);
        }
        Ok(Grid { columns, rows })
    }
}

/// The intensity rows of `ch`'s glyph, or of `REPLACEMENT` if the font lacks it.
fn glyph(ch: char) -> &'static [&'static [u8]] {
    get_raster(ch, WEIGHT, SIZE)
        .or_else(|| get_raster(REPLACEMENT, WEIGHT, SIZE))
        .map_or(&[], |raster| raster.raster())
}

/// Draws `ch` in cell (col, row), with the underline cursor if `cursor`. Does nothing if the
/// geometry does not `check` against `pixels`, or the cell is not wholly on the screen.
pub fn draw_cell(
    pixels: &mut [u8],
    geometry: &Geometry,
    col: usize,
    row: usize,
    ch: char,
    cursor: bool,
) {
    if geometry.check(pixels.len()).is_err() {
        return;
    }
    let x0 = col.saturating_mul(CELL_WIDTH);
    let y0 = row.saturating_mul(CELL_HEIGHT);
    if x0.saturating_add(CELL_WIDTH) > geometry.width
        || y0.saturating_add(CELL_HEIGHT) > geometry.height
    {
        return;
    }
    let bytes_per_pixel = geometry.bytes_per_pixel;
    let raster = glyph(ch);
    for dy in 0..CELL_HEIGHT {
        let start = geometry.offset(x0, y0 + dy);
        let Some(line) = pixels.get_mut(start..start + CELL_WIDTH * bytes_per_pixel) else {
            continue;
        };
        let underline = cursor && dy >= CELL_HEIGHT - CURSOR_ROWS;
        let intensities = raster.get(dy).copied().unwrap_or(&[]);
        for (dx, pixel) in line.chunks_exact_mut(bytes_per_pixel).enumerate() {
            let colour = if underline {
                FOREGROUND
            } else {
                FOREGROUND.scaled(intensities.get(dx).copied().unwrap_or(0))
            };
            encode(geometry.format, colour, pixel);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::PixelFormat;
    use crate::pixel::{BACKGROUND, Colour, decode};

    const ONE_CELL: Geometry = Geometry {
        width: CELL_WIDTH,
        height: CELL_HEIGHT,
        stride: CELL_WIDTH,
        bytes_per_pixel: 3,
        format: PixelFormat::Rgb,
    };

    fn render(ch: char, cursor: bool) -> [u8; CELL_WIDTH * CELL_HEIGHT * 3] {
        let mut pixels = [0x55; CELL_WIDTH * CELL_HEIGHT * 3];
        draw_cell(&mut pixels, &ONE_CELL, 0, 0, ch, cursor);
        pixels
    }

    fn colours(pixels: &[u8]) -> impl Iterator<Item = Colour> + '_ {
        pixels.chunks_exact(3).map(|p| decode(PixelFormat::Rgb, p))
    }

    #[test]
    fn the_font_is_nine_by_sixteen() {
        assert_eq!((CELL_WIDTH, CELL_HEIGHT), (9, 16));
        for ch in ' '..='~' {
            let raster = glyph(ch);
            assert_eq!(raster.len(), CELL_HEIGHT, "{ch:?}");
            assert!(raster.iter().all(|row| row.len() == CELL_WIDTH), "{ch:?}");
        }
    }

    #[test]
    fn every_printable_ascii_char_draws_a_distinct_cell() {
        let cells: [_; 95] = core::array::from_fn(|i| render((b' ' + i as u8) as char, false));
        for (i, a) in cells.iter().enumerate() {
            for (j, b) in cells.iter().enumerate().skip(i + 1) {
                assert_ne!(
                    a,
                    b,
                    "{:?} and {:?}",
                    (b' ' + i as u8) as char,
                    (b' ' + j as u8) as char
                );
            }
        }
    }

    #[test]
    fn space_is_black_and_the_cursor_an_underline() {
        assert!(colours(&render(' ', false)).all(|c| c == BACKGROUND));
        let cursor = render(' ', true);
        let (top, bottom) = cursor.split_at((CELL_HEIGHT - CURSOR_ROWS) * CELL_WIDTH * 3);
        assert!(colours(top).all(|c| c == BACKGROUND));
        assert!(colours(bottom).all(|c| c == FOREGROUND));
    }

    #[test]
    fn a_char_without_glyph_draws_the_replacement() {
        assert_eq!(render('\u{263a}', false), render(REPLACEMENT, false));
    }

    #[test]
    fn cells_off_the_screen_or_bad_buffers_are_left_alone() {
        let untouched = [0x55; CELL_WIDTH * CELL_HEIGHT * 3];
        let mut pixels = untouched;
        draw_cell(&mut pixels, &ONE_CELL, 1, 0, 'A', true);
        draw_cell(&mut pixels, &ONE_CELL, 0, usize::MAX, 'A', true);
        draw_cell(&mut pixels[1..], &ONE_CELL, 0, 0, 'A', true);
        assert_eq!(pixels, untouched);
    }

    #[test]
    fn grid_is_capped_and_needs_a_cell() {
        let tiny = Geometry { width: CELL_WIDTH - 1, ..ONE_CELL };
        assert_eq!(Grid::of(&tiny), Err(GeometryError::SmallerThanOneCell));
        let huge = Geometry { width: 100_000, stride: 100_000, height: 10_000, ..ONE_CELL };
        let grid = Grid::of(&huge).unwrap();
        assert_eq!((grid.columns, grid.rows), (MAX_COLUMNS, MAX_ROWS));
    }
}
