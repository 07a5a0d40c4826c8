//! Files found before: where a path's file starts and how long it is, so that reading a file
//! named again skips the walk through its directory (as an operating system's cache of
//! directory entries does). Any change to the volume forgets them all, and each record carries
//! a checksum, so a stray write into one makes it a miss rather than a wrong read.

use core::cell::{Cell, RefCell};

/// Paths remembered at once, and the longest one remembered.
const SLOTS: usize = 8;
const LONGEST: usize = 32;
/// Where a record's checksum starts (any odd constant: an all-zero record does not check).
const SEED: u64 = 0x2545_f491_4f6c_dd1d;

/// What a read needs of a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Found {
    pub size: u32,
    pub first_cluster: u32,
}

#[derive(Clone, Copy)]
struct Record {
    path: [u8; LONGEST],
    length: usize,
    found: Found,
    sum: u64,
}

impl Record {
    const EMPTY: Record = Record {
        path: [0; LONGEST],
        length: 0,
        found: Found { size: 0, first_cluster: 0 },
        sum: 0,
    };

    fn checksum(&self) -> u64 {
        let words = self.path.chunks_exact(8).map(|w| u64::from_le_bytes(w.try_into().unwrap()));
        let fields =
            [self.length as u64, u64::from(self.found.size), u64::from(self.found.first_cluster)];
        words.chain(fields).fold(SEED, |sum, word| sum.rotate_left(7) ^ word)
    }

    fn holds(&self, path: &[u8]) -> bool {
        self.length == path.len() && self.length > 0 && self.path[..self.length] == *path
    }
}

/// The remembered files of one volume.
pub struct Names {
    records: RefCell<[Record; SLOTS]>,
    /// The slot the next new record takes (oldest first).
    next: Cell<usize>,
}

impl Names {
    pub const fn new() -> Self {
        Names { records: RefCell::new([Record::EMPTY; SLOTS]), next: Cell::new(0) }
    }

    /// The file `path` named when it was last remembered, if it is remembered intact.
    pub fn find(&self, path: &str) -> Option<Found> {
        let mut records = self.records.borrow_mut();
        let record = records.iter_mut().find(|r| r.holds(path.as_bytes()))?;
        if record.checksum() != record.sum {
            *record = Record::EMPTY; // damaged: look the file up again
            return None;
        }
        Some(record.found)
    }

    /// Remembers that `path` names `found` (a path too long to keep is not remembered).
    pub fn remember(&self, path: &str, found: Found) {
        let bytes = path.as_bytes();
        if bytes.is_empty() || bytes.len() > LONGEST {
            return;
        }
        let mut record = Record { length: bytes.len(), found, ..Record::EMPTY };
        record.path[..bytes.len()].copy_from_slice(bytes);
        record.sum = record.checksum();
        let slot = self.next.get() % SLOTS;
        self.records.borrow_mut()[slot] = record;
        self.next.set((slot + 1) % SLOTS);
    }

    /// Forgets every file: the volume is about to change.
    pub fn forget(&self) {
        *self.records.borrow_mut() = [Record::EMPTY; SLOTS];
    }

    /// Flips one bit of every record, as a stray write would (for the tests).
    #[cfg(test)]
    pub(crate) fn damage(&self) {
        for record in self.records.borrow_mut().iter_mut() {
            record.found.first_cluster ^= 1;
        }
    }
}

impl Default for Names {
    fn default() -> Self {
        Self::new()
    }
}
