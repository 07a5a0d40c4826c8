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
    /// The kernel has no room for another program: its memory or its task table is full.
    pub const NO_ROOM: u64 = 19;
    /// The console's answer to a `READ_LINE` cut short by Ctrl-C.
    pub const INTERRUPTED: u64 = 20;
    /// Never sent by a server: it did not answer within the client's patience (the request
    /// may or may not have taken effect).
    pub const TIMED_OUT: u64 = 21;
    /// Never sent by a server: its answer came back damaged (`leases::intact` failed) and the
    /// request was not safe to repeat, or came back damaged again when repeated.
    pub const DAMAGED_REPLY: u64 = 22;

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
            NO_ROOM => "no room for another program (memory or task table full)",
            INTERRUPTED => "interrupted (Ctrl-C)",
            TIMED_OUT => "the server did not answer in time",
            DAMAGED_REPLY => "the server's answer came back damaged",
            _ => "unknown error",
        }
    }
}

/// What request-handling code needs from wherever it runs: the leases of the request being
/// served. The ring-3 servers reach them through lease system calls (`ulib::leases`); the
/// monolithic kernel copies straight from the caller's memory. So one handler, in a service's
/// `-core` library, serves both flavours.
pub mod leases {
    /// The leases of the request being served.
    pub trait Leases {
        /// The length of lease `index` if it lets the server write it (`write`) or read it.
        fn length(&self, index: usize, write: bool) -> Option<u64>;
        /// Copies `into.len()` bytes of lease `index` from `offset`; false if they are not all there.
        fn read(&self, index: usize, offset: u64, into: &mut [u8]) -> bool;
        /// Copies `bytes` into lease `index` at `offset`; false if they do not all fit.
        fn write(&self, index: usize, offset: u64, bytes: &[u8]) -> bool;

        /// Reads the first `length` bytes of lease `index`, a `piece.len()` at a time, handing
        /// each piece to `each`; false at the first piece that cannot be read.
        fn read_all(
            &self,
            index: usize,
            length: u64,
            piece: &mut [u8],
            mut each: impl FnMut(&[u8]),
        ) -> bool
        where
            Self: Sized,
        {
            let mut done = 0;
            while done < length {
                let size = (length - done).min(piece.len() as u64) as usize;
                let step = &mut piece[..size];
                if !self.read(index, done, step) {
                    return false;
                }
                each(step);
                done += step.len() as u64;
            }
            true
        }
    }

    /// A handler's answer: payload words 1 and 2 of an `OK` reply, or an error status.
    pub type Reply = Result<[u64; 2], u64>;

    /// The reply's four payload words: status, the two words of an `OK` answer, and their
    /// seal.
    pub fn words(reply: Reply) -> [u64; 4] {
        let [status, count, extra] = match reply {
            Ok([count, extra]) => [super::status::OK, count, extra],
            Err(status) => [status, 0, 0],
        };
        [status, count, extra, seal([status, count, extra])]
    }

    /// A check of a reply's first three words, sent as its fourth, so that a client can tell
    /// an answer damaged after the server made it (in its registers on the way out: the
    /// fault campaign's `badreply`) from a true one: any one flipped bit, in the words or in
    /// the seal, fails `intact`. A wrong answer the server itself computed is sealed like a
    /// right one; this guards the way, not the server.
    pub fn seal(words: [u64; 3]) -> u64 {
        // Not zero, so an unsealed reply of zeros does not pass for a sealed one.
        const START: u64 = 0x5ea1_ed00_c0de_5ea1;
        START ^ words[0] ^ words[1].rotate_left(21) ^ words[2].rotate_left(42)
    }

    /// Whether a reply's fourth word is the seal of the first three.
    pub fn intact(words: [u64; 4]) -> bool {
        words[3] == seal([words[0], words[1], words[2]])
    }
}

/// The serial port driver (`servers/serial`): bytes in and out of COM1.
pub mod serial {
    /// Transmit the bytes of lease 0 (readable). Reply: status, bytes sent.
    pub const WRITE: u32 = 1;
    /// Copy received bytes into lease 0 (writable), without waiting, from the byte numbered
    /// word 0: the first the reader has not handled (the bytes before it are let go, those
    /// copied stay until a later read names a number past them; `console_core::InputQueue`).
    /// Reply: status, bytes copied, bytes ever dropped because nobody read, the first one's
    /// number.
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
}

