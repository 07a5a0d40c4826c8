//! Listing through the request handler: names as their `Display` writes them, records
//! batched into the lease.

use super::*;
use crate::requests;
use core::fmt::Write as _;
use embedded_sdmmc::ShortFileName;
use service_api::fs::{ENTRY_SIZE, Entry, LIST, inline_path};
use service_api::leases::Leases;

/// A path lease and a writable buffer lease, counting the writes into the second.
struct Lent {
    path: Vec<u8>,
    buffer: RefCell<Vec<u8>>,
    writes: Cell<usize>,
    refuse_writes: bool,
}

impl Lent {
    /// `path` in lease 0, and a buffer with room for `room` records in lease 1.
    fn new(path: &[u8], room: usize, refuse_writes: bool) -> Self {
        Lent {
            path: path.to_vec(),
            buffer: RefCell::new(std::vec![0; room * ENTRY_SIZE]),
            writes: Cell::new(0),
            refuse_writes,
        }
    }
}

impl Leases for Lent {
    fn length(&self, index: usize, write: bool) -> Option<u64> {
        match (index, write) {
            (0, false) => Some(self.path.len() as u64),
            (1, true) => Some(self.buffer.borrow().len() as u64),
            _ => None,
        }
    }

    fn read(&self, index: usize, offset: u64, into: &mut [u8]) -> bool {
        let start = offset as usize;
        let Some(bytes) =
            (index == 0).then_some(&self.path).and_then(|p| p.get(start..start + into.len()))
        else {
            return false;
        };
        into.copy_from_slice(bytes);
        true
    }

    fn write(&self, index: usize, offset: u64, bytes: &[u8]) -> bool {
        let mut buffer = self.buffer.borrow_mut();
        let start = offset as usize;
        if index != 1 || self.refuse_writes || start + bytes.len() > buffer.len() {
            return false;
        }
        buffer[start..start + bytes.len()].copy_from_slice(bytes);
        self.writes.set(self.writes.get() + 1);
        true
    }
}

fn list(
    store: &Store,
    path: &str,
    room: usize,
    skip: u64,
) -> (Result<[u64; 2], u64>, Vec<Entry>, usize) {
    let lent = Lent::new(path.as_bytes(), room, false);
    let mut scratch = Box::new(Scratch::new());
    let reply = requests::handle(store, &mut scratch, LIST, [skip, 0, 0, 0], &lent);
    let count = reply.map_or(0, |[n, _]| n as usize);
    let buffer = lent.buffer.borrow();
    let entries = buffer
        .chunks_exact(ENTRY_SIZE)
        .take(count)
        .map(|record| Entry::from_bytes(record.try_into().unwrap()))
        .collect();
    (reply, entries, lent.writes.get())
}

#[test]
fn names_read_as_their_display_writes_them() {
    for name in ["A", "README.TXT", "NOEXT", "X.Y", "LONGNAME.EXT", "a.b", "~1.$$$"] {
        let short = ShortFileName::create_from_str(name).unwrap();
        let mut field = [0u8; 12];
        crate::write_name(&short, &mut field);
        let mut shown = std::string::String::new();
        write!(shown, "{short}").unwrap();
        let length = field.iter().position(|&b| b == 0).unwrap_or(12);
        assert_eq!(&field[..length], shown.as_bytes(), "{name}");
    }
}

#[test]
fn a_long_listing_goes_to_the_lease_in_a_few_copies() {
    let store = fresh();
    store.make_directory("/MANY").unwrap();
    for i in 0..250 {
        store.write(&std::format!("/MANY/F{i}.TXT"), 0, b"x", true, true).unwrap();
    }
    let (reply, entries, writes) = list(&store, "/MANY", 300, 0);
    assert_eq!(reply, Ok([250, 0]));
    assert_eq!(entries[0].name(), "F0.TXT");
    assert_eq!(entries[249].name(), "F249.TXT");
    assert!(entries.iter().all(|e| e.size == 1 && !e.is_directory));
    assert_eq!(writes, 2, "a batch of 204 records, then the other 46");
    // A lease with room for 5 gets 5 and learns that more remain; skipping resumes there.
    let (reply, entries, writes) = list(&store, "/MANY", 5, 0);
    assert_eq!((reply, entries.len(), writes), (Ok([5, 1]), 5, 1));
    let (reply, entries, _) = list(&store, "/MANY", 5, 248);
    assert_eq!(reply, Ok([2, 0]));
    assert_eq!(entries[1].name(), "F249.TXT");
}

#[test]
fn a_listing_whose_lease_refuses_the_copy_is_refused() {
    let store = fresh();
    store.write("/ONE.TXT", 0, b"1", true, true).unwrap();
    let lent = Lent::new(b"/", 4, true);
    let mut scratch = Box::new(Scratch::new());
    assert_eq!(requests::handle(&store, &mut scratch, LIST, [0; 4], &lent), Err(BAD_REQUEST));
}

#[test]
fn a_short_path_in_the_request_words_is_taken_over_lease_0() {
    let store = fresh();
    store.make_directory("/SUB").unwrap();
    store.write("/SUB/A.TXT", 0, b"a", true, true).unwrap();
    store.write("/B.TXT", 0, b"b", true, true).unwrap();
    // Lease 0 names the root; the words name /SUB, and the words win: no lease read needed.
    let lent = Lent::new(b"/", 4, false);
    let [path0, path1] = inline_path(b"/SUB");
    let mut scratch = Box::new(Scratch::new());
    let reply = requests::handle(&store, &mut scratch, LIST, [0, 0, path0, path1], &lent);
    let (through_lease, entries, _) = list(&store, "/SUB", 4, 0);
    assert_eq!(reply, through_lease);
    let records = lent.buffer.borrow();
    let first = Entry::from_bytes(records[..ENTRY_SIZE].try_into().unwrap());
    assert_eq!(first.name(), entries[0].name());
    assert!(entries.iter().any(|e| e.name() == "A.TXT"));
    assert!(!entries.iter().any(|e| e.name() == "B.TXT"), "the root was not listed");
}
