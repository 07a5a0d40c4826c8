//! Repair at mount: what a file server that died in the middle of a write can leave behind.
//!
//! `embedded-sdmmc` writes a file's data and links its clusters into the FAT first, and records
//! the file's new size in its directory entry when the file is closed; `fat16::fit_chain` cuts
//! a chain before it frees the rest. So a crash at any point of a write leaves every directory
//! entry as it was before the write or as it is after it: no file that was whole before loses
//! a byte. What it can leave is space nobody owns: clusters the FAT marks used that no entry
//! reaches (a new file whose entry never got its first cluster, the tail of a cut chain), and
//! chains longer than their file needs (a write that grew the chain and died before the entry
//! grew). `fsck.fat` reports both. `repair` runs at every mount, so on a restarted server's
//! first request: it fits every file's chain to its size and frees every used cluster that no
//! entry reaches. It changes nothing until the whole tree has been walked, and nothing at all
//! if the walk cannot finish (more directories than it keeps track of, a chain with a loop, a
//! cluster with two owners): a cluster is freed only when the whole tree was seen without it.
//!
//! Every change to the FAT is written to each of its copies in turn, the first first; a crash
//! between them leaves the copies different (`fsck.fat`: "FATs differ"). The repair then makes
//! the others agree with the first, which is the one read.

use crate::fat16::{self, Layout, read};
use embedded_sdmmc::{Block, BlockDevice, BlockIdx};
use service_api::status;

/// Directory entries are 32 bytes: name, attributes at 11, first cluster at 26, size at 28.
const ENTRY: usize = 32;
const DIRECTORY: u8 = 0x10;
const VOLUME_LABEL: u8 = 0x08;
/// Attributes of a long-name piece (read-only, hidden, system, volume label).
const LONG_NAME: u8 = 0x0f;
/// The first name byte of a deleted entry, and of the entry after the last.
const DELETED: u8 = 0xe5;
const END: u8 = 0;
/// A FAT16 entry marking a bad cluster: used, but by no file.
const BAD_CLUSTER: u16 = 0xfff7;
/// Directories the walk keeps track of: far more than any tree on the data disk.
const MAX_DIRECTORIES: usize = 64;
/// Files a repair cuts at once: one crash leaves one, a few crashes a few.
const MAX_FITS: usize = 64;
/// Clusters a FAT16 volume can number.
const MAX_CLUSTERS: usize = 65_536;

/// What a repair changed (or, for `check`, would change).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Repaired {
    /// Used clusters that no entry reached (the tails cut off included), now free.
    pub freed: u32,
    /// Files whose chain was longer than their size, now cut to fit.
    pub fitted: u32,
    /// Sectors of the other FATs that differed from the first, now copied from it.
    pub mirrored: u32,
}

/// What was changed, as a sentence's end: "freed 2 clusters nobody owned, ...".
impl core::fmt::Display for Repaired {
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        let parts = [
            (self.freed, "clusters nobody owned freed"),
            (self.fitted, "chains cut to their file's size"),
            (self.mirrored, "FAT sectors copied from the first FAT into the others"),
        ];
        let mut first = true;
        for (count, what) in parts.into_iter().filter(|&(count, _)| count > 0) {
            write!(f, "{}{count} {what}", if first { "" } else { ", " })?;
            first = false;
        }
        if first {
            f.write_str("nothing")?;
        }
        Ok(())
    }
}

/// Repairs the volume on `device` (see the module comment).
pub fn repair<D: BlockDevice>(device: &D, layout: &Layout) -> Result<Repaired, u64> {
    walk(device, layout, true)
}

/// What `repair` would change, changing nothing.
#[cfg(test)]
pub fn check<D: BlockDevice>(device: &D, layout: &Layout) -> Result<Repaired, u64> {
    walk(device, layout, false)
}

