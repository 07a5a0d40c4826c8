//! The two cascaded 8259 PICs, remapped to vectors 32-47 (0-31 belong to CPU exceptions).
//!
//! Every line starts masked; a line is unmasked only when something handles it. The `pic8259`
//! crate does the initialisation and end-of-interrupt; the mask and spurious checks are here.

use ::x86_64::instructions::port::Port;
use pic8259::ChainedPics;
use spin::Mutex;

pub const FIRST_VECTOR: u8 = 32;
const CASCADE_LINE: u8 = 2;

// SAFETY: vectors 32-47 are free (exceptions end at 31) and the ports are the standard ones.
static PICS: Mutex<ChainedPics> =
    Mutex::new(unsafe { ChainedPics::new(FIRST_VECTOR, FIRST_VECTOR + 8) });

/// Remaps both PICs and masks every line but the cascade.
pub fn init() {
    let mut pics = PICS.lock();
    // SAFETY: called once at boot with interrupts disabled.
    unsafe {
        pics.initialize();
        pics.write_masks(!(1 << CASCADE_LINE), 0xff);
    }
}

pub fn unmask(line: u8) {
    update_mask(line, false);
}

pub fn mask(line: u8) {
    update_mask(line, true);
}

fn update_mask(line: u8, masked: bool) {
    let mut pics = PICS.lock();
    // SAFETY: reading and writing the mask registers only changes which lines interrupt.
    unsafe {
        let mut masks = u16::from_le_bytes(pics.read_masks());
        if masked {
            masks |= 1 << line
        } else {
            masks &= !(1 << line)
        }
        let [primary, secondary] = masks.to_le_bytes();
        pics.write_masks(primary, secondary);
    }
}

pub fn end_of_interrupt(line: u8) {
    // SAFETY: `line` is the line being serviced, so acknowledging it is what the PIC expects.
    unsafe { PICS.lock().notify_end_of_interrupt(FIRST_VECTOR + line) };
}

/// Lines 7 and 15 fire spuriously when a request vanishes before the CPU acknowledges it; the
/// in-service register then has no bit set. A spurious line 15 still needs an end-of-interrupt
/// for the cascade line on the primary PIC, which this sends.
pub fn is_spurious(line: u8) -> bool {
    const READ_ISR: u8 = 0x0b;
    let (command, bit) = match line {
        7 => (0x20, 7),
        15 => (0xa0, 7),
        _ => return false,
    };
    let mut port = Port::<u8>::new(command);
    // SAFETY: OCW3 "read ISR" then a read of the same port has no other effect.
    let in_service = unsafe {
        port.write(READ_ISR);
        port.read()
    };
    let spurious = in_service & (1 << bit) == 0;
    if spurious && line == 15 {
        // SAFETY: the primary PIC did deliver the cascade line and is waiting for its EOI.
        unsafe { Port::<u8>::new(0x20).write(0x20) };
    }
    spurious
}
