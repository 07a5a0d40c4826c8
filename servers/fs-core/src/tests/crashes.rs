//! A file server that dies in the middle of a write, at each of its sector writes in turn, and
//! what the next mount finds: every other file as it was, and no space nobody owns.

use super::*;
use crate::repair::{self, Repaired};

/// What a repair would still change on `disk`.
pub(super) fn left_to_repair(disk: &MemoryDisk) -> Repaired {
    let layout = fat16::Layout::read(disk).unwrap().expect("a FAT16 volume");
    repair::check(disk, &layout).unwrap()
}

fn layout_of(disk: &MemoryDisk) -> fat16::Layout {
    fat16::Layout::read(disk).unwrap().expect("a FAT16 volume")
}

/// The first cluster the FAT marks free.
fn a_free_cluster(disk: &MemoryDisk) -> u32 {
    let layout = layout_of(disk);
    layout.cluster_range().find(|&c| layout.entry(disk, c).unwrap() == 0).expect("free space")
}

/// The first cluster of the file named `name` (11 bytes, as FAT stores it).
fn first_cluster_of(disk: &MemoryDisk, name: &[u8; 11]) -> u32 {
    let sectors = disk.sectors.borrow();
    let entry = sectors.iter().flat_map(|s| s.chunks_exact(32)).find(|e| e[..11] == *name);
    let entry = entry.expect("the file's entry");
    u32::from(u16::from_le_bytes([entry[26], entry[27]]))
}

const END_OF_CHAIN: u16 = 0xffff;

/// Whether every FAT copy on `disk` holds the same bytes as the first, read straight from it.
fn fats_agree(disk: &MemoryDisk) -> bool {
    let layout = layout_of(disk);
    let sectors = disk.sectors.borrow();
    (0..layout.fat_sectors).all(|index| {
        let first = &sectors[layout.fat_sector(0, index) as usize];
        (1..layout.fats()).all(|copy| sectors[layout.fat_sector(copy, index) as usize] == *first)
    })
}

#[test]
fn a_fat_copy_a_crash_left_behind_is_made_to_agree_at_mount() {
    let store = fresh();
    store.write("/KEEP.TXT", 0, b"kept", true, true).unwrap();
    let disk = store.with_device(|cache| cache.disk().clone());
    // A crash between the first FAT's copy of a change and the second's.
    let layout = layout_of(&disk);
    assert!(layout.fats() > 1, "the volume keeps two FATs");
    let second = layout.fat_sector(1, 0) as usize;
    disk.sectors.borrow_mut()[second][100] ^= 0xff;
    assert!(!fats_agree(&disk));
    assert_eq!(left_to_repair(&disk), Repaired { mirrored: 1, ..Repaired::default() });
    let again = mount(disk.clone());
    assert!(fats_agree(&disk));
    assert_eq!(left_to_repair(&disk), Repaired::default());
    assert_eq!(read_all(&again, "/KEEP.TXT"), b"kept");
}

#[test]
fn a_repair_says_what_it_changed() {
    let r = Repaired { freed: 2, fitted: 0, mirrored: 1 };
    assert_eq!(
        std::format!("{r}"),
        "2 clusters nobody owned freed, 1 FAT sectors copied from the first FAT into the others"
    );
    assert_eq!(std::format!("{}", Repaired::default()), "nothing");
}

#[test]
fn a_cluster_no_entry_reaches_is_given_back_at_mount() {
    let store = fresh();
    store.write("/KEEP.TXT", 0, b"kept", true, true).unwrap();
    let disk = store.with_device(|cache| cache.disk().clone());
    // A crash between linking a new file's first cluster and recording it in its entry.
    let lost = a_free_cluster(&disk);
    layout_of(&disk).set_entry(&disk, lost, END_OF_CHAIN).unwrap();
    assert_eq!(left_to_repair(&disk), Repaired { freed: 1, ..Repaired::default() });
    let again = mount(disk.clone());
    assert_eq!(left_to_repair(&disk), Repaired::default());
    assert_eq!(layout_of(&disk).entry(&disk, lost).unwrap(), 0);
    assert_eq!(read_all(&again, "/KEEP.TXT"), b"kept");
}