/// The screen driver (`servers/screen`): a text terminal drawn on the framebuffer. It answers
/// `serial::WRITE` like the serial driver, so the console sends its output to both alike.
pub mod screen {
    /// Its manifest name. A console in a system without it (the benchmarks') writes to the
    /// serial line only.
    pub const NAME: &str = "screen";
}

/// The supervisor (`servers/supervisor`): starts programs, answers questions about servers.
pub mod supervisor {
    /// Which of the silent servers to kill: the silent one, or the one its call waits on.
    pub mod blame;
    /// When a client complains of a server that fails every request (`COMPLAIN`).
    pub mod complaints;
    /// Noticing a server that stopped answering without using the CPU.
    pub mod liveness;

    /// Start the program whose ELF image is lease 0 (readable), with the argument in lease 1
    /// (readable, may be empty), named by words 0 and 1 (16 bytes, NUL-padded). The client
    /// reads the image from the file server: the supervisor never waits on a server it may
    /// have to restart. Reply: status, the new task's id (raw).
    pub const SPAWN: u32 = 1;
    /// Programs are spawned from this manifest template.
    pub const TEMPLATE: &str = "program";
    /// The largest program file it loads.
    pub const MAX_PROGRAM: usize = 256 * 1024;
    /// The state of the word-0th server it looks after: its name into lease 0 (writable, 16
    /// bytes). Reply: status (`NOT_FOUND` past the last), restarts so far, its `Restart`
    /// policy (`Restart::code`), and `WATCHING`, `WAITING` or `GAVE_UP`.
    pub const STATUS: u32 = 2;
    /// Keep lease 0 (readable, at most `KEEP_MAX` bytes) for the calling server: what it must
    /// not lose in a restart, replacing what it kept before. Only a server the supervisor
    /// looks after may keep anything (`NOT_FOUND` otherwise). Reply: status, bytes kept.
    pub const KEEP: u32 = 3;
    /// What the calling server (or the one before it under the same name) kept, into lease 0
    /// (writable). Reply: status, bytes copied (0 if nothing was kept).
    pub const KEPT: u32 = 4;
    /// The most one server keeps.
    pub const KEEP_MAX: usize = 1280;
    /// A complaint, after MINIX 3's reincarnation server, which took reports of a misbehaving
    /// driver from its clients: the server whose id (raw) is word 0 runs and answers, but has
    /// failed every one of the caller's last `FAILURES_BEFORE_COMPLAINT` requests (a server
    /// left running with damaged state, which no watchdog sees). The supervisor stops it, and
    /// restarts it by its policy as after a crash, unless it started less than
    /// `COMPLAINT_GRACE_TICKS` ago. Only a server it looks after may complain, and only of
    /// another. Reply: status (`OK` when stopped, `BUSY` within the grace, `NOT_FOUND` when
    /// either is not one it looks after).
    pub const COMPLAIN: u32 = 5;
    /// A server younger than this is not stopped on a complaint: it has had no chance yet.
    pub const COMPLAINT_GRACE_TICKS: u64 = 100;
    /// Failed requests in a row after which a client complains of its server.
    pub const FAILURES_BEFORE_COMPLAINT: u32 = 3;
    pub const WATCHING: u64 = 0;
    /// Restart scheduled after a backoff delay.
    pub const WAITING: u64 = 1;
    /// Left dead: its policy is `never`, or it crashed too often.
    pub const GAVE_UP: u64 = 2;

