//! The terminal: a cursor, a grid of characters, and the byte stream that moves and fills them.
//!
//! `Screen` owns no pixels: each call borrows the framebuffer, so the same code drives a
//! ring-3 server's mapping or the kernel's. It remembers the characters on screen, which lets
//! it redraw a cell (to move the cursor) and scroll without reading pixels back.

use crate::cells::{Grid, MAX_COLUMNS, MAX_ROWS, draw_cell};
use crate::geometry::{Geometry, GeometryError};
use crate::parser::{Action, Parser};

/// Tab stops every this many columns.
const TAB_WIDTH: usize = 8;

/// A text terminal over a framebuffer of a fixed geometry.
pub struct Screen {
    geometry: Geometry,
    grid: Grid,
    /// Column of the next character. Equals `grid.columns` after writing in the last column:
    /// the wrap is deferred until the next printable character (as on a VT100), so a full
    /// line followed by "\r\n" does not leave an empty line. The cursor is then drawn in the
    /// last column.
    col: usize,
    row: usize,
    parser: Parser,
    /// The character in each cell, row-major, `grid.columns` to a row. Only ASCII is drawn.
    chars: [u8; MAX_COLUMNS * MAX_ROWS],
}

impl Screen {
    /// A terminal for `geometry`, refused if its shape is invalid or smaller than one cell.
    /// Call `clear` before the first `write` to start from a black screen.
    pub fn new(geometry: Geometry) -> Result<Screen, GeometryError> {
        let mut screen = Screen::blank();
        screen.start(geometry)?;
        Ok(screen)
    }

    /// A terminal of no cells, to be given its screen by `start`. Being `const`, it can live
    /// in a static: the character grid is too large for a small task's stack.
    pub const fn blank() -> Screen {
        Screen {
            geometry: Geometry {
                width: 0,
                height: 0,
                stride: 0,
                bytes_per_pixel: 0,
                format: crate::PixelFormat::Rgb,
            },
            grid: Grid { columns: 0, rows: 0 },
            col: 0,
            row: 0,
            parser: Parser::new(),
            chars: [b' '; MAX_COLUMNS * MAX_ROWS],
        }
    }

    /// Takes `geometry` as its screen, refused if its shape is invalid or smaller than one
    /// cell (the terminal then stays as it was). Call `clear` before the first `write`.
    pub fn start(&mut self, geometry: Geometry) -> Result<(), GeometryError> {
        self.grid = Grid::of(&geometry)?;
        self.geometry = geometry;
        (self.col, self.row, self.parser) = (0, 0, Parser::new());
        self.chars.fill(b' ');
        Ok(())
    }

    pub fn geometry(&self) -> &Geometry {
        &self.geometry
    }

    pub fn columns(&self) -> usize {
        self.grid.columns
    }

    pub fn rows(&self) -> usize {
        self.grid.rows
    }

    /// The cell the cursor is drawn in, as (column, row).
    pub fn cursor(&self) -> (usize, usize) {
        (self.cursor_col(), self.row)
    }

    /// The character shown in cell (col, row); a space outside the grid.
    pub fn char_at(&self, col: usize, row: usize) -> char {
        if col >= self.grid.columns || row >= self.grid.rows {
            return ' ';
        }
        self.chars.get(row * self.grid.columns + col).map_or(' ', |&b| char::from(b))
    }

    /// Paints the whole framebuffer black and puts the cursor home. Like `write`, leaves a
    /// buffer shorter than the geometry untouched.
    pub fn clear(&mut self, pixels: &mut [u8]) {
        let len = self.geometry.len_bytes().unwrap_or(usize::MAX);
        if let Some(all) = pixels.get_mut(..len) {
            all.fill(0); // black in every pixel format
        }
        self.chars.fill(b' ');
        self.col = 0;
        self.row = 0;
        self.draw_cursor(pixels, true);
    }

