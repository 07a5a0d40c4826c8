//! Host tests of the whole path: bytes into a `Screen`, pixels, and `read_text` back out.
//!
//! Reading the pixels (not the `Screen`'s own grid) checks what a person would see, in the
//! same way the QEMU tests read a `screendump`.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use crate::cells::{CELL_HEIGHT, CELL_WIDTH, CURSOR_ROWS};
use crate::geometry::{Geometry, PixelFormat};
use crate::pixel::{FOREGROUND, decode};
use crate::{Screen, parse_ppm, read_text};

/// 20 columns by 5 rows, with a strip of pixels beside and below the grid, and row padding.
const PADDED_BGR: Geometry = Geometry {
    width: 20 * CELL_WIDTH + 4,
    height: 5 * CELL_HEIGHT + 7,
    stride: 20 * CELL_WIDTH + 10,
    bytes_per_pixel: 4,
    format: PixelFormat::Bgr,
};

struct Terminal {
    screen: Screen,
    pixels: Vec<u8>,
}

impl Terminal {
    fn new(geometry: Geometry) -> Self {
        let mut pixels = vec![0xaa; geometry.len_bytes().unwrap()];
        let mut screen = Screen::new(geometry).unwrap();
        screen.clear(&mut pixels);
        Terminal { screen, pixels }
    }

    fn write(&mut self, bytes: &[u8]) -> &mut Self {
        self.screen.write(&mut self.pixels, bytes);
        self
    }

    fn text(&self) -> Vec<String> {
        read_text(&self.pixels, self.screen.geometry()).unwrap()
    }

    /// Whether cell (col, row)'s bottom rows are the solid underline.
    fn underlined(&self, col: usize, row: usize) -> bool {
        let g = self.screen.geometry();
        (CELL_HEIGHT - CURSOR_ROWS..CELL_HEIGHT).all(|dy| {
            (0..CELL_WIDTH).all(|dx| {
                let at = g.offset(col * CELL_WIDTH + dx, row * CELL_HEIGHT + dy);
                decode(g.format, &self.pixels[at..at + g.bytes_per_pixel]) == FOREGROUND
            })
        })
    }
}

fn lines(text: &[&str]) -> Vec<String> {
    text.iter().map(|line| String::from(*line)).collect()
}

/// The picture as QEMU's `screendump` would write it: a P6 PPM, 3-byte RGB, no padding.
fn screendump(pixels: &[u8], g: &Geometry) -> Vec<u8> {
    let mut ppm = alloc::format!("P6\n# screendump\n{} {}\n255\n", g.width, g.height).into_bytes();
    for y in 0..g.height {
        for x in 0..g.width {
            let at = g.offset(x, y);
            let colour = decode(g.format, &pixels[at..at + g.bytes_per_pixel]);
            ppm.extend_from_slice(&[colour.r, colour.g, colour.b]);
        }
    }
    ppm
}

#[test]
fn text_reads_back_in_every_format() {
    let message = b"Moat $ echo {~!@#}\r\n[0-9] a_b|c\\d'e\"f`";
    let want = lines(&["Moat $ echo {~!@#}", "[0-9] a_b|c\\d'e\"f`", "", "", ""]);
    for (format, bytes_per_pixel) in
        [(PixelFormat::Bgr, 4), (PixelFormat::Rgb, 3), (PixelFormat::Grey, 1)]
    {
        let geometry = Geometry { format, bytes_per_pixel, ..PADDED_BGR };
        let mut terminal = Terminal::new(geometry);
        terminal.write(message);
        assert_eq!(terminal.text(), want, "{format:?}");
    }
}

#[test]
fn a_bgr_framebuffer_reads_back_from_its_rgb_screendump() {
    let mut terminal = Terminal::new(PADDED_BGR);
    terminal.write(b"hello, world\r\n> _");
    let ppm = screendump(&terminal.pixels, &PADDED_BGR);
    let (geometry, pixels) = parse_ppm(&ppm).unwrap();
    assert_eq!((geometry.format, geometry.bytes_per_pixel), (PixelFormat::Rgb, 3));
    // The cursor sits after the `_`, on a blank cell.
    assert_eq!(read_text(pixels, &geometry).unwrap(), lines(&["hello, world", "> _", "", "", ""]));
}

#[test]
fn a_long_line_wraps_at_the_last_column() {
    let mut terminal = Terminal::new(PADDED_BGR);
    terminal.write(b"abcdefghijklmnopqrstUVW");
    assert_eq!(terminal.text()[..2], lines(&["abcdefghijklmnopqrst", "UVW"]));
    terminal.write(b"\r\n\x1b[2J\x1b[Habcdefghijklmnopqrst\r\nnext");
    assert_eq!(terminal.text()[..2], lines(&["abcdefghijklmnopqrst", "next"]), "deferred wrap");
}

#[test]
fn scrolling_keeps_the_last_rows_in_order() {
    let mut terminal = Terminal::new(PADDED_BGR);
    let rows = terminal.screen.rows();
    for n in 0..rows + 3 {
        terminal.write(alloc::format!("line {n}\r\n").as_bytes());
    }
    let want: Vec<String> =
        (4..rows + 3).map(|n| alloc::format!("line {n}")).chain([String::new()]).collect();
    assert_eq!(terminal.text(), want);
    // The strip below the grid stays black.
    let g = PADDED_BGR;
    let below = g.offset(0, rows * CELL_HEIGHT);
    assert!(terminal.pixels[below..].iter().all(|&b| b == 0));
}

