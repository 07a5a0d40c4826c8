//! The edges of the volume: a full disk, empty files, the names `.` and `..`.

use super::*;

/// The first cluster and size in the directory entry named `name` (11 bytes, as FAT stores
/// it), wherever it is on the disk.
fn raw_entry(disk: &MemoryDisk, name: &[u8; 11]) -> Option<(u16, u32)> {
    let sectors = disk.sectors.borrow();
    sectors.iter().flat_map(|sector| sector.chunks_exact(32)).find_map(|entry| {
        (entry[..11] == *name && entry[11] & 0x08 == 0).then(|| {
            let cluster = u16::from_le_bytes([entry[26], entry[27]]);
            (cluster, u32::from_le_bytes([entry[28], entry[29], entry[30], entry[31]]))
        })
    })
}

/// Free entries in the first FAT.
fn free_clusters(disk: &MemoryDisk) -> usize {
    let layout = fat16::Layout::read(disk).unwrap().expect("a FAT16 volume");
    let sectors = disk.sectors.borrow();
    let fat = layout.fat_start as usize..(layout.fat_start + layout.fat_sectors) as usize;
    sectors[fat].iter().flat_map(|s| s.chunks_exact(2)).filter(|e| *e == [0, 0]).count()
}

fn disk_of(store: &Store) -> MemoryDisk {
    store.with_device(|cache| cache.disk().clone())
}

#[test]
fn a_full_disk_says_no_space_and_keeps_what_it_holds() {
    let store = fresh();
    let megabyte: Vec<u8> = (0..1 << 20).map(|i: u32| (i % 251) as u8).collect();
    let mut written = 0;
    let error = loop {
        match store.write(&std::format!("/F{written}.BIN"), 0, &megabyte, true, true) {
            Ok(_) => written += 1,
            Err(error) => break error,
        }
        assert!(written < 64, "a 16 MiB disk never filled");
    };
    assert_eq!(error, NO_SPACE, "a full disk is no space, not {}", status::describe(error));
    assert!(written >= 14, "only {written} MiB fitted");
    assert_eq!(read_all(&store, "/F0.BIN"), megabyte);
    assert_eq!(read_all(&store, &std::format!("/F{}.BIN", written - 1)), megabyte);
    // Space given back is space to write again.
    store.remove("/F0.BIN").unwrap();
    store.write("/AGAIN.BIN", 0, &megabyte, true, true).unwrap();
    assert_eq!(read_all(&store, "/AGAIN.BIN"), megabyte);
}

#[test]
fn a_write_that_fills_the_disk_leaves_every_chain_as_long_as_its_file() {
    // The last free cluster goes to a file whose write then reports the disk full: the
    // chain must not keep a cluster its size does not cover.
    let store = fresh();
    let disk = disk_of(&store);
    let chunk = std::vec![6u8; 1 << 20];
    let mut n = 0;
    while store.write(&std::format!("/G{n}.BIN"), 0, &chunk, true, true).is_ok() {
        n += 1;
    }
    let layout = fat16::Layout::read(&disk).unwrap().unwrap();
    let cluster_bytes = layout.sectors_per_cluster * 512;
    let sectors = disk.sectors.borrow().clone();
    let mut owned = 0;
    for entry in sectors.iter().flat_map(|s| s.chunks_exact(32)) {
        let is_file = entry[0] == b'G' && entry[11] & 0x18 == 0;
        if !is_file {
            continue;
        }
        let size = u32::from_le_bytes([entry[28], entry[29], entry[30], entry[31]]);
        let mut cluster = u32::from(u16::from_le_bytes([entry[26], entry[27]]));
        let mut length = 0;
        while cluster != 0 {
            length += 1;
            cluster = layout.next_cluster(&disk, cluster).unwrap().unwrap_or(0);
        }
        assert_eq!(length, size.div_ceil(cluster_bytes), "a chain as long as its file");
        owned += length;
    }
    let free = free_clusters(&disk) as u32;
    assert!(owned + free <= layout.clusters(), "no cluster past the volume is in use");
}

#[test]
fn an_empty_file_owns_no_cluster() {
    let store = fresh();
    let disk = disk_of(&store);
    let free = free_clusters(&disk);
    store.write("/E.TXT", 0, b"", true, true).unwrap();
    assert_eq!(raw_entry(&disk, b"E       TXT"), Some((0, 0)), "created empty");
    store.write("/E.TXT", 0, &[1u8; 5000], false, true).unwrap();
    assert!(free_clusters(&disk) < free);
    store.write("/E.TXT", 0, b"", false, true).unwrap();
    assert_eq!(raw_entry(&disk, b"E       TXT"), Some((0, 0)), "truncated to nothing");
    assert_eq!(free_clusters(&disk), free, "every cluster came back");
    assert_eq!(read_all(&store, "/E.TXT"), b"");
    // An empty write to a file with bytes leaves them alone.
    store.write("/E.TXT", 0, b"kept", false, false).unwrap();
    store.write("/E.TXT", 4, b"", false, false).unwrap();
    assert_eq!(read_all(&store, "/E.TXT"), b"kept");
}

#[test]
fn dot_and_dot_dot_are_not_names_to_change() {
    let store = fresh();
    store.make_directory("/D").unwrap();
    for path in ["/.", "/..", "/D/.", "/D/..", "/./", "/D/../"] {
        assert_eq!(store.make_directory(path), Err(BAD_NAME), "mkdir {path}");
        let refused = if path.ends_with('/') { IS_A_DIRECTORY } else { BAD_NAME };
        assert_eq!(store.write(path, 0, b"x", true, true), Err(refused), "write {path}");
        assert_eq!(store.remove(path), Err(BAD_NAME), "remove {path}");
    }
    assert_eq!(names(&store, "/"), ["D/"]);
}

#[test]
fn a_path_ending_in_a_slash_is_no_file_to_write() {
    let store = fresh();
    assert_eq!(store.write("/X/", 0, b"hi", true, true), Err(IS_A_DIRECTORY));
    assert_eq!(store.stat("/X"), Err(NOT_FOUND), "nothing was made");
    store.make_directory("/D/").unwrap();
    assert_eq!(store.write("/D/", 0, b"hi", true, true), Err(IS_A_DIRECTORY));
    assert_eq!(names(&store, "/"), ["D/"]);
}
