//! Reads that go straight to a file's clusters, against the bytes written.

use super::*;

fn patterned(length: u32, seed: u32) -> Vec<u8> {
    (0..length).map(|i| ((i * 7 + seed) % 251) as u8).collect()
}

/// Reads with one sector at a time and with runs of eight (as the servers do); both must
/// agree before the bytes are returned.
fn read_at(store: &Store, path: &str, offset: u32, length: usize) -> Result<Vec<u8>, u64> {
    let mut buffer = std::vec![0u8; length];
    let n = store.read(path, offset, &mut buffer)?;
    buffer.truncate(n);
    let mut again = std::vec![0u8; length];
    let mut scratch = Box::new(Scratch::new());
    let m = store.read_through(path, offset, &mut again, &mut scratch.blocks)?;
    again.truncate(m);
    assert_eq!(buffer, again, "a run of sectors reads as sectors one by one");
    Ok(buffer)
}

#[test]
fn reads_at_any_offset_and_length_give_the_bytes_written() {
    let store = fresh();
    let data = patterned(10_000, 3);
    store.write("/GRID.BIN", 0, &data, true, true).unwrap();
    // Sector-aligned offsets go straight to the clusters; the others through embedded-sdmmc.
    for offset in [0u32, 1, 511, 512, 2048, 4096, 4097, 6144, 9728, 9999, 10_000, 12_000] {
        for length in [1usize, 100, 511, 512, 513, 2048, 4096, 5000] {
            let start = (offset as usize).min(data.len());
            let end = (start + length).min(data.len());
            let got = read_at(&store, "/GRID.BIN", offset, length).unwrap();
            assert_eq!(got, &data[start..end], "offset {offset}, length {length}");
        }
    }
}

#[test]
fn a_file_grown_in_turns_with_another_is_read_along_its_chain() {
    let store = fresh();
    let (a, b) = (patterned(3000, 1), patterned(3000, 2));
    store.write("/A.BIN", 0, &a, true, true).unwrap();
    store.write("/B.BIN", 0, &b, true, true).unwrap();
    let more = patterned(7000, 5);
    store.write("/A.BIN", 3000, &more, false, false).unwrap();
    store.write("/B.BIN", 3000, &more, false, false).unwrap();
    let whole_a: Vec<u8> = a.iter().chain(&more).copied().collect();
    for offset in (0..10_000).step_by(2048) {
        let end = (offset + 4096).min(whole_a.len());
        assert_eq!(read_at(&store, "/A.BIN", offset as u32, 4096).unwrap(), &whole_a[offset..end]);
    }
    assert_eq!(read_all(&store, "/B.BIN")[3000..], more[..]);
}

#[test]
fn a_directory_is_not_read_as_a_file() {
    let store = fresh();
    store.make_directory("/D").unwrap();
    assert_eq!(read_at(&store, "/D", 0, 16), Err(IS_A_DIRECTORY));
    assert_eq!(read_at(&store, "/NONE.BIN", 0, 16), Err(NOT_FOUND));
}

#[test]
fn a_chain_cut_short_is_corrupt_not_a_panic() {
    let store = fresh();
    let data = patterned(9000, 4);
    store.write("/CUT.BIN", 0, &data, true, true).unwrap();
    let disk = store.with_device(|cache| cache.disk().clone());
    let layout = fat16::Layout::read(&disk).unwrap().expect("a FAT16 volume");
    let cluster_bytes = layout.sectors_per_cluster as usize * 512;
    // Find the file's first cluster in its directory entry, and end the chain there.
    let first = {
        let sectors = disk.sectors.borrow();
        let mut found = None;
        'search: for lba in layout.fat_start as usize..sectors.len() {
            for at in (0..512).step_by(32) {
                if &sectors[lba][at..at + 11] == b"CUT     BIN" {
                    found =
                        Some(u16::from_le_bytes([sectors[lba][at + 26], sectors[lba][at + 27]]));
                    break 'search;
                }
            }
        }
        u32::from(found.expect("the file's directory entry"))
    };
    let (sector, at) =
        (layout.fat_start as usize + first as usize * 2 / 512, first as usize * 2 % 512);
    disk.sectors.borrow_mut()[sector][at..at + 2].copy_from_slice(&0xffffu16.to_le_bytes());
    let store = mount(disk);
    assert_eq!(read_at(&store, "/CUT.BIN", 0, cluster_bytes).unwrap(), &data[..cluster_bytes]);
    assert_eq!(read_at(&store, "/CUT.BIN", cluster_bytes as u32, 512), Err(CORRUPT));
    assert_eq!(read_at(&store, "/CUT.BIN", 0, 9000), Err(CORRUPT));
}