#[test]
fn a_change_is_followed_by_a_walk_when_the_server_is_idle() {
    // A file server whose own code is damaged leaves space nobody owns while its disk works
    // (a code mutation made a removal skip freeing its chain): no failure asks for a repair.
    let store = fresh();
    let write = Request { path: b"/KEEP.TXT", data: b"kept".to_vec() };
    let mut scratch = Scratch::new();
    assert!(!store.check_pending());
    let flags = service_api::fs::CREATE;
    crate::requests::handle(&store, &mut scratch, WRITE_OP, [0, flags, 0, 0], &write).unwrap();
    assert!(store.check_pending());
    let disk = store.with_device(|cache| cache.disk().clone());
    let (layout, lost) = (layout_of(&disk), a_free_cluster(&disk));
    store.with_device(|cache| layout.set_entry(&*cache, lost, END_OF_CHAIN)).unwrap();
    assert_eq!(left_to_repair(&disk), Repaired { freed: 1, ..Repaired::default() });
    store.check_if_changed();
    assert_eq!(left_to_repair(&disk), Repaired::default());
    assert!(!store.check_pending());
    let freed = Repaired { freed: 1, ..Repaired::default() };
    assert_eq!(store.take_repair_report(), Some(Ok(freed)));
}

#[test]
fn a_chain_longer_than_its_file_is_cut_at_mount() {
    let store = fresh();
    let bytes = std::vec![7u8; 100];
    store.write("/LONG.TXT", 0, &bytes, true, true).unwrap();
    let disk = store.with_device(|cache| cache.disk().clone());
    // A crash after a write linked one more cluster, before the entry's size grew.
    let (layout, first, extra) =
        (layout_of(&disk), first_cluster_of(&disk, b"LONG    TXT"), a_free_cluster(&disk));
    layout.set_entry(&disk, first, extra as u16).unwrap();
    layout.set_entry(&disk, extra, END_OF_CHAIN).unwrap();
    // The tail past the file's size is cut off, and with it one cluster freed.
    assert_eq!(left_to_repair(&disk), Repaired { freed: 1, fitted: 1, ..Repaired::default() });
    let again = mount(disk.clone());
    assert_eq!(left_to_repair(&disk), Repaired::default());
    assert_eq!(layout.entry(&disk, extra).unwrap(), 0, "the tail is free again");
    assert_eq!(read_all(&again, "/LONG.TXT"), bytes);
}

#[test]
fn a_write_cut_short_at_any_sector_loses_no_other_file_and_no_space() {
    let base = fresh();
    let old: Vec<u8> = (0..6_000).map(|i: u32| (i % 253) as u8).collect();
    base.write("/OLD.BIN", 0, &old, true, true).unwrap();
    base.make_directory("/DIR").unwrap();
    base.write("/DIR/ALSO.BIN", 0, &old, true, true).unwrap();
    let pristine = base.with_device(|cache| cache.disk().sectors.borrow().clone());
    let new: Vec<u8> = (0..9_000).map(|i: u32| (i % 241) as u8).collect();
    // Each write in turn: a new file, then one more cluster's worth onto an old one.
    let writes: [(&str, u32, &[u8]); 2] = [("/DIR/NEW.BIN", 0, &new), ("/OLD.BIN", 6_000, &new)];
    for (path, offset, data) in writes {
        let counting = MemoryDisk::holding(&pristine);
        let store = mount(counting.clone());
        let before = counting.writes.get();
        store.write(path, offset, data, offset == 0, false).unwrap();
        let sector_writes = counting.writes.get() - before;
        assert!(sector_writes >= 3, "{path}: a write of data, FAT and entry");
        for crash_at in 0..sector_writes {
            let disk = MemoryDisk::holding(&pristine);
            let store = mount(disk.clone());
            disk.writes_before_crash.set(Some(crash_at));
            let _ = store.write(path, offset, data, offset == 0, false);
            disk.writes_before_crash.set(None);
            let after = mount(disk.clone());
            let when = std::format!("{path}, cut short after {crash_at} of {sector_writes} writes");
            assert_eq!(left_to_repair(&disk), Repaired::default(), "{when}");
            assert!(fats_agree(&disk), "{when}: the FAT copies differ");
            assert_eq!(read_all(&after, "/DIR/ALSO.BIN"), old, "{when}");
            // A new file the crash came before is not there at all.
            let written = match after.stat(path) {
                Err(NOT_FOUND) => Vec::new(),
                _ => read_all(&after, path),
            };
            let whole = [&old[..offset as usize], data].concat();
            let before = if offset == 0 { &[][..] } else { &old[..] };
            assert!(written == before || written == whole, "{when}: {} bytes", written.len());
        }
    }
}

