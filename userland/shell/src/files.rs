//! The shell's file commands: every one is a few requests to the file server.

use crate::{Console, Input};
use service_api::status::describe;
use ulib::Line;
use ulib::fs::{File, Files};

/// `ls [DIR]`: names, with `/` after directories, and sizes.
pub fn ls(console: &mut Console, files: &Files, path: &str) {
    let mut count = 0;
    let result = files.list(path, |entry| {
        count += 1;
        if entry.is_directory {
            say!(console, "{:<13}       -\n", Line::format(format_args!("{}/", entry.name())));
        } else {
            say!(console, "{:<13} {:>7}\n", entry.name(), entry.size);
        }
    });
    match result {
        Ok(()) if count == 0 => console.write("(empty)\n"),
        Ok(()) => {}
        Err(error) => say!(console, "ls {path}: {}\n", describe(error)),
    }
}

/// Opens `path` and hands `each` its bytes in `buffer`-sized pieces; returns the size.
fn read_through(
    files: &Files,
    path: &str,
    buffer: &mut [u8],
    mut each: impl FnMut(&[u8]),
) -> Result<u64, u64> {
    let mut file = File::open(files, path, false)?;
    let mut size = 0;
    loop {
        match file.read(buffer)? {
            0 => return Ok(size),
            n => {
                each(&buffer[..n]);
                size += n as u64;
            }
        }
    }
}

/// `cat FILE`: the file's text.
pub fn cat(console: &mut Console, files: &Files, path: &str) {
    // Small enough that its text (with `?` for bad bytes) fits one `Line`.
    let mut buffer = [0u8; 192];
    let result = read_through(files, path, &mut buffer, |bytes| {
        console.write(Line::format(format_args!("{}", Text(bytes))).as_str())
    });
    if let Err(error) = result {
        say!(console, "cat {path}: {}\n", describe(error));
    }
}

/// `sum FILE`: size and FNV-1a checksum, to compare with what a host tool computes.
pub fn sum(console: &mut Console, files: &Files, path: &str) {
    let mut hash = FNV_OFFSET;
    match read_through(files, path, &mut [0u8; 512], |bytes| hash = fnv1a(hash, bytes)) {
        Ok(size) => say!(console, "{path}: {size} bytes, fnv1a {hash:016x}\n"),
        Err(error) => say!(console, "sum {path}: {}\n", describe(error)),
    }
}

/// `echo WORDS > FILE` and `echo WORDS >> FILE`.
pub fn echo_into(console: &mut Console, files: &Files, text: &str, path: &str, append: bool) {
    let line = Line::format(format_args!("{text}\n"));
    let bytes = line.as_str().as_bytes();
    let result = if append { files.append(path, bytes) } else { files.replace(path, bytes) };
    if let Err(error) = result {
        say!(console, "echo > {path}: {}\n", describe(error));
    }
}

/// `write FILE`: lines typed at the console, until a line holding only `.`, become the file.
pub fn write(console: &mut Console, files: &Files, path: &str) {
    let opened = files.replace(path, b"").and_then(|()| File::open(files, path, false));
    let mut file = match opened {
        Ok(file) => file,
        Err(error) => return say!(console, "write {path}: {}\n", describe(error)),
    };
    console.write("type the lines; end with a line holding only `.`\n");
    let mut buffer = [0u8; 200];
    loop {
        let line = match console.read_line(&mut buffer) {
            Input::Line(".") | Input::End => return,
            Input::Line(line) => line,
            Input::Interrupted => {
                return say!(console, "write {path}: stopped; the lines before it are kept\n");
            }
        };
        let written = file.write(line.as_bytes()).and_then(|()| file.write(b"\n"));
        if let Err(error) = written {
            return say!(console, "write {path}: {}\n", describe(error));
        }
    }
}

/// `stress N`: writes N files of different sizes and contents, reads each back and compares,
/// then removes them. Meant to run while faults are injected into the servers underneath.
pub fn stress(console: &mut Console, files: &Files, rounds: u64) {
    let mut data = [0u8; 1500];
    let mut back = [0u8; 1500];
    for round in 0..rounds {
        let name = Line::format(format_args!("/STRESS{}.BIN", round % 10));
        let path = name.as_str();
        let length = 100 + (round as usize * 397) % 1400;
        for (i, byte) in data[..length].iter_mut().enumerate() {
            *byte = (i as u64 * 31 + round * 7) as u8;
        }
        let expected = fnv1a(FNV_OFFSET, &data[..length]);
        if let Err(error) = files.replace(path, &data[..length]) {
            return say!(console, "stress: writing {path}: {}\n", describe(error));
        }
        let got = match files.read_at(path, 0, &mut back) {
            Ok(n) => fnv1a(FNV_OFFSET, &back[..n]),
            Err(error) => return say!(console, "stress: reading {path}: {}\n", describe(error)),
        };
        if got != expected {
            return say!(
                console,
                "stress: {path} read back wrong: {got:016x} != {expected:016x}\n"
            );
        }
    }
    for round in 0..rounds.min(10) {
        let _ = files.remove(Line::format(format_args!("/STRESS{round}.BIN")).as_str());
    }
    say!(console, "stress: {rounds} files written and read back, checksums match\n");
}

pub fn simple(console: &mut Console, command: &str, result: Result<(), u64>, path: &str) {
    if let Err(error) = result {
        say!(console, "{command} {path}: {}\n", describe(error));
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

fn fnv1a(mut hash: u64, bytes: &[u8]) -> u64 {
    for &byte in bytes {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// Bytes shown as text: valid UTF-8 as it is, anything else as `?`.
struct Text<'a>(&'a [u8]);

impl core::fmt::Display for Text<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        for chunk in self.0.utf8_chunks() {
            f.write_str(chunk.valid())?;
            if !chunk.invalid().is_empty() {
                f.write_str("?")?;
            }
        }
        Ok(())
    }
}
