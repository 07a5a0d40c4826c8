//! The sector cache: what reaches the disk and when.

use super::*;

fn fresh_cache(sectors: u32) -> &'static Cached<MemoryDisk> {
    Box::leak(Box::new(Cached::new(MemoryDisk::blank(sectors))))
}

fn read_sector(cache: &Cached<MemoryDisk>, lba: u32) -> [u8; 512] {
    let mut block = [Block::new()];
    BlockDevice::read(&cache, &mut block, BlockIdx(lba)).unwrap();
    block[0].contents
}

fn write_sector(cache: &Cached<MemoryDisk>, lba: u32, byte: u8) -> Result<(), OutOfRange> {
    let mut block = Block::new();
    block.contents = [byte; 512];
    BlockDevice::write(&cache, &[block], BlockIdx(lba))
}

fn requests(store: &Store) -> u64 {
    store.with_device(|cache| cache.counters().requests)
}

#[test]
fn a_warm_read_asks_the_disk_nothing() {
    let store = fresh();
    let data = std::vec![0xa5u8; 4096];
    store.write("/warm.bin", 0, &data, true, true).unwrap();
    let before = requests(&store);
    assert_eq!(read_all(&store, "/warm.bin"), data);
    assert_eq!(names(&store, "/"), ["WARM.BIN"]);
    assert_eq!(requests(&store), before, "what was just written is read from the cache");
}

#[test]
fn a_cold_read_of_4k_takes_a_few_requests_not_one_per_sector() {
    let store = fresh();
    store.write("/cold.bin", 0, &[7u8; 4096], true, true).unwrap();
    store.with_device(|cache| cache.forget());
    let before = requests(&store);
    let mut buffer = [0u8; 4096];
    assert_eq!(store.read("/cold.bin", 0, &mut buffer), Ok(4096));
    assert_eq!(buffer, [7u8; 4096]);
    // The root directory's sector, a FAT sector, the first data sector, then the other seven
    // in one read-ahead: four requests for ten sectors.
    let cold = requests(&store) - before;
    assert!(cold <= 4, "a cold 4 KiB read made {cold} requests");
}

#[test]
fn writes_reach_the_disk_before_the_call_returns() {
    let store = fresh();
    store.write("/now.txt", 0, b"on the disk", true, true).unwrap();
    // A second volume on the same sectors, with a cache of its own, sees the file at once.
    let other = mount(store.with_device(|cache| cache.disk().clone()));
    assert_eq!(read_all(&other, "/now.txt"), b"on the disk");
    store.remove("/now.txt").unwrap();
    let other = mount(store.with_device(|cache| cache.disk().clone()));
    assert_eq!(other.stat("/now.txt"), Err(NOT_FOUND));
}

#[test]
fn sectors_of_one_set_do_not_evict_each_other() {
    // The partition table and the volume's first sector: a direct-mapped cache of any power
    // of two up to 2048 lines would put them in the same line.
    let cache = fresh_cache(4096);
    for _ in 0..10 {
        read_sector(cache, 0);
        read_sector(cache, PARTITION_START);
    }
    assert_eq!(cache.counters().misses, 2);
}

#[test]
fn a_full_set_gives_up_its_least_recently_used_line() {
    let cache = fresh_cache(4096);
    // Sectors 16 apart share a set of four lines; the reads are not sequential.
    for lba in [0, 16, 32, 48] {
        read_sector(cache, lba);
    }
    read_sector(cache, 0);
    read_sector(cache, 64); // evicts 16, used longest ago
    let misses = cache.counters().misses;
    read_sector(cache, 0);
    read_sector(cache, 32);
    assert_eq!(cache.counters().misses, misses, "0 and 32 stayed");
    read_sector(cache, 16);
    assert_eq!(cache.counters().misses, misses + 1, "16 went");
}

#[test]
fn sequential_misses_read_ahead_in_one_request() {
    let cache = fresh_cache(4096);
    read_sector(cache, 100);
    read_sector(cache, 101);
    let requests = cache.counters().requests;
    for lba in 102..101 + MAX_SECTORS as u32 {
        read_sector(cache, lba);
    }
    assert_eq!(cache.counters().requests, requests, "101 brought the next sectors with it");
    assert_eq!(requests, 2);
}

#[test]
fn read_ahead_stops_at_the_end_of_the_disk() {
    let cache = fresh_cache(20);
    cache.disk().sectors.borrow_mut()[19] = [9; 512];
    read_sector(cache, 18);
    assert_eq!(read_sector(cache, 19), [9; 512]);
}

