//! The keyboard driver's logic: scancodes (set 1, as the i8042 controller translates them)
//! in, the bytes a terminal would send out, so the console treats the keyboard exactly like
//! the serial line. Decoding, shift and control are `pc-keyboard`'s; this crate only chooses
//! the bytes: Enter is `\r`, Backspace DEL (0x7f), arrows the ANSI sequences `ESC [ A`..`D`,
//! Ctrl+letter the control character (Ctrl-C is 0x03).

#![no_std]
#![forbid(unsafe_code)]

/// The PS/2 controller: setting it up and draining its scancodes.
pub mod controller;

use pc_keyboard::layouts::Us104Key;
use pc_keyboard::{DecodedKey, HandleControl, KeyCode, PS2Keyboard, ScancodeSet1};

/// The most bytes one key produces (an arrow's escape sequence, or a UTF-8 character).
pub const MAX_KEY_BYTES: usize = 4;

pub struct Keyboard {
    decoder: PS2Keyboard<Us104Key, ScancodeSet1>,
}

impl Default for Keyboard {
    fn default() -> Self {
        Self::new()
    }
}

impl Keyboard {
    pub const fn new() -> Self {
        Keyboard {
            decoder: PS2Keyboard::new(
                ScancodeSet1::new(),
                Us104Key,
                HandleControl::MapLettersToUnicode,
            ),
        }
    }

    /// Takes one scancode byte; returns the bytes of the key it completed, if any.
    pub fn feed(&mut self, scancode: u8) -> Option<([u8; MAX_KEY_BYTES], usize)> {
        let event = self.decoder.add_byte(scancode).ok()??;
        let mut out = [0u8; MAX_KEY_BYTES];
        let len = match self.decoder.process_keyevent(event)? {
            DecodedKey::Unicode('\n') => {
                out[0] = b'\r';
                1
            }
            DecodedKey::Unicode('\u{8}') => {
                out[0] = 0x7f;
                1
            }
            DecodedKey::Unicode(c) => c.encode_utf8(&mut out).len(),
            DecodedKey::RawKey(code) => {
                let letter = match code {
                    KeyCode::ArrowUp => b'A',
                    KeyCode::ArrowDown => b'B',
                    KeyCode::ArrowRight => b'C',
                    KeyCode::ArrowLeft => b'D',
                    _ => return None,
                };
                out[..3].copy_from_slice(&[0x1b, b'[', letter]);
                3
            }
        };
        Some((out, len))
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    fn typed(scancodes: &[u8]) -> Vec<u8> {
        let mut keyboard = Keyboard::new();
        let mut out = Vec::new();
        for &code in scancodes {
            if let Some((bytes, len)) = keyboard.feed(code) {
                out.extend_from_slice(&bytes[..len]);
            }
        }
        out
    }

    // Set 1: a press is the make code, a release the make code | 0x80.
    const A: u8 = 0x1e;
    const SHIFT: u8 = 0x2a;
    const CTRL: u8 = 0x1d;
    const C: u8 = 0x2e;

    #[test]
    fn letters_shift_and_enter() {
        assert_eq!(typed(&[A, A | 0x80, SHIFT, A, A | 0x80, SHIFT | 0x80, 0x1c, 0x9c]), b"aA\r");
    }

    #[test]
    fn ctrl_c_is_the_interrupt_character() {
        assert_eq!(typed(&[CTRL, C, C | 0x80, CTRL | 0x80]), [0x03]);
    }

    #[test]
    fn backspace_and_arrows_are_what_a_terminal_sends() {
        // Backspace, then the extended (0xe0-prefixed) Up and Left arrows.
        let keys = [0x0e, 0x8e, 0xe0, 0x48, 0xe0, 0xc8, 0xe0, 0x4b, 0xe0, 0xcb];
        assert_eq!(typed(&keys), b"\x7f\x1b[A\x1b[D");
    }

    #[test]
    fn releases_and_garbage_produce_nothing() {
        assert_eq!(typed(&[A | 0x80, 0xff, 0x00]), b"");
    }
}