    /// What to do when a server ends.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Restart {
        /// Start it again at once.
        Always,
        /// Start it again after a delay that doubles with each crash in a row (from one tick up
        /// to `MAX_BACKOFF_TICKS`), so a server that dies at once does not eat the machine.
        Backoff,
        /// Log it and leave it dead.
        Never,
    }

    impl Restart {
        pub fn code(self) -> u64 {
            self as u64
        }

        pub fn name(code: u64) -> &'static str {
            match code {
                0 => "restart",
                1 => "backoff",
                2 => "never",
                _ => "?",
            }
        }
    }

    pub const MAX_BACKOFF_TICKS: u64 = 400;
    /// Restarts allowed within `WINDOW_TICKS` before the supervisor gives up, by default.
    pub const DEFAULT_MAX_RESTARTS: u8 = 5;
    pub const WINDOW_TICKS: u64 = 1000;

    /// One server's policy, as its supervisor argument gives it.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Policy<'a> {
        pub name: &'a str,
        pub restart: Restart,
        /// Give up after this many restarts within `WINDOW_TICKS` (0: never give up).
        pub max_restarts: u8,
    }

    /// Parses the supervisor's argument: comma-separated `name[=restart|backoff|never][/N]`,
    /// for example `serial,fs=backoff,shell/3,rtc=never`. `restart` is the default, and `N`
    /// the restarts allowed within `WINDOW_TICKS` (default 5; 0 for no limit). Returns the
    /// first bad entry as the error.
    pub fn parse_policy(argument: &str) -> impl Iterator<Item = Result<Policy<'_>, &str>> {
        argument.split(',').filter(|entry| !entry.is_empty()).map(|entry| {
            let (rest, max) = match entry.split_once('/') {
                Some((rest, n)) => (rest, n.parse().map_err(|_| entry)?),
                None => (entry, DEFAULT_MAX_RESTARTS),
            };
            let (name, restart) = match rest.split_once('=') {
                Some((name, "restart")) => (name, Restart::Always),
                Some((name, "backoff")) => (name, Restart::Backoff),
                Some((name, "never")) => (name, Restart::Never),
                Some(_) => return Err(entry),
                None => (rest, Restart::Always),
            };
            if name.is_empty() || name.len() > 16 {
                return Err(entry);
            }
            Ok(Policy { name, restart, max_restarts: max })
        })
    }
}

/// The console (`servers/console`): the terminal, with a line discipline, for many clients.
pub mod console {
    /// Write the text of lease 0 (readable); `\n` becomes `\r\n`. Reply: status, bytes.
    pub const WRITE: u32 = 1;
    /// Wait for one edited line and copy it into lease 0 (writable), without its newline.
    /// Word 0 holds `CONTROLLER` or 0. Reply: status (`OK`, `END_OF_INPUT`, `BUSY`, or
    /// `INTERRUPTED` when the user typed Ctrl-C meanwhile), bytes.
    pub const READ_LINE: u32 = 2;
    /// `READ_LINE`'s word 0 from the task that controls the terminal (the shell): Ctrl-C is
    /// its to act on. A Ctrl-C ends whatever read waits with `INTERRUPTED`, and unless the
    /// controller is the one reading, also sets its `INTERRUPT_BIT`, so that it stops the
    /// program it runs.
    pub const CONTROLLER: u64 = 1;
    /// The notification bit Ctrl-C sets at the controller (or, if no task has said it controls
    /// the terminal, at the last task that read a line).
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
    /// Room for the largest transfer one request may ask for.
    pub type Transfer = [u8; MAX_SECTORS * SECTOR_SIZE];
    /// The primary ATA channel (the data disk is its second drive; the boot disk the first).
    pub const IRQ: u8 = 14;
}

