//! The 8254 programmable interval timer, channel 0: a periodic interrupt on PIC line 0.

use ::x86_64::instructions::port::Port;

pub const IRQ_LINE: u8 = 0;

/// The PIT's input clock.
const INPUT_HZ: u32 = 1_193_182;
const CHANNEL0_DATA: u16 = 0x40;
const COMMAND: u16 = 0x43;
/// Channel 0, low byte then high byte, mode 2 (rate generator), binary.
const CHANNEL0_RATE_GENERATOR: u8 = 0b00_11_010_0;

/// Interrupts `hz` times per second (from about 19 Hz up).
pub fn start_periodic(hz: u32) {
    let divisor = (INPUT_HZ / hz).clamp(1, u16::MAX as u32) as u16;
    let [low, high] = divisor.to_le_bytes();
    // SAFETY: the standard PIT ports; reprogramming channel 0 only changes the tick rate.
    unsafe {
        Port::<u8>::new(COMMAND).write(CHANNEL0_RATE_GENERATOR);
        let mut data = Port::<u8>::new(CHANNEL0_DATA);
        data.write(low);
        data.write(high);
    }
}