    /// Interprets `bytes` as terminal output, drawing into `pixels`. Never panics; a buffer
    /// shorter than the geometry is left untouched (the grid is still updated).
    pub fn write(&mut self, pixels: &mut [u8], bytes: &[u8]) {
        self.draw_cursor(pixels, false);
        for &byte in bytes {
            if let Some(action) = self.parser.feed(byte) {
                self.apply(pixels, action);
            }
        }
        self.draw_cursor(pixels, true);
    }

    fn apply(&mut self, pixels: &mut [u8], action: Action) {
        let last_col = self.grid.columns - 1;
        let last_row = self.grid.rows - 1;
        match action {
            Action::Print(byte) => {
                if self.col >= self.grid.columns {
                    self.col = 0;
                    self.line_feed(pixels);
                }
                self.put(pixels, self.col, self.row, byte);
                self.col += 1;
            }
            Action::CarriageReturn => self.col = 0,
            Action::LineFeed => self.line_feed(pixels),
            // From a deferred wrap this lands on the last column, so "\x08 \x08" erases it.
            Action::Backspace => self.col = self.col.saturating_sub(1),
            Action::Tab => {
                if self.col < self.grid.columns {
                    self.col = ((self.col / TAB_WIDTH + 1) * TAB_WIDTH).min(last_col);
                }
            }
            Action::EraseInLine(mode) => {
                let line = self.row * self.grid.columns;
                let here = line + self.cursor_col();
                match mode {
                    0 => self.erase(pixels, here, line + self.grid.columns),
                    1 => self.erase(pixels, line, here + 1),
                    2 => self.erase(pixels, line, line + self.grid.columns),
                    _ => {}
                }
            }
            Action::EraseInDisplay(mode) => {
                let here = self.row * self.grid.columns + self.cursor_col();
                let all = self.grid.columns * self.grid.rows;
                match mode {
                    0 => self.erase(pixels, here, all),
                    1 => self.erase(pixels, 0, here + 1),
                    2 | 3 => self.erase(pixels, 0, all),
                    _ => {}
                }
            }
            Action::MoveTo { row, col } => {
                self.row = usize::from(row.saturating_sub(1)).min(last_row);
                self.col = usize::from(col.saturating_sub(1)).min(last_col);
            }
            Action::Up(n) => {
                self.row = self.row.saturating_sub(usize::from(n));
                self.col = self.cursor_col();
            }
            Action::Down(n) => {
                self.row = (self.row + usize::from(n)).min(last_row);
                self.col = self.cursor_col();
            }
            Action::Forward(n) => self.col = (self.cursor_col() + usize::from(n)).min(last_col),
            Action::Back(n) => self.col = self.cursor_col().saturating_sub(usize::from(n)),
        }
    }

    /// The cursor's column with a deferred wrap shown in the last column.
    fn cursor_col(&self) -> usize {
        self.col.min(self.grid.columns - 1)
    }

    fn line_feed(&mut self, pixels: &mut [u8]) {
        if self.row + 1 < self.grid.rows {
            self.row += 1;
        } else {
            self.scroll(pixels);
        }
    }

    /// Moves every text row up one, dropping the top one; the bottom row becomes blank.
    fn scroll(&mut self, pixels: &mut [u8]) {
        let columns = self.grid.columns;
        let cells = columns * self.grid.rows;
        self.chars.copy_within(columns..cells, 0);
        if let Some(bottom) = self.chars.get_mut(cells - columns..cells) {
            bottom.fill(b' ');
        }
        // Whole pixel rows move (padding and the strip right of the grid too): one copy.
        // `Grid::of` checked the shape, so these products cannot overflow.
        let g = &self.geometry;
        let cell_row_bytes = crate::cells::CELL_HEIGHT * g.stride * g.bytes_per_pixel;
        let text_bytes = self.grid.rows * cell_row_bytes;
        if let Some(text) = pixels.get_mut(..text_bytes) {
            text.copy_within(cell_row_bytes.., 0);
            if let Some(bottom) = text.get_mut(text_bytes - cell_row_bytes..) {
                bottom.fill(0);
            }
        }
    }

    /// Blanks the cells from index `start` up to `end` (row-major).
    fn erase(&mut self, pixels: &mut [u8], start: usize, end: usize) {
        for index in start..end {
            self.put(pixels, index % self.grid.columns, index / self.grid.columns, b' ');
        }
    }

