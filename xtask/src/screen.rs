//! What QEMU's window shows: a `screendump` (PPM) read back into rows of text by
//! `screen-core`'s reader, which knows the grid and the glyphs the screen driver draws with.

use std::path::Path;

/// The first of `lines` the screen in the dump at `path` does not show (each must be part of
/// a row, in this order down the screen), with what it shows instead; `None` when all are
/// there.
pub fn missing_on_screen(path: &Path, lines: &[&str]) -> Option<String> {
    let rows = match read_screen(path) {
        Ok(rows) => rows,
        Err(why) => return Some(why),
    };
    let mut from = 0;
    for line in lines {
        match rows[from..].iter().position(|row| row.contains(line)) {
            Some(at) => from += at + 1,
            None => {
                let shown: Vec<&str> =
                    rows.iter().map(|row| row.trim_end()).filter(|row| !row.is_empty()).collect();
                let shows = match shown.is_empty() {
                    true => "it is blank".to_owned(),
                    false => format!("it shows:\n    {}", shown.join("\n    ")),
                };
                return Some(format!(
                    "expected the screen to show {line:?} below the rows before it; {shows}"
                ));
            }
        }
    }
    None
}

/// The rows of text in the screen dump at `path`.
pub fn read_screen(path: &Path) -> Result<Vec<String>, String> {
    let bytes =
        std::fs::read(path).map_err(|e| format!("the screen dump {}: {e}", path.display()))?;
    let (geometry, pixels) = screen_core::parse_ppm(&bytes)
        .map_err(|e| format!("the screen dump {}: {e}", path.display()))?;
    screen_core::read_text(pixels, &geometry)
        .map_err(|e| format!("the screen dump {}: {e}", path.display()))
}
