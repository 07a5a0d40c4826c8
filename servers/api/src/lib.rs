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
    /// Never sent by a server: the client helpers report it when the server died during the
    /// request and the request was not safe to repeat (or died again when repeated).
    pub const RESTARTED: u64 = 4;
    /// The file server's errors.
    pub const NOT_FOUND: u64 = 5;
    pub const EXISTS: u64 = 6;
    pub const NOT_A_DIRECTORY: u64 = 7;
    pub const IS_A_DIRECTORY: u64 = 8;
    /// Not an 8.3 name (at most 8 characters, a dot, at most 3), or an empty path.
    pub const BAD_NAME: u64 = 9;
    pub const NO_SPACE: u64 = 10;
    pub const NOT_EMPTY: u64 = 11;
    pub const UNSUPPORTED: u64 = 12;
    /// The disk (or its driver) failed the transfer.
    pub const DEVICE_ERROR: u64 = 13;
    /// The file system's structures do not make sense.
    pub const CORRUPT: u64 = 14;
    /// Beyond the largest file, or a request the server cannot hold (too many sectors).
    pub const TOO_LARGE: u64 = 15;
    /// The kernel refused the request: the manifest does not let this task talk to the server.
    pub const DENIED: u64 = 16;
    /// Never sent by a server: no task of that name is running (and none was restarted).
    pub const UNAVAILABLE: u64 = 17;
    /// The file is not a program the kernel can load (not an ELF executable for Moat).
    pub const NOT_A_PROGRAM: u64 = 18;

    /// What a status means, for error messages ("cat: no such file").
    pub fn describe(status: u64) -> &'static str {
        match status {
            OK => "ok",
            BAD_REQUEST => "bad request",
            BUSY => "busy",
            END_OF_INPUT => "end of input",
            RESTARTED => "server restarted",
            NOT_FOUND => "no such file or directory",
            EXISTS => "already exists",
            NOT_A_DIRECTORY => "not a directory",
            IS_A_DIRECTORY => "is a directory",
            BAD_NAME => "bad name (names are 8.3: NAME.EXT)",
            NO_SPACE => "no space left on the disk",
            NOT_EMPTY => "directory not empty",
            UNSUPPORTED => "not supported",
            DEVICE_ERROR => "disk error",
            CORRUPT => "file system corrupt",
            TOO_LARGE => "too large",
            DENIED => "permission denied",
            UNAVAILABLE => "server not running",
            NOT_A_PROGRAM => "not a program",
            _ => "unknown error",
        }
    }
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

/// The PS/2 keyboard driver (`servers/keyboard`): keys, as the bytes a terminal would send.
/// It answers `serial::READ` like the serial driver, so the console reads both alike.
pub mod keyboard {
    /// Notification bit the driver raises on the console when keys arrive.
    pub const INPUT_READY_BIT: u64 = 1 << 18;
    pub const IRQ: u8 = 1;
    pub const DATA_PORT: u16 = 0x60;
    /// Status when read, controller command when written.
    pub const STATUS_PORT: u16 = 0x64;
}

