//! The protocols of the system's servers, shared by each server and its clients.
//!
//! Every request is a `call` with an operation code below, up to four payload words and up to
//! four leases; every reply's payload word 0 is a status (`OK` or an error below) and word 1 a
//! count where one makes sense. A request a server does not understand gets `BAD_REQUEST`.

#![no_std]
#![forbid(unsafe_code)]

/// Reply status codes (payload word 0 of every reply).
pub mod status {
    pub const OK: u64 = 0;
    /// Unknown operation, or a lease missing or of the wrong access.
    pub const BAD_REQUEST: u64 = 1;
    /// Another client is already waiting for what this request asks for.
    pub const BUSY: u64 = 2;
    /// No more input: the user pressed Ctrl-D on an empty line.
    pub const END_OF_INPUT: u64 = 3;
}

/// The serial port driver (`servers/serial`): bytes in and out of COM1.
pub mod serial {
    /// Transmit the bytes of lease 0 (readable). Reply: status, bytes sent.
    pub const WRITE: u32 = 1;
    /// Copy received bytes into lease 0 (writable), without waiting. Reply: status, bytes.
    pub const READ: u32 = 2;
    /// Notification bit the driver raises on its listener (the console) when input arrives.
    pub const INPUT_READY_BIT: u64 = 1 << 16;
    /// The interrupt line and ports of COM1.
    pub const IRQ: u8 = 4;
    pub const BASE_PORT: u16 = 0x3f8;
}

/// The console (`servers/console`): the terminal, with a line discipline, for many clients.
pub mod console {
    /// Write the text of lease 0 (readable); `\n` becomes `\r\n`. Reply: status, bytes.
    pub const WRITE: u32 = 1;
    /// Wait for one edited line and copy it into lease 0 (writable), without its newline.
    /// Reply: status (`OK`, `END_OF_INPUT`, `BUSY`), bytes.
    pub const READ_LINE: u32 = 2;
    /// Notification bit sent to the client waiting in `READ_LINE` when the user types Ctrl-C.
    pub const INTERRUPT_BIT: u64 = 1 << 17;
}
