extern crate std;

use super::*;
use core::cell::{Cell, RefCell};
use service_api::block::MAX_SECTORS;
use service_api::status::*;
use std::boxed::Box;
use std::rc::Rc;
use std::vec::Vec;

/// A disk in memory; clones share its sectors, so a test can look at what reached the disk.
#[derive(Clone)]
struct MemoryDisk {
    sectors: Rc<RefCell<Vec<[u8; 512]>>>,
    /// How many of the next writes fail (`u32::MAX`: all of them).
    refuse_writes: Rc<Cell<u32>>,
    /// Writes that still reach the disk before it stops taking any (a server that dies).
    writes_before_crash: Rc<Cell<Option<u32>>>,
    /// Whether a refused write leaves garbage where it was to go, as a driver that fails
    /// half-way through sending a sector can.
    garble_refused: Rc<Cell<bool>>,
    /// Writes that reached the disk.
    writes: Rc<Cell<u32>>,
    /// Writes to leave alone, then how many to land with their first byte changed and
    /// acknowledged all the same (`u32::MAX`: all of them), as a driver whose state a fault
    /// damaged might.
    garble_writes: Rc<Cell<(u32, u32)>>,
}

#[derive(Debug)]
struct OutOfRange;

impl core::fmt::Display for OutOfRange {
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        f.write_str("sector out of range")
    }
}

impl core::error::Error for OutOfRange {}

impl MemoryDisk {
    fn blank(sectors: u32) -> Self {
        MemoryDisk {
            sectors: Rc::new(RefCell::new(std::vec![[0; 512]; sectors as usize])),
            refuse_writes: Rc::new(Cell::new(0)),
            writes_before_crash: Rc::new(Cell::new(None)),
            garble_refused: Rc::new(Cell::new(false)),
            writes: Rc::new(Cell::new(0)),
            garble_writes: Rc::new(Cell::new((0, 0))),
        }
    }

    /// A disk holding a copy of `sectors`.
    fn holding(sectors: &[[u8; 512]]) -> Self {
        let disk = MemoryDisk::blank(0);
        *disk.sectors.borrow_mut() = sectors.to_vec();
        disk
    }
}

impl MemoryDisk {
    fn refuses_a_write(&self) -> bool {
        if let Some(left) = self.writes_before_crash.get() {
            if left == 0 {
                return true;
            }
            self.writes_before_crash.set(Some(left - 1));
        }
        let refused = self.refuse_writes.get();
        if refused != u32::MAX {
            self.refuse_writes.set(refused.saturating_sub(1));
        }
        self.writes.set(self.writes.get() + u32::from(refused == 0));
        refused > 0
    }
}

impl BlockDevice for MemoryDisk {
    type Error = OutOfRange;

    fn read(&self, blocks: &mut [Block], start: BlockIdx) -> Result<(), OutOfRange> {
        let sectors = self.sectors.borrow();
        for (i, block) in blocks.iter_mut().enumerate() {
            block.contents = *sectors.get(start.0 as usize + i).ok_or(OutOfRange)?;
        }
        Ok(())
    }

    fn write(&self, blocks: &[Block], start: BlockIdx) -> Result<(), OutOfRange> {
        if self.refuses_a_write() {
            return Err(OutOfRange);
        }
        let mut sectors = self.sectors.borrow_mut();
        for (i, block) in blocks.iter().enumerate() {
            *sectors.get_mut(start.0 as usize + i).ok_or(OutOfRange)? = block.contents;
        }
        Ok(())
    }

    fn num_blocks(&self) -> Result<BlockCount, OutOfRange> {
        Ok(BlockCount(self.sectors.borrow().len() as u32))
    }
}

/// The same disk as the block driver offers it: whole sectors, a few per request.
impl Sectors for MemoryDisk {
    type Error = OutOfRange;

    fn read(&self, lba: u32, bytes: &mut [u8]) -> Result<(), OutOfRange> {
        assert!(bytes.len() % 512 == 0 && bytes.len() / 512 <= MAX_SECTORS);
        let sectors = self.sectors.borrow();
        for (i, sector) in bytes.chunks_exact_mut(512).enumerate() {
            sector.copy_from_slice(sectors.get(lba as usize + i).ok_or(OutOfRange)?);
        }
        Ok(())
    }