#[test]
fn a_failed_write_is_kept_and_made_later() {
    let cache = fresh_cache(64);
    write_sector(cache, 5, 1).unwrap();
    cache.disk().refuse_writes.set(u32::MAX);
    assert!(write_sector(cache, 5, 2).is_err());
    // The disk may hold anything there; the cache keeps what it should hold, and serves it.
    assert!(cache.holds_unsure());
    assert_eq!(read_sector(cache, 5), [2; 512]);
    assert!(cache.settle().is_err(), "the disk still refuses");
    cache.disk().refuse_writes.set(0);
    // The next write puts it on the disk first.
    write_sector(cache, 6, 3).unwrap();
    assert!(!cache.holds_unsure());
    assert_eq!(cache.disk().sectors.borrow()[5], [2; 512]);
    assert_eq!(cache.disk().sectors.borrow()[6], [3; 512]);
}

#[test]
fn a_write_refused_once_is_tried_again() {
    let cache = fresh_cache(64);
    cache.disk().refuse_writes.set(1);
    write_sector(cache, 5, 3).unwrap();
    assert_eq!(cache.disk().sectors.borrow()[5], [3; 512], "the second attempt landed");
    let requests = cache.counters().requests;
    assert_eq!(read_sector(cache, 5), [3; 512]);
    assert_eq!(cache.counters().requests, requests, "and the cache kept it");
}

#[test]
fn a_write_the_disk_did_not_keep_is_made_again() {
    let cache = fresh_cache(64);
    cache.disk().garble_writes.set((0, 1));
    write_sector(cache, 5, 3).unwrap();
    assert_eq!(cache.disk().sectors.borrow()[5], [3; 512], "the second attempt stuck");
    assert_eq!(cache.counters().not_kept, 1);
}

#[test]
fn a_disk_that_keeps_no_write_fails_it() {
    let cache = fresh_cache(64);
    write_sector(cache, 5, 1).unwrap();
    cache.disk().garble_writes.set((0, u32::MAX));
    assert!(write_sector(cache, 5, 2).is_err(), "acknowledged twice, kept neither time");
    assert!(cache.holds_unsure());
    cache.disk().garble_writes.set((0, 0));
    assert!(cache.settle().is_ok());
    assert_eq!(cache.disk().sectors.borrow()[5], [2; 512]);
}

#[test]
fn a_file_written_through_a_disk_that_lied_once_is_whole() {
    // Each sector write of creating the file in turn lands wrong, acknowledged.
    let data = std::vec![0x5au8; 3000];
    let writes = {
        let store = fresh();
        let before = store.with_device(|cache| cache.disk().writes.get());
        store.write("/LIED.BIN", 0, &data, true, true).unwrap();
        store.with_device(|cache| cache.disk().writes.get()) - before
    };
    assert!(writes >= 3, "data, FAT and directory entry: {writes} writes");
    for garbled in 0..writes {
        let store = fresh();
        store.with_device(|cache| cache.disk().garble_writes.set((garbled, 1)));
        assert_eq!(store.write("/LIED.BIN", 0, &data, true, true), Ok(3000));
        let disk = store.with_device(|cache| cache.disk().clone());
        assert_eq!(super::crashes::left_to_repair(&disk), crate::repair::Repaired::default());
        assert_eq!(read_all(&mount(disk), "/LIED.BIN"), data, "write {garbled} garbled");
    }
}

#[test]
fn a_file_written_through_one_failed_request_is_whole() {
    let store = fresh();
    store.with_device(|cache| cache.disk().refuse_writes.set(1));
    let data = std::vec![0x3cu8; 3000];
    assert_eq!(store.write("/ONCE.BIN", 0, &data, true, true), Ok(3000));
    let other = mount(store.with_device(|cache| cache.disk().clone()));
    assert_eq!(read_all(&other, "/ONCE.BIN"), data);
}

#[test]
fn no_operation_leaves_a_handle_open() {
    let store = fresh();
    store.make_directory("/d").unwrap();
    store.write("/d/f.txt", 0, b"x", true, true).unwrap();
    let _ = store.read("/d/f.txt", 0, &mut [0; 4]);
    let _ = store.read("/d/missing", 0, &mut [0; 4]);
    let _ = store.write("/d/f.txt", 99, b"x", false, false);
    let _ = store.remove("/d");
    let _ = store.rename("/d/f.txt", "/g.txt");
    let _ = store.list("/d", 0, |_| true);
    assert!(!store.holds_open_handles());
}

#[test]
fn a_damaged_line_is_read_again_from_the_disk() {
    let cache = fresh_cache(64);
    write_sector(cache, 9, 3).unwrap();
    // A stray write flips one bit of the cached copy (as the fault campaign's flipmem does).
    cache.damage(9, 100, 0x10);
    assert_eq!(read_sector(cache, 9), [3; 512]);
    assert_eq!(cache.counters().repaired, 1);
    assert_eq!(read_sector(cache, 9), [3; 512]);
    assert_eq!(cache.counters().repaired, 1, "the line read again is intact");
}

#[test]
fn an_empty_line_marked_valid_is_not_taken_for_a_sector() {
    let cache = fresh_cache(64);
    cache.disk().sectors.borrow_mut()[0] = [0xee; 512];
    cache.damage_tags();
    assert_eq!(read_sector(cache, 0), [0xee; 512]);
}
