//! The i8042 PS/2 controller: the two ports the keyboard driver talks to, reached however the
//! driver runs (`ulib::ports` in ring 3, `in`/`out` in the monolithic kernel).

/// The controller's data port (scancodes) and status/command port.
pub const DATA_PORT: u16 = 0x60;
pub const STATUS_PORT: u16 = 0x64;

const OUTPUT_FULL: u8 = 1 << 0;
const READ_CONFIG: u8 = 0x20;
const WRITE_CONFIG: u8 = 0x60;
/// Configuration bits: interrupt on a key (port 1), and translate to scancode set 1.
const PORT1_INTERRUPT: u8 = 1 << 0;
const TRANSLATE: u8 = 1 << 6;

/// Byte-wide access to the controller's ports.
pub trait Ports {
    fn read(&mut self, port: u16) -> u8;
    fn write(&mut self, port: u16, value: u8);
}

/// Hands every byte the controller holds to `each` (bounded: a missing controller reads as
/// all ones, which would otherwise look like endless input).
pub fn drain(ports: &mut impl Ports, mut each: impl FnMut(u8)) {
    // LAB 4 BEGIN: while the status port says the output buffer is full, read a byte from the data port and hand it on (at most 64)
    for _ in 0..64 {
        if ports.read(STATUS_PORT) & OUTPUT_FULL == 0 {
            return;
        }
        each(ports.read(DATA_PORT));
    }
    // LAB 4 STUB
    // let _ = (ports, &mut each, OUTPUT_FULL);
    // LAB 4 END
}

/// The firmware leaves the controller set up; make sure keys interrupt and arrive as set 1.
/// What the controller holds goes to `held` first (keys typed before the driver ran).
pub fn configure(ports: &mut impl Ports, held: impl FnMut(u8)) {
    drain(ports, held);
    ports.write(STATUS_PORT, READ_CONFIG);
    let config = ports.read(DATA_PORT);
    ports.write(STATUS_PORT, WRITE_CONFIG);
    ports.write(DATA_PORT, config | PORT1_INTERRUPT | TRANSLATE);
}
