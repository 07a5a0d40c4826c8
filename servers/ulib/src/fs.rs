//! Files through the file server (`service_api::fs`). The server works by path and keeps no
//! state, so every request here is complete in itself: reads and writes at an offset are safe
//! to repeat and are repeated once if the server restarts under them; removing, renaming and
//! making directories are not, and report `RESTARTED` instead.

use crate::client::{Retry, Server};
use libipc::abi::Lease;
use service_api::fs::{
    CREATE, ENTRY_SIZE, Entry, IS_DIRECTORY, LIST, MAKE_DIRECTORY, READ, REMOVE, RENAME, STAT,
    TRUNCATE, WRITE, inline_path,
};

/// Errors are `service_api::status` codes; `status::describe` words them.
pub type Status = u64;

/// Ticks a request waits for the file server's answer: far longer than any request takes on a
/// working disk (a busy machine included), so that only a server that stopped answering, which
/// the supervisor restarts within about 4 s, runs it out.
pub const FS_PATIENCE: u64 = 30 * libipc::abi::TICKS_PER_SECOND;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stat {
    pub size: u64,
    pub is_directory: bool,
}

/// The file server.
pub struct Files {
    server: Server,
}

impl Default for Files {
    fn default() -> Self {
        Self::new()
    }
}

impl Files {
    pub const fn new() -> Self {
        Files { server: Server::answering_within("fs", FS_PATIENCE).sealed() }
    }

    pub fn stat(&self, path: &str) -> Result<Stat, Status> {
        let reply = self.request(STAT, path, [0, 0], None, Retry::Safe)?;
        Ok(Stat { size: reply[1], is_directory: reply[2] & IS_DIRECTORY != 0 })
    }

    /// Reads from `offset` into `buffer`; returns how many bytes came (0 at the end).
    pub fn read_at(&self, path: &str, offset: u64, buffer: &mut [u8]) -> Result<usize, Status> {
        let into = Some(Lease::write(buffer));
        let reply = self.request(READ, path, [offset, 0], into, Retry::Safe)?;
        // A server's count is not trusted past the buffer it could have filled.
        Ok((reply[1] as usize).min(buffer.len()))
    }

    /// Writes `data` at `offset` (`CREATE` and `TRUNCATE` in `flags`).
    pub fn write_at(&self, path: &str, offset: u64, data: &[u8], flags: u64) -> Result<(), Status> {
        let from = Some(Lease::read(data));
        self.request(WRITE, path, [offset, flags], from, Retry::Safe).map(|_| ())
    }

    /// Makes `path` hold exactly `data`.
    pub fn replace(&self, path: &str, data: &[u8]) -> Result<(), Status> {
        self.write_at(path, 0, data, CREATE | TRUNCATE)
    }

    /// Adds `data` at the end of `path`, creating it if needed. The end is looked up first,
    /// so the write itself names its offset and stays safe to repeat.
    pub fn append(&self, path: &str, data: &[u8]) -> Result<(), Status> {
        let end = match self.stat(path) {
            Ok(stat) => stat.size,
            Err(service_api::status::NOT_FOUND) => 0,
            Err(error) => return Err(error),
        };
        self.write_at(path, end, data, CREATE)
    }

    /// Calls `each` for every entry of the directory, fetching them a bufferful at a time.
    pub fn list(&self, path: &str, mut each: impl FnMut(&Entry)) -> Result<(), Status> {
        let mut records = [0u8; 16 * ENTRY_SIZE];
        let mut skip = 0;
        loop {
            let into = Some(Lease::write(&mut records));
            let reply = self.request(LIST, path, [skip, 0], into, Retry::Safe)?;
            let count = (reply[1] as usize).min(16);
            for record in records.chunks_exact(ENTRY_SIZE).take(count) {
                if let Ok(record) = record.try_into() {
                    each(&Entry::from_bytes(record));
                }
            }
            skip += count as u64;
            if reply[2] == 0 || count == 0 {
                return Ok(());
            }
        }
    }

    pub fn make_directory(&self, path: &str) -> Result<(), Status> {
        self.request(MAKE_DIRECTORY, path, [0, 0], None, Retry::Unsafe).map(|_| ())
    }

    pub fn remove(&self, path: &str) -> Result<(), Status> {
        self.request(REMOVE, path, [0, 0], None, Retry::Unsafe).map(|_| ())
    }

    pub fn rename(&self, from: &str, to: &str) -> Result<(), Status> {
        let to = Some(Lease::read(to.as_bytes()));
        self.request(RENAME, from, [0, 0], to, Retry::Unsafe).map(|_| ())
    }

    /// Request `op` about `path` with argument `words`: the path in lease 0 and, when it is
    /// short, in the request too (`about`); `second`, if any, is lease 1.
    fn request(
        &self,
        op: u32,
        path: &str,
        words: [u64; 2],
        second: Option<Lease>,
        retry: Retry,
    ) -> Result<[u64; 4], Status> {
        let named = Lease::read(path.as_bytes());
        let both;
        let leases = match second {
            Some(lease) => {
                both = [named, lease];
                &both[..]
            }
            None => core::slice::from_ref(&named),
        };
        self.server.call(op, about(path, words), leases, retry)
    }
}

/// A request's payload: its two argument words, then `path` again when it is short enough to
/// travel in the request (`inline_path`), which spares the server a copy from lease 0. Every
/// request here is built with it (and the service benchmark's, which calls the server itself).
pub fn about(path: &str, [word0, word1]: [u64; 2]) -> [u64; 4] {
    let [path0, path1] = inline_path(path.as_bytes());
    [word0, word1, path0, path1]
}

/// An open file: a path and an offset, kept here in the client (the server has no handles).
pub struct File<'a> {
    files: &'a Files,
    path: &'a str,
    offset: u64,
}

impl<'a> File<'a> {
    /// Opens an existing file (or, with `create`, makes an empty one if there is none).
    pub fn open(files: &'a Files, path: &'a str, create: bool) -> Result<Self, Status> {
        match files.stat(path) {
            Ok(stat) if stat.is_directory => return Err(service_api::status::IS_A_DIRECTORY),
            Ok(_) => {}
            Err(service_api::status::NOT_FOUND) if create => {
                files.write_at(path, 0, &[], CREATE)?
            }
            Err(error) => return Err(error),
        }
        Ok(File { files, path, offset: 0 })
    }

    pub fn read(&mut self, buffer: &mut [u8]) -> Result<usize, Status> {
        let n = self.files.read_at(self.path, self.offset, buffer)?;
        self.offset += n as u64;
        Ok(n)
    }

    pub fn write(&mut self, data: &[u8]) -> Result<(), Status> {
        self.files.write_at(self.path, self.offset, data, 0)?;
        self.offset += data.len() as u64;
        Ok(())
    }

    pub fn seek(&mut self, offset: u64) {
        self.offset = offset;
    }

    /// Nothing to release on the server; closing just ends the borrow.
    pub fn close(self) {}
}