/// The file server (`servers/fs`): FAT on the data disk, by path. Every request names its
/// file, so the server keeps no per-client state and a restart loses nothing: `open`, `seek`
/// and `close` live in the client (`ulib::fs`). Paths are `/`-separated 8.3 names, taken
/// from the root; lease 0 always holds the path (readable, at most `MAX_PATH` bytes), and
/// payload words 2 and 3 hold it too when it is short (`inline_path`).
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
    /// Empty the server's sector cache (no lease): the next requests read the disk again.
    /// Costs only speed; the benchmark uses it to measure a cold cache.
    pub const DROP_CACHE: u32 = 8;

    pub const CREATE: u64 = 1;
    pub const TRUNCATE: u64 = 2;
    pub const IS_DIRECTORY: u64 = 1;
    pub const MAX_PATH: usize = 128;
    /// A path of at most this many bytes travels in the request itself as well, in payload
    /// words 2 and 3, so the server need not copy it from lease 0: one `lease_read` system call
    /// fewer for most requests.
    pub const INLINE_PATH: usize = 15;

    /// Words 2 and 3 of a request about `path`: its bytes from word 2 on (little-endian), and
    /// its length in the last byte of word 3; both 0 for a path longer than `INLINE_PATH`.
    pub fn inline_path(path: &[u8]) -> [u64; 2] {
        let mut bytes = [0u8; 16];
        if path.len() <= INLINE_PATH {
            bytes[..path.len()].copy_from_slice(path);
            bytes[15] = path.len() as u8;
        }
        let word = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap_or([0; 8]));
        [word(0), word(8)]
    }

    /// The path `inline_path` put into `words`, in `buffer`; `None` when they carry none.
    pub fn path_inline(words: [u64; 2], buffer: &mut [u8; 16]) -> Option<&[u8]> {
        buffer[..8].copy_from_slice(&words[0].to_le_bytes());
        buffer[8..].copy_from_slice(&words[1].to_le_bytes());
        let length = usize::from(buffer[15]);
        (1..=INLINE_PATH).contains(&length).then(|| &buffer[..length])
    }

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
    extern crate std;
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
    fn short_paths_travel_inline_and_long_ones_do_not() {
        use super::fs::{INLINE_PATH, inline_path, path_inline};
        let long = [b'a'; INLINE_PATH + 1];
        for length in 1..=INLINE_PATH {
            let path = &long[..length];
            let mut buffer = [0; 16];
            assert_eq!(path_inline(inline_path(path), &mut buffer), Some(path), "{length}");
        }
        let mut buffer = [0; 16];
        assert_eq!(inline_path(&long), [0, 0]);
        assert_eq!(path_inline([0, 0], &mut buffer), None, "no path: read lease 0");
        assert_eq!(path_inline(inline_path(b""), &mut buffer), None);
        // A length past INLINE_PATH is not a path, whatever the other bytes say.
        assert_eq!(path_inline([u64::MAX, u64::MAX], &mut buffer), None);
    }

    #[test]
    fn supervisor_policies_parse_with_defaults_and_refuse_garbage() {
        use super::supervisor::{Policy, Restart, parse_policy};
        let policies: Result<std::vec::Vec<Policy>, &str> =
            parse_policy("serial,fs=backoff,shell/3,rtc=never/0").collect();
        let policies = policies.unwrap();
        assert_eq!(
            policies[0],
            Policy { name: "serial", restart: Restart::Always, max_restarts: 5 }
        );
        assert_eq!(policies[1].restart, Restart::Backoff);
        assert_eq!((policies[2].name, policies[2].max_restarts), ("shell", 3));
        assert_eq!((policies[3].restart, policies[3].max_restarts), (Restart::Never, 0));
        assert_eq!(parse_policy("a=sometimes").next(), Some(Err("a=sometimes")));
        assert_eq!(parse_policy("a/x").next(), Some(Err("a/x")));
        assert_eq!(parse_policy("=never").next(), Some(Err("=never")));
        assert_eq!(parse_policy("").count(), 0);
    }

    #[test]
    fn any_one_flipped_bit_breaks_a_seal() {
        use super::leases::{intact, words};
        for reply in [Ok([4096, 1]), Ok([0, 0]), Err(super::status::NOT_FOUND)] {
            let sealed = words(reply);
            assert!(intact(sealed));
            for word in 0..4 {
                for bit in 0..64 {
                    let mut damaged = sealed;
                    damaged[word] ^= 1 << bit;
                    assert!(!intact(damaged), "bit {bit} of word {word} of {reply:?}");
                }
            }
        }
        assert!(!intact([0; 4]), "a reply nobody sealed");
    }

    #[test]
    fn every_status_has_words() {
        for code in 0..=22 {
            assert_ne!(super::status::describe(code), "unknown error", "status {code}");
        }
        assert_eq!(super::status::describe(99), "unknown error");
    }
}