#[test]
fn backspace_space_backspace_erases() {
    let mut terminal = Terminal::new(PADDED_BGR);
    terminal.write(b"$ lsx\x08 \x08");
    assert_eq!(terminal.text()[0], "$ ls");
    assert_eq!(terminal.screen.cursor(), (4, 0));
    terminal.write(b"\x08\x08\x08\x08\x08\x08!");
    assert_eq!(terminal.text()[0], "! ls", "backspace stops at column 0 and does not erase");
}

#[test]
fn clear_screen_and_home() {
    let mut terminal = Terminal::new(PADDED_BGR);
    terminal.write(b"one\r\ntwo\r\nthree");
    terminal.write(b"\x1b[2J");
    assert_eq!(terminal.screen.cursor(), (5, 2), "2J leaves the cursor where it was");
    terminal.write(b"\x1b[Hx");
    assert_eq!(terminal.text(), lines(&["x", "", "", "", ""]));
}

#[test]
fn erase_to_end_of_line() {
    let mut terminal = Terminal::new(PADDED_BGR);
    terminal.write(b"keep this\r\nkeep that\x1b[1;5H\x1b[K");
    assert_eq!(terminal.text()[..2], lines(&["keep", "keep that"]));
    terminal.write(b"\x1b[2;3H\x1b[0K");
    assert_eq!(terminal.text()[..2], lines(&["keep", "ke"]));
}

#[test]
fn an_escape_sequence_split_across_writes() {
    let mut terminal = Terminal::new(PADDED_BGR);
    terminal.write(b"abcdef\x1b").write(b"[1;").write(b"3H\x1b[").write(b"K");
    assert_eq!(terminal.text()[0], "ab");
    terminal.write(b"\x1b").write(b"O").write(b"Pz");
    assert_eq!(terminal.text()[0], "abz");
}

#[test]
fn arrow_and_function_keys_do_not_print() {
    let mut terminal = Terminal::new(PADDED_BGR);
    terminal.write(b"a\x1b[A\x1b[B\x1b[C\x1b[Db\x1bOP\x1b[15~\x1b[?25l\x1bxc\x07\x7f");
    assert_eq!(terminal.text()[..2], lines(&["a", " bc"]), "the moves move, nothing else is drawn");
}

#[test]
fn utf8_draws_one_question_mark_per_char() {
    let mut terminal = Terminal::new(PADDED_BGR);
    terminal.write("café ñ € 😀!".as_bytes());
    assert_eq!(terminal.text()[0], "caf? ? ? ?!");
}

#[test]
fn the_underline_is_at_the_cursor_only() {
    let mut terminal = Terminal::new(PADDED_BGR);
    let (columns, rows) = (terminal.screen.columns(), terminal.screen.rows());
    let underlined = |terminal: &Terminal| {
        let cells = (0..rows).flat_map(|row| (0..columns).map(move |col| (col, row)));
        cells.filter(|&(col, row)| terminal.underlined(col, row)).collect::<Vec<_>>()
    };
    assert_eq!(underlined(&terminal), [(0, 0)], "after clear");
    terminal.write(b"abc\r\nde");
    assert_eq!(underlined(&terminal), [(2, 1)]);
    terminal.write(b"\x1b[1;2H");
    assert_eq!(underlined(&terminal), [(1, 0)]);
    assert_eq!(terminal.text()[..2], lines(&["abc", "de"]), "the cursor cell still reads as 'b'");
}

#[test]
fn bad_geometries_are_refused() {
    let bad = [
        Geometry { width: 0, ..PADDED_BGR },
        Geometry { stride: 1, ..PADDED_BGR },
        Geometry { bytes_per_pixel: 2, ..PADDED_BGR },
        Geometry { width: CELL_WIDTH - 1, ..PADDED_BGR },
        Geometry { height: CELL_HEIGHT - 1, ..PADDED_BGR },
    ];
    for geometry in bad {
        assert!(Screen::new(geometry).is_err(), "{geometry:?}");
    }
    let short = vec![0; PADDED_BGR.len_bytes().unwrap() - 1];
    assert!(read_text(&short, &PADDED_BGR).is_err());
}

/// A tiny xorshift, so the test needs no `rand`.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn random_bytes_never_panic_and_stay_readable() {
    // Weighted toward bytes that steer the parser: ESC, '[', 'O', digits, ';', controls.
    const INTERESTING: &[u8] =
        b"\x1b\x1b\x1b[[O0123456789;;?ABCDHJKf\r\n\x08\t\x07\x7f\xc3\xa9\x80";
    let odd = Geometry {
        width: 100,
        height: 50,
        stride: 103,
        bytes_per_pixel: 4,
        format: PixelFormat::Bgr,
    };
    let grey = Geometry { bytes_per_pixel: 1, format: PixelFormat::Grey, ..odd };
    for geometry in [odd, grey] {
        let mut random = XorShift(0x9e37_79b9_7f4a_7c15);
        let mut terminal = Terminal::new(geometry);
        for _ in 0..400 {
            let len = (random.next() % 24) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|_| match random.next() % 3 {
                    0 => INTERESTING[(random.next() % INTERESTING.len() as u64) as usize],
                    _ => random.next() as u8,
                })
                .collect();
            terminal.write(&bytes);
        }
        let text = terminal.text();
        assert_eq!(text.len(), terminal.screen.rows());
        for line in &text {
            assert!(line.chars().count() <= terminal.screen.columns());
            assert!(!line.contains(crate::UNKNOWN), "every cell is a whole glyph: {text:?}");
        }
        // Right of the grid (x from 99) and the row padding were never drawn on.
        for y in 0..geometry.height {
            let from = geometry.offset(terminal.screen.columns() * CELL_WIDTH, y);
            let to = geometry.offset(0, y + 1);
            assert!(terminal.pixels[from..to].iter().all(|&b| b == 0), "row {y}");
        }
    }
}