    fn write(&self, lba: u32, bytes: &[u8]) -> Result<(), OutOfRange> {
        assert!(bytes.len() % 512 == 0 && bytes.len() / 512 <= MAX_SECTORS);
        if self.refuses_a_write() {
            if self.garble_refused.get() {
                let mut sectors = self.sectors.borrow_mut();
                for i in 0..bytes.len() / 512 {
                    if let Some(sector) = sectors.get_mut(lba as usize + i) {
                        *sector = [0x6b; 512];
                    }
                }
            }
            return Err(OutOfRange);
        }
        let mut sectors = self.sectors.borrow_mut();
        for (i, sector) in bytes.chunks_exact(512).enumerate() {
            sectors.get_mut(lba as usize + i).ok_or(OutOfRange)?.copy_from_slice(sector);
        }
        match self.garble_writes.get() {
            (0, 0) => {}
            (0, garbled) => {
                let left = if garbled == u32::MAX { garbled } else { garbled - 1 };
                self.garble_writes.set((0, left));
                sectors[lba as usize][0] ^= 0xff;
            }
            (clean, garbled) => self.garble_writes.set((clean - 1, garbled)),
        }
        Ok(())
    }

    fn count(&self) -> Result<u32, OutOfRange> {
        Ok(self.sectors.borrow().len() as u32)
    }

    fn not_kept(&self) -> OutOfRange {
        OutOfRange
    }
}

const SECTORS: u32 = 16 * 2048; // 16 MiB

/// A file store as the servers have it: the volume behind a sector cache.
type Store = FileStore<&'static Cached<MemoryDisk>>;

fn fresh() -> Store {
    let disk = MemoryDisk::blank(SECTORS);
    format(&disk, SECTORS, "test").unwrap();
    mount(disk)
}

fn mount(disk: MemoryDisk) -> Store {
    FileStore::mount(&*Box::leak(Box::new(Cached::new(disk)))).unwrap()
}

fn read_all(store: &Store, path: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut chunk = [0u8; 100];
    loop {
        let n = store.read(path, out.len() as u32, &mut chunk).unwrap();
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&chunk[..n]);
    }
}

fn names(store: &Store, path: &str) -> Vec<std::string::String> {
    let mut names = Vec::new();
    store
        .list(path, 0, |entry| {
            names.push(std::format!(
                "{}{}",
                entry.name(),
                if entry.is_directory { "/" } else { "" }
            ));
            true
        })
        .unwrap();
    names
}

#[test]
fn a_fresh_disk_is_an_empty_volume() {
    let store = fresh();
    assert!(names(&store, "/").is_empty());
    assert_eq!(store.stat("/"), Ok(Stat { size: 0, is_directory: true }));
    assert_eq!(store.stat("/NOPE.TXT"), Err(NOT_FOUND));
}

#[test]
fn written_bytes_read_back_across_sectors_and_clusters() {
    let store = fresh();
    let data: Vec<u8> = (0..5000u32).map(|i| (i * 7 % 251) as u8).collect();
    assert_eq!(store.write("/data.bin", 0, &data, true, true), Ok(5000));
    assert_eq!(store.stat("/DATA.BIN"), Ok(Stat { size: 5000, is_directory: false }));
    assert_eq!(read_all(&store, "data.bin"), data);
    // Reading past the end gives nothing; reading from the middle gives the tail.
    assert_eq!(store.read("/data.bin", 9000, &mut [0; 10]), Ok(0));
    let mut tail = [0u8; 10];
    assert_eq!(store.read("/data.bin", 4995, &mut tail), Ok(5));
    assert_eq!(&tail[..5], &data[4995..]);
}

#[test]
fn writes_overwrite_extend_and_truncate() {
    let store = fresh();
    store.write("/a.txt", 0, b"hello world", true, true).unwrap();
    store.write("/a.txt", 6, b"there, friend", false, false).unwrap();
    assert_eq!(read_all(&store, "/a.txt"), b"hello there, friend");
    // Appending is writing at the current length.
    store.write("/a.txt", 19, b"!", false, false).unwrap();
    assert_eq!(read_all(&store, "/a.txt"), b"hello there, friend!");
    store.write("/a.txt", 0, b"short", false, true).unwrap();
    assert_eq!(read_all(&store, "/a.txt"), b"short");
    // Holes are refused, and a missing file is not created without `create`.
    assert_eq!(store.write("/a.txt", 100, b"x", false, false), Err(TOO_LARGE));
    assert_eq!(store.write("/b.txt", 0, b"x", false, false), Err(NOT_FOUND));
}

#[test]
fn repeating_a_write_changes_nothing() {
    let store = fresh();
    for _ in 0..2 {
        store.write("/r.txt", 0, b"once", true, true).unwrap();
        store.write("/r.txt", 4, b" more", false, false).unwrap();
    }
    assert_eq!(read_all(&store, "/r.txt"), b"once more");
}