/// The supervisor (`servers/supervisor`): starts programs, answers questions about servers.
pub mod supervisor {
    /// Start the program whose ELF image is lease 0 (readable), with the argument in lease 1
    /// (readable, may be empty), named by words 0 and 1 (16 bytes, NUL-padded). The client
    /// reads the image from the file server: the supervisor never waits on a server it may
    /// have to restart. Reply: status, the new task's id (raw).
    pub const SPAWN: u32 = 1;
    /// Programs are spawned from this manifest template.
    pub const TEMPLATE: &str = "program";
    /// The largest program file it loads.
    pub const MAX_PROGRAM: usize = 256 * 1024;
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

/// The block driver (`servers/block`): whole 512-byte sectors of the data disk.
pub mod block {
    /// Read sectors starting at word 0 into lease 0 (writable, a whole number of sectors, at
    /// most `MAX_SECTORS`). Reply: status, sectors read.
    pub const READ: u32 = 1;
    /// Write the sectors of lease 0 (readable) starting at sector word 0. Reply: status, sectors.
    pub const WRITE: u32 = 2;
    /// Reply: status, number of sectors on the disk.
    pub const INFO: u32 = 3;
    pub const SECTOR_SIZE: usize = 512;
    pub const MAX_SECTORS: usize = 8;
    /// The primary ATA channel (the data disk is its second drive; the boot disk the first).
    pub const IRQ: u8 = 14;
}

/// The file server (`servers/fs`): FAT on the data disk, by path. Every request names its
/// file, so the server keeps no per-client state and a restart loses nothing: `open`, `seek`
/// and `close` live in the client (`ulib::fs`). Paths are `/`-separated 8.3 names, taken
/// from the root; lease 0 always holds the path (readable, at most `MAX_PATH` bytes).
pub mod fs {
    /// Reply: status, size in bytes, `IS_DIRECTORY` if it is one.
    pub const STAT: u32 = 1;
    /// Read from byte offset word 0 into lease 1 (writable). Reply: status, bytes read (0 at
    /// the end of the file).
    pub const READ: u32 = 2;
    /// Write lease 1 (readable) at byte offset word 0; word 1 holds `CREATE` and `TRUNCATE`
    /// flags. An offset past the end is refused. Reply: status, bytes written.
    pub const WRITE: u32 = 3;
    /// Fill lease 1 (writable) with `Entry` records of the directory, skipping the first
    /// word-0 entries. Reply: status, records written, 1 if more remain.
    pub const LIST: u32 = 4;
    pub const MAKE_DIRECTORY: u32 = 5;
    /// Remove a file or an empty directory.
    pub const REMOVE: u32 = 6;
    /// Rename (move) the file at lease 0 to the path in lease 1 (readable).
    pub const RENAME: u32 = 7;

    pub const CREATE: u64 = 1;
    pub const TRUNCATE: u64 = 2;
    pub const IS_DIRECTORY: u64 = 1;
    pub const MAX_PATH: usize = 128;

    /// One directory entry as `LIST` writes it: `ENTRY_SIZE` bytes.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Entry {
        /// "NAME.EXT", padded with zero bytes.
        pub name: [u8; 12],
        pub size: u32,
        pub is_directory: bool,
    }

    pub const ENTRY_SIZE: usize = 20;

    impl Entry {
        pub fn name(&self) -> &str {
            let len = self.name.iter().position(|&b| b == 0).unwrap_or(self.name.len());
            core::str::from_utf8(&self.name[..len]).unwrap_or("?")
        }

        pub fn to_bytes(&self) -> [u8; ENTRY_SIZE] {
            let mut bytes = [0; ENTRY_SIZE];
            bytes[..12].copy_from_slice(&self.name);
            bytes[12..16].copy_from_slice(&self.size.to_le_bytes());
            bytes[16] = u8::from(self.is_directory);
            bytes
        }

        pub fn from_bytes(bytes: &[u8; ENTRY_SIZE]) -> Self {
            let mut name = [0; 12];
            name.copy_from_slice(&bytes[..12]);
            let size = u32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]);
            Entry { name, size, is_directory: bytes[16] != 0 }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fs::Entry;

    #[test]
    fn directory_entries_survive_the_trip_through_bytes() {
        let mut name = [0; 12];
        name[..9].copy_from_slice(b"HELLO.TXT");
        let entry = Entry { name, size: 70000, is_directory: false };
        let back = Entry::from_bytes(&entry.to_bytes());
        assert_eq!(back, entry);
        assert_eq!(back.name(), "HELLO.TXT");
    }

    #[test]
    fn every_status_has_words() {
        for code in 0..=18 {
            assert_ne!(super::status::describe(code), "unknown error", "status {code}");
        }
        assert_eq!(super::status::describe(99), "unknown error");
    }
}