fn walk<D: BlockDevice>(device: &D, layout: &Layout, fix: bool) -> Result<Repaired, u64> {
    if layout.cluster_range().end as usize > MAX_CLUSTERS {
        return Err(status::CORRUPT); // more clusters than FAT16 numbers: a damaged boot sector
    }
    // Every directory below the root, by its first cluster, breadth first.
    let mut directories = Directories { first: [0; MAX_DIRECTORIES], count: 0 };
    root_entries(device, layout, &mut |_, _, entry| directories.add(entry))?;
    let mut next = 0;
    while next < directories.count {
        let first = directories.first[next];
        next += 1;
        directory_entries(device, layout, first, &mut |_, _, entry| directories.add(entry))?;
    }
    let directories = &directories.first[..directories.count];
    // Every file: its chain fitted to its size, then marked as reached.
    let mut reached = Reached([0; MAX_CLUSTERS / 64]);
    let mut repaired = Repaired::default();
    // Every file's chain is marked as far as its size reaches; a longer one is noted, and only
    // cut once the whole tree has been walked without finding two owners for a cluster.
    let mut too_long = [(0u32, 0usize); MAX_FITS];
    let mut file = |sector: u32, at: usize, entry: &[u8]| -> Result<(), u64> {
        if entry[11] & DIRECTORY != 0 {
            return Ok(());
        }
        let size = u32::from_le_bytes([entry[28], entry[29], entry[30], entry[31]]);
        let keep = size.div_ceil(layout.sectors_per_cluster * 512);
        if mark_chain(device, layout, &mut reached, first_cluster(entry), keep)? {
            *too_long.get_mut(repaired.fitted as usize).ok_or(status::CORRUPT)? = (sector, at);
            repaired.fitted += 1;
        }
        Ok(())
    };
    root_entries(device, layout, &mut file)?;
    for &first in directories {
        directory_entries(device, layout, first, &mut file)?;
    }
    for &first in directories {
        mark_chain(device, layout, &mut reached, first, u32::MAX)?;
    }
    if fix {
        for &(sector, at) in &too_long[..repaired.fitted as usize] {
            fat16::fit_chain(device, BlockIdx(sector), at as u32)?;
        }
    }
    repaired.freed = free_unreached(device, layout, &reached, fix)?;
    repaired.mirrored = mirror_fats(device, layout, fix)?;
    Ok(repaired)
}

/// Makes (if `fix`) every other FAT agree with the first, a sector at a time; returns how many
/// sectors differed.
fn mirror_fats<D: BlockDevice>(device: &D, layout: &Layout, fix: bool) -> Result<u32, u64> {
    let mut differed = 0;
    for index in 0..layout.fat_sectors {
        let first = read(device, layout.fat_sector(0, index))?;
        for copy in 1..layout.fats() {
            let sector = layout.fat_sector(copy, index);
            if read(device, sector)?.contents == first.contents {
                continue;
            }
            differed += 1;
            if fix {
                device
                    .write(core::slice::from_ref(&first), BlockIdx(sector))
                    .map_err(|_| status::DEVICE_ERROR)?;
            }
        }
    }
    Ok(differed)
}

/// What `root_entries` and `directory_entries` call for each entry of a file or directory
/// (not deleted, not `.` or `..`, not a long-name piece or the volume label): the sector and
/// offset of the entry, and its 32 bytes.
type EachEntry<'a> = dyn FnMut(u32, usize, &[u8]) -> Result<(), u64> + 'a;

/// Calls `each` for every entry of the root directory (a fixed run of sectors in FAT16).
fn root_entries<D: BlockDevice>(
    device: &D,
    layout: &Layout,
    each: &mut EachEntry,
) -> Result<(), u64> {
    for sector in layout.root_sectors() {
        if !entries_in(sector, &read(device, sector)?, each)? {
            break;
        }
    }
    Ok(())
}

/// Calls `each` for every entry of the directory whose chain starts at `first`.
fn directory_entries<D: BlockDevice>(
    device: &D,
    layout: &Layout,
    first: u32,
    each: &mut EachEntry,
) -> Result<(), u64> {
    let mut cluster = Some(first);
    let mut steps = 0;
    while let Some(current) = cluster {
        steps += 1;
        let start = layout.cluster_sector(current).filter(|_| steps <= MAX_CLUSTERS);
        let start = start.ok_or(status::CORRUPT)?;
        for sector in start..start + layout.sectors_per_cluster {
            if !entries_in(sector, &read(device, sector)?, each)? {
                return Ok(());
            }
        }
        cluster = layout.next_cluster(device, current)?;
    }
    Ok(())
}

