//! Files found again by path: fewer sectors looked at, and never a stale answer.

use super::*;

/// Sectors the cache was asked for (found or fetched).
fn sectors_asked(store: &Store) -> u64 {
    store.with_device(|cache| {
        let counters = cache.counters();
        counters.hits + counters.misses
    })
}

fn read_4k(store: &Store, path: &str) -> Result<Vec<u8>, u64> {
    let mut buffer = std::vec![0u8; 4096];
    let n = store.read(path, 0, &mut buffer)?;
    buffer.truncate(n);
    Ok(buffer)
}

#[test]
fn a_file_read_again_skips_its_directory() {
    let store = fresh();
    store.write("/AGAIN.BIN", 0, &[9u8; 4096], true, true).unwrap();
    let before = sectors_asked(&store);
    assert_eq!(read_4k(&store, "/AGAIN.BIN").unwrap(), [9u8; 4096]);
    let first = sectors_asked(&store) - before;
    let before = sectors_asked(&store);
    assert_eq!(read_4k(&store, "/AGAIN.BIN").unwrap(), [9u8; 4096]);
    let again = sectors_asked(&store) - before;
    // The test disk has 2 KiB clusters: the file's eight sectors and one of the FAT.
    assert_eq!(again, 9, "the file's sectors and its chain, no directory");
    assert!(first > again, "the first read looked in the directory ({first} sectors)");
}

#[test]
fn every_change_to_the_volume_is_seen_by_the_next_read() {
    let store = fresh();
    store.write("/F.BIN", 0, &[1u8; 3000], true, true).unwrap();
    assert_eq!(read_4k(&store, "/F.BIN").unwrap(), [1u8; 3000]);
    // Rewritten elsewhere on the disk, with another length.
    store.remove("/F.BIN").unwrap();
    store.write("/G.BIN", 0, &[2u8; 5000], true, true).unwrap();
    store.write("/f.bin", 0, &[3u8; 1000], true, true).unwrap();
    assert_eq!(read_4k(&store, "/F.BIN").unwrap(), [3u8; 1000]);
    // Grown in place.
    store.write("/F.BIN", 1000, &[4u8; 500], false, false).unwrap();
    assert_eq!(read_4k(&store, "/F.BIN").unwrap().len(), 1500);
    // Renamed away, and a directory made under the old name.
    store.rename("/F.BIN", "/H.BIN").unwrap();
    assert_eq!(read_4k(&store, "/F.BIN"), Err(NOT_FOUND));
    store.make_directory("/F.BIN").unwrap();
    assert_eq!(read_4k(&store, "/F.BIN"), Err(IS_A_DIRECTORY));
    assert_eq!(read_4k(&store, "/H.BIN").unwrap()[999..1001], [3, 4]);
}

#[test]
fn a_damaged_record_is_looked_up_again() {
    let store = fresh();
    store.write("/D.BIN", 0, &[7u8; 4096], true, true).unwrap();
    assert_eq!(read_4k(&store, "/D.BIN").unwrap(), [7u8; 4096]);
    store.names.damage();
    assert_eq!(read_4k(&store, "/D.BIN").unwrap(), [7u8; 4096]);
}

#[test]
fn dropping_the_cache_forgets_the_files_too() {
    let store = fresh();
    store.write("/C.BIN", 0, &[5u8; 4096], true, true).unwrap();
    read_4k(&store, "/C.BIN").unwrap();
    store.forget_names();
    let before = sectors_asked(&store);
    read_4k(&store, "/C.BIN").unwrap();
    let asked = sectors_asked(&store) - before;
    assert!(asked > 9, "the read looks in the directory again ({asked} sectors)");
}