/// A request's leases: the path, and the bytes to write.
struct Request {
    path: &'static [u8],
    data: Vec<u8>,
}

impl service_api::leases::Leases for Request {
    fn length(&self, index: usize, write: bool) -> Option<u64> {
        match (index, write) {
            (0, false) => Some(self.path.len() as u64),
            (1, false) => Some(self.data.len() as u64),
            _ => None,
        }
    }

    fn read(&self, index: usize, offset: u64, into: &mut [u8]) -> bool {
        let source = if index == 0 { self.path } else { &self.data[..] };
        let start = offset as usize;
        match source.get(start..start + into.len()) {
            Some(bytes) => {
                into.copy_from_slice(bytes);
                true
            }
            None => false,
        }
    }

    fn write(&self, _index: usize, _offset: u64, _bytes: &[u8]) -> bool {
        false
    }
}

#[test]
fn a_write_the_device_failed_is_repaired_at_the_next_request() {
    // The block driver dies under a write and comes back; the file server goes on.
    fails_under_a_write_then_works(false);
}

#[test]
fn a_write_that_failed_leaving_garbage_is_made_at_the_next_request() {
    // The block driver, damaged, writes garbage where each sector was to go and says the write
    // failed; then it is restarted and works.
    fails_under_a_write_then_works(true);
}

/// A new file's write fails from each of its sector writes on in turn (leaving `garbage` where
/// the refused sectors were to go), then the disk works again: after the file server's next
/// request nothing is left to repair, and the file written before is as it was.
fn fails_under_a_write_then_works(garbage: bool) {
    let base = fresh();
    base.write("/OLD.TXT", 0, b"written before", true, true).unwrap();
    let pristine = base.with_device(|cache| cache.disk().sectors.borrow().clone());
    let data: Vec<u8> = (0..9_000).map(|i: u32| (i % 241) as u8).collect();
    let write = Request { path: b"/NEW.BIN", data };
    let stat = Request { path: b"/", data: Vec::new() };
    let mut scratch = Scratch::new();
    let flags = service_api::fs::CREATE;
    let mut cut_short = 0;
    for fail_at in 0..40 {
        let disk = MemoryDisk::holding(&pristine);
        let store = mount(disk.clone());
        disk.garble_refused.set(garbage);
        disk.writes_before_crash.set(Some(fail_at));
        let failed =
            crate::requests::handle(&store, &mut scratch, WRITE_OP, [0, flags, 0, 0], &write);
        disk.writes_before_crash.set(None);
        if failed.is_ok() {
            break; // every write reached the disk: nothing was cut short
        }
        cut_short += 1;
        let _ = crate::requests::handle(&store, &mut scratch, STAT_OP, [0; 4], &stat);
        assert_eq!(left_to_repair(&disk), Repaired::default(), "failed after {fail_at} writes");
        assert_eq!(read_all(&mount(disk), "/OLD.TXT"), b"written before");
    }
    assert!(cut_short >= 3, "the write took only {cut_short} sector writes");
}

const WRITE_OP: u32 = service_api::fs::WRITE;
const STAT_OP: u32 = service_api::fs::STAT;