/// Calls `each` for the entries of one directory sector; false at the directory's end.
fn entries_in(sector: u32, block: &Block, each: &mut EachEntry) -> Result<bool, u64> {
    for (index, entry) in block.contents.chunks_exact(ENTRY).enumerate() {
        if entry[0] == END {
            return Ok(false);
        }
        let skip = entry[0] == DELETED
            || entry[0] == b'.'
            || entry[11] == LONG_NAME
            || entry[11] & VOLUME_LABEL != 0;
        if !skip {
            each(sector, index * ENTRY, entry)?;
        }
    }
    Ok(true)
}

/// The directories found so far, by first cluster.
struct Directories {
    first: [u32; MAX_DIRECTORIES],
    count: usize,
}

impl Directories {
    /// Keeps `entry` if it is a directory with clusters; too many is an error.
    fn add(&mut self, entry: &[u8]) -> Result<(), u64> {
        if entry[11] & DIRECTORY != 0 && first_cluster(entry) != 0 {
            *self.first.get_mut(self.count).ok_or(status::CORRUPT)? = first_cluster(entry);
            self.count += 1;
        }
        Ok(())
    }
}

fn first_cluster(entry: &[u8]) -> u32 {
    u32::from(u16::from_le_bytes([entry[26], entry[27]]))
}

/// Marks the first `keep` clusters of the chain from `first` (0: none) as reached; returns
/// whether the chain goes on past them. A cluster reached twice (a loop, or two owners, such
/// as a directory a crash left holding stale bytes) is corruption this repair does not undo.
fn mark_chain<D: BlockDevice>(
    device: &D,
    layout: &Layout,
    reached: &mut Reached,
    first: u32,
    keep: u32,
) -> Result<bool, u64> {
    let mut cluster = (first != 0).then_some(first);
    let mut marked = 0;
    while let Some(current) = cluster {
        if marked == keep {
            return Ok(true);
        }
        if layout.cluster_sector(current).is_none() || !reached.mark(current) {
            return Err(status::CORRUPT);
        }
        marked += 1;
        cluster = layout.next_cluster(device, current)?;
    }
    Ok(false)
}

/// Frees (if `fix`) every used cluster not in `reached`, a FAT sector at a time; returns how
/// many there were.
fn free_unreached<D: BlockDevice>(
    device: &D,
    layout: &Layout,
    reached: &Reached,
    fix: bool,
) -> Result<u32, u64> {
    let mut freed = 0;
    let clusters = layout.cluster_range();
    for fat_sector in 0..layout.fat_sectors {
        let mut block = read(device, layout.fat_start + fat_sector)?;
        let mut changed = false;
        for (i, pair) in block.contents.chunks_exact_mut(2).enumerate() {
            let cluster = fat_sector * 256 + i as u32;
            let value = u16::from_le_bytes([pair[0], pair[1]]);
            let used = value != 0 && value != BAD_CLUSTER;
            if clusters.contains(&cluster) && used && !reached.has(cluster) {
                freed += 1;
                pair.copy_from_slice(&[0, 0]);
                changed = true;
            }
        }
        if fix && changed {
            layout.write_fat_sector(device, fat_sector, &block)?;
        }
    }
    Ok(freed)
}

/// One bit per cluster of the volume: reached from a directory entry.
struct Reached([u64; MAX_CLUSTERS / 64]);

impl Reached {
    /// Marks `cluster`; false if it was marked already.
    fn mark(&mut self, cluster: u32) -> bool {
        let (word, bit) = (cluster as usize / 64, cluster % 64);
        let fresh = self.0[word] & 1 << bit == 0;
        self.0[word] |= 1 << bit;
        fresh
    }

    fn has(&self, cluster: u32) -> bool {
        self.0[cluster as usize / 64] & 1 << (cluster % 64) != 0
    }
}