#[test]
fn directories_nest_list_and_only_empty_ones_go() {
    let store = fresh();
    store.make_directory("/docs").unwrap();
    assert_eq!(store.make_directory("/docs"), Err(EXISTS));
    store.write("/docs/note.txt", 0, b"x", true, true).unwrap();
    store.write("/top.txt", 0, b"yy", true, true).unwrap();
    assert_eq!(names(&store, "/"), ["DOCS/", "TOP.TXT"]);
    assert_eq!(names(&store, "/docs/"), ["NOTE.TXT"]);
    assert_eq!(store.remove("/docs"), Err(NOT_EMPTY));
    assert_eq!(store.read("/docs", 0, &mut [0; 4]), Err(IS_A_DIRECTORY));
    assert_eq!(store.stat("/top.txt/x"), Err(NOT_A_DIRECTORY));
    store.remove("/docs/note.txt").unwrap();
    store.remove("/docs").unwrap();
    assert_eq!(names(&store, "/"), ["TOP.TXT"]);
}

#[test]
fn listing_resumes_where_a_full_buffer_stopped() {
    let store = fresh();
    for i in 0..5 {
        store.write(&std::format!("/f{i}.txt"), 0, b"", true, true).unwrap();
    }
    let mut first = Vec::new();
    let more = store.list("/", 0, |e| {
        first.push(e);
        first.len() < 3
    });
    assert_eq!((first.len(), more), (3, Ok(true)));
    let mut rest = Vec::new();
    assert_eq!(
        store.list("/", 3, |e| {
            rest.push(e);
            true
        }),
        Ok(false)
    );
    assert_eq!(rest.len(), 2);
    assert_eq!(rest[1].name(), "F4.TXT");
}

#[test]
fn rename_moves_a_file_and_keeps_its_bytes() {
    let store = fresh();
    let data: Vec<u8> = (0..1500u32).map(|i| i as u8).collect();
    store.write("/old.bin", 0, &data, true, true).unwrap();
    store.make_directory("/keep").unwrap();
    store.rename("/old.bin", "/keep/new.bin").unwrap();
    assert_eq!(store.stat("/old.bin"), Err(NOT_FOUND));
    assert_eq!(read_all(&store, "/keep/new.bin"), data);
    store.write("/other", 0, b"", true, true).unwrap();
    assert_eq!(store.rename("/other", "/keep/new.bin"), Err(EXISTS));
    assert_eq!(store.rename("/keep", "/kept"), Err(UNSUPPORTED));
}

#[test]
fn bad_names_and_paths_are_errors_not_panics() {
    let store = fresh();
    assert_eq!(store.write("/much-too-long-name.text", 0, b"", true, true), Err(BAD_NAME));
    assert_eq!(store.stat(&"a/".repeat(100)), Err(BAD_NAME));
    assert_eq!(store.remove("/"), Err(UNSUPPORTED));
    assert_eq!(store.read("/missing/file", 0, &mut [0; 4]), Err(NOT_FOUND));
    assert_eq!(store.write("/", 0, b"x", true, false), Err(IS_A_DIRECTORY));
}

#[test]
fn what_was_written_survives_a_remount() {
    let store = fresh();
    store.write("/keep.txt", 0, b"persistent", true, true).unwrap();
    let store = mount(store.into_device().disk().clone());
    assert_eq!(read_all(&store, "/keep.txt"), b"persistent");
}

#[test]
fn the_formatter_refuses_sizes_fat16_cannot_hold() {
    let disk = MemoryDisk::blank(4096);
    assert!(format(&disk, 4096, "x").is_err());
    assert!(format(&disk, 100, "x").is_err());
}

#[test]
fn a_disk_without_a_volume_does_not_mount() {
    let cache = Cached::new(MemoryDisk::blank(64));
    assert_eq!(FileStore::mount(&cache).err(), Some(CORRUPT));
}

#[test]
fn removed_files_give_their_space_back() {
    // Each round writes 2 MiB onto a 16 MiB disk; if removing leaked clusters, the disk
    // would be full by round eight.
    let store = fresh();
    let data = std::vec![0x5a; 2 * 1024 * 1024];
    for round in 0..12 {
        assert_eq!(store.write("/big.bin", 0, &data, true, true), Ok(data.len()), "round {round}");
        store.remove("/big.bin").unwrap();
    }
}

/// The sector cache in front of the disk.
mod cache;
/// A server that dies in the middle of a write, and the repair at the next mount.
mod crashes;
/// A full disk, empty files, `.` and `..`.
mod edges;
/// Listing through the request handler.
mod listing;
/// Files found again by path.
mod names;
/// Reads straight from a file's clusters.
mod reads;
