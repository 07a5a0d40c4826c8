//! Whether a browser draws the diagram: a real headless browser (Chromium, installed with
//! apt-get where it is missing and that works) loads the SVG file, its DOM must hold the
//! document with no parse error, and its screenshot must show the call arrows' colour.

use crate::util::{Failure, install_packages};
use std::path::Path;
use std::process::Command;

const BROWSERS: [&str; 3] = ["chromium", "chromium-browser", "google-chrome"];
/// The colour calls are drawn in (`diagram::style`), as the screenshot must show it.
const CALL_COLOUR: [u8; 3] = [0x1f, 0x5f, 0xbf];
/// The tallest screenshot taken; a long trace is checked on its first rows.
const MAX_HEIGHT: u32 = 4000;

/// Renders `svg` and says what was seen, or why it does not render.
pub fn check(svg: &Path) -> Result<String, Failure> {
    let browser = find_or_install()?;
    let url = format!(
        "file://{}",
        svg.canonicalize().map_err(|e| Failure::new(format!("{}: {e}", svg.display())))?.display()
    );
    let dom = run(&browser, &["--dump-dom", &url])?;
    if dom.contains("parsererror") || !dom.contains("<svg") {
        return Err(Failure::new(format!("{browser} could not parse {}: {dom}", svg.display())));
    }
    let (width, height) = size_of(&dom)?;
    let shot = svg.with_extension("png");
    let size = format!("--window-size={width},{}", height.min(MAX_HEIGHT));
    let screenshot = format!("--screenshot={}", shot.display());
    run(&browser, &["--hide-scrollbars", &size, &screenshot, &url])?;
    let (pixels, calls) = count_pixels(&shot)?;
    if calls == 0 {
        return Err(Failure::new(format!(
            "{browser} drew {} without a single call arrow (screenshot: {})",
            svg.display(),
            shot.display()
        )));
    }
    Ok(format!(
        "{browser} rendered it: {pixels} pixels drawn, {calls} of them in the calls' colour (screenshot: {})",
        shot.display()
    ))
}

fn find_or_install() -> Result<String, Failure> {
    let found = || {
        BROWSERS
            .iter()
            .find(|b| Command::new(b).arg("--version").output().is_ok())
            .map(|b| b.to_string())
    };
    if let Some(browser) = found() {
        return Ok(browser);
    }
    install_packages(
        &["chromium"],
        "Fedora: sudo dnf install chromium; macOS: brew install --cask chromium",
    )?;
    found().ok_or_else(|| Failure::new("chromium is installed but does not start"))
}

/// Runs the browser headless on `args`; its standard output.
fn run(browser: &str, args: &[&str]) -> Result<String, Failure> {
    let output = Command::new(browser)
        .args(["--headless", "--no-sandbox", "--disable-gpu"])
        .args(args)
        .output()
        .map_err(|e| Failure::new(format!("starting {browser}: {e}")))?;
    if !output.status.success() {
        return Err(Failure::new(format!(
            "{browser} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).lines().last().unwrap_or("")
        )));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The `width` and `height` of the document's `<svg>` element.
fn size_of(dom: &str) -> Result<(u32, u32), Failure> {
    let number = |name: &str| {
        let at = dom.find(&format!(" {name}=\""))? + name.len() + 3;
        dom[at..].split('"').next()?.parse().ok()
    };
    match (number("width"), number("height")) {
        (Some(width), Some(height)) => Ok((width, height)),
        _ => Err(Failure::new("the rendered document has no width and height")),
    }
}

/// Pixels that are not white, and those near the calls' colour, in the PNG at `path`.
fn count_pixels(path: &Path) -> Result<(usize, usize), Failure> {
    let fail = |e: &dyn std::fmt::Display| Failure::new(format!("{}: {e}", path.display()));
    let file = std::fs::File::open(path).map_err(|e| fail(&e))?;
    let mut decoder = png::Decoder::new(std::io::BufReader::new(file));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().map_err(|e| fail(&e))?;
    let mut buffer = vec![0; reader.output_buffer_size()];
    let frame = reader.next_frame(&mut buffer).map_err(|e| fail(&e))?;
    let channels = frame.color_type.samples();
    let pixels = buffer[..frame.buffer_size()].chunks(channels).map(|p| [p[0], p[1], p[2]]);
    let near = |a: [u8; 3], b: [u8; 3]| a.iter().zip(b).all(|(x, y)| x.abs_diff(y) < 24);
    let (mut drawn, mut calls) = (0, 0);
    for pixel in pixels {
        drawn += usize::from(pixel != [255, 255, 255]);
        calls += usize::from(near(pixel, CALL_COLOUR));
    }
    Ok((drawn, calls))
}