    fn put(&mut self, pixels: &mut [u8], col: usize, row: usize, byte: u8) {
        if let Some(cell) = self.chars.get_mut(row * self.grid.columns + col) {
            *cell = byte;
        }
        draw_cell(pixels, &self.geometry, col, row, char::from(byte), false);
    }

    /// Redraws the cursor's cell with or without the underline.
    fn draw_cursor(&self, pixels: &mut [u8], cursor: bool) {
        let (col, row) = self.cursor();
        draw_cell(pixels, &self.geometry, col, row, self.char_at(col, row), cursor);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cells::{CELL_HEIGHT, CELL_WIDTH};
    use crate::geometry::PixelFormat;

    /// 10 columns by 3 rows, one-byte grey pixels.
    const SMALL: Geometry = Geometry {
        width: 10 * CELL_WIDTH,
        height: 3 * CELL_HEIGHT,
        stride: 10 * CELL_WIDTH,
        bytes_per_pixel: 1,
        format: PixelFormat::Grey,
    };

    fn screen(bytes: &[u8]) -> Screen {
        let mut pixels = [0u8; 10 * CELL_WIDTH * 3 * CELL_HEIGHT];
        let mut screen = Screen::new(SMALL).unwrap();
        screen.clear(&mut pixels);
        screen.write(&mut pixels, bytes);
        screen
    }

    fn line(screen: &Screen, row: usize) -> [char; 10] {
        core::array::from_fn(|col| screen.char_at(col, row))
    }

    #[test]
    fn wrap_is_deferred_to_the_next_printable() {
        let full = screen(b"0123456789");
        assert_eq!(full.cursor(), (9, 0));
        let crlf = screen(b"0123456789\r\nx");
        assert_eq!(line(&crlf, 1)[0], 'x', "no empty line after a full one");
        let wrapped = screen(b"0123456789x");
        assert_eq!(line(&wrapped, 1)[0], 'x');
        assert_eq!(wrapped.cursor(), (1, 1));
    }

    #[test]
    fn backspace_from_a_deferred_wrap_erases_the_last_column() {
        let s = screen(b"0123456789\x08 \x08");
        assert_eq!(line(&s, 0)[9], ' ');
        assert_eq!(s.cursor(), (9, 0));
        assert_eq!(screen(b"\x08\x08").cursor(), (0, 0));
    }

    #[test]
    fn tabs_stop_at_eights_and_the_last_column() {
        assert_eq!(screen(b"ab\t").cursor(), (8, 0));
        assert_eq!(screen(b"ab\t\t\t").cursor(), (9, 0));
    }

    #[test]
    fn moves_are_clamped() {
        assert_eq!(screen(b"\x1b[99;99H").cursor(), (9, 2));
        assert_eq!(screen(b"\x1b[2;3H").cursor(), (2, 1));
        assert_eq!(screen(b"\x1b[9A\x1b[9D").cursor(), (0, 0));
        assert_eq!(screen(b"\x1b[B\x1b[4C\x1b[2D").cursor(), (2, 1));
    }

    #[test]
    fn erase_modes() {
        let s = screen(b"abcdef\x1b[1;3H\x1b[1K");
        assert_eq!(line(&s, 0), [' ', ' ', ' ', 'd', 'e', 'f', ' ', ' ', ' ', ' ']);
        let s = screen(b"abc\r\ndef\x1b[1;2H\x1b[J");
        assert_eq!((line(&s, 0)[0], line(&s, 0)[1], line(&s, 1)[0]), ('a', ' ', ' '));
    }

    #[test]
    fn a_short_buffer_is_not_touched() {
        let mut screen = Screen::new(SMALL).unwrap();
        let mut pixels = [0x55u8; 10];
        screen.clear(&mut pixels);
        screen.write(&mut pixels, b"hello\r\n\n\n");
        assert_eq!(pixels, [0x55; 10]);
        assert_eq!(screen.char_at(0, 0), ' ', "the grid still scrolled");
    }
}
