//! A write-through cache of sectors between the FAT code and a disk reached by requests (the
//! block driver behind IPC, or the monolithic kernel's built-in driver), so that the file
//! server asks the disk only for sectors it has not seen since it started.
//!
//! - **Write-through.** A write reaches the disk before the call returns; the cache never holds
//!   a sector newer than the disk's. A server that dies loses only speed, and a failed write
//!   drops the sectors it touched, since the disk's copy is then unknown.
//! - **Set-associative, least recently used.** A sector may sit in any of `WAYS` lines of the
//!   set its number selects, and a full set gives up the line used longest ago. In a
//!   direct-mapped cache two hot sectors whose numbers agree modulo its size (the partition
//!   table at 0 and the volume's first sector at 2048) would evict each other on every request.
//! - **Read-ahead on sequential misses.** A miss on the sector right after one of the last
//!   `STREAMS` misses' runs fetches up to `MAX_SECTORS` sectors in one request, stopping
//!   before one already cached: a file's sectors arrive in a few requests rather than one
//!   each, even though the FAT code reads a FAT sector between the file's first two.
//! - **Checked lines.** Each line keeps a checksum of its sector and number, tested before the
//!   line is used: a line changed by a stray write (the fault campaign's `flipmem` lands here
//!   more often than anywhere else in the server) is dropped and read again from the disk,
//!   which, being written through, is always right. A sum of 64-bit words catches any one
//!   flipped bit.
//! - **Writes read back.** After the disk says it wrote, the sectors are read again and
//!   compared, and a write that did not stick is made once more. A block driver whose state a
//!   fault damaged can say it wrote what it did not, or write it wrong; without the check the
//!   cache would hold, and the server believe, what the disk does not. It costs each write one
//!   read of the same length. Twice not kept is the disk's `not_kept` error.
//! - **A failed write is made again.** A write that failed, or did not stick, may have left
//!   its sectors holding anything (a damaged driver can write garbage and then say it failed).
//!   The cache keeps what they should hold in their lines, marked unsure, serves reads from
//!   them, and writes them (read back) before any other write and at the next request
//!   (`settle`), until the disk takes them. So every sector ends as it was before an operation
//!   or as the operation made it, which is what the repair after a failed change (`repair.rs`)
//!   expects.
//!   Only a server that dies first loses them.
//! - **No zeroing per request.** Transfers go through staging buffers owned by the cache.

use crate::Sectors;
use core::cell::RefCell;
use embedded_sdmmc::{Block, BlockCount, BlockDevice, BlockIdx};
use service_api::block::{MAX_SECTORS, SECTOR_SIZE, Transfer};

/// 16 sets of 4 lines: 32 KiB of sectors.
const SETS: usize = 16;
const WAYS: usize = 4;
/// Sequential readers told apart: a file's data and the FAT that chains it.
const STREAMS: usize = 2;

/// What the cache did since it was made (the tests read it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Sectors found in the cache.
    pub hits: u64,
    /// Sectors that had to come from the disk.
    pub misses: u64,
    /// Requests sent to the disk, reads and writes.
    pub requests: u64,
    /// Lines that failed their check and were read again.
    pub repaired: u64,
    /// Writes that read back different from what was written.
    pub not_kept: u64,
}

/// A disk of whole sectors behind the cache.
pub struct Cached<S> {
    disk: S,
    lines: RefCell<Lines>,
}

#[derive(Clone, Copy)]
struct Tag {
    lba: u32,
    valid: bool,
    /// The cache's clock when the line was last used.
    used: u64,
    /// `checksum(lba, data)` when the line was filled.
    sum: u64,
    /// The disk may not hold this line's sector: a write of it failed (`settle` writes it).
    unsure: bool,
}

struct Lines {
    tags: [[Tag; WAYS]; SETS],
    data: [[[u8; SECTOR_SIZE]; WAYS]; SETS],
    clock: u64,
    /// The sectors sequential readers would miss on next, the most recent first.
    sequential: [Option<u32>; STREAMS],
    staging: Transfer,
    /// Where written sectors are read back.
    check: Transfer,
    /// Whether some line may be unsure: set when one is stored, cleared when `settle` finds
    /// none, so that a request with nothing to settle does not look through every line.
    maybe_unsure: bool,
    counters: Counters,
}

impl<S: Sectors> Cached<S> {
    /// An empty cache in front of `disk`: nothing is read until asked for.
    pub const fn new(disk: S) -> Self {
        const EMPTY: Tag = Tag { lba: 0, valid: false, used: 0, sum: 0, unsure: false };
        Cached {
            disk,
            lines: RefCell::new(Lines {
                tags: [[EMPTY; WAYS]; SETS],
                data: [[[0; SECTOR_SIZE]; WAYS]; SETS],
                clock: 0,
                sequential: [None; STREAMS],
                staging: [0; MAX_SECTORS * SECTOR_SIZE],
                check: [0; MAX_SECTORS * SECTOR_SIZE],
                maybe_unsure: false,
                counters: Counters { hits: 0, misses: 0, requests: 0, repaired: 0, not_kept: 0 },
            }),
        }
    }

    /// The disk behind the cache.
    pub fn disk(&self) -> &S {
        &self.disk
    }

    pub fn counters(&self) -> Counters {
        self.lines.borrow().counters
    }

    /// Forgets every sector the disk holds (the next reads go to the disk): for measuring a
    /// cold cache. Unsure sectors stay until they are written.
    pub fn forget(&self) {
        let mut lines = self.lines.borrow_mut();
        for set in lines.tags.iter_mut() {
            for tag in set.iter_mut() {
                tag.valid &= tag.unsure;
            }
        }
        lines.sequential = [None; STREAMS];
    }

    /// Whether a failed write left sectors the disk may not hold (`settle` writes them).
    pub fn holds_unsure(&self) -> bool {
        let lines = self.lines.borrow();
        lines.maybe_unsure && lines.oldest_unsure().is_some()
    }

    /// Writes the sectors a failed write left unsure, the one used longest ago first; an error
    /// if the disk still does not take one (it and the rest stay unsure).
    pub fn settle(&self) -> Result<(), S::Error> {
        let lines = &mut *self.lines.borrow_mut();
        if !lines.maybe_unsure {
            return Ok(());
        }
        while let Some((set, way)) = lines.oldest_unsure() {
            let lba = lines.tags[set][way].lba;
            lines.staging[..SECTOR_SIZE].copy_from_slice(&lines.data[set][way]);
            match self.write_kept(lines, lba, 1) {
                Ok(true) => lines.tags[set][way].unsure = false,
                Ok(false) => return Err(self.disk.not_kept()),
                Err(error) => return Err(error),
            }
        }
        lines.maybe_unsure = false;
        Ok(())
    }

    /// Fetches a run of sectors from `lba` into the cache, copying the first `wanted` of them
    /// into `blocks`: as many as read-ahead allows (but at least `wanted`).
    fn fill(&self, lines: &mut Lines, lba: u32, blocks: &mut [Block]) -> Result<(), S::Error> {
        let wanted = blocks.len().min(MAX_SECTORS);
        let mut run = wanted;
        if lines.sequential.contains(&Some(lba)) {
            while run < MAX_SECTORS && lines.find(lba + run as u32).is_none() {
                run += 1;
            }
        }
        let mut result = self.disk.read(lba, &mut lines.staging[..run * SECTOR_SIZE]);
        lines.counters.requests += 1;
        if result.is_err() && run > wanted {
            // Read-ahead may have run past the end of the disk: ask for what was wanted.
            run = wanted;
            result = self.disk.read(lba, &mut lines.staging[..run * SECTOR_SIZE]);
            lines.counters.requests += 1;
        }
        result?;
        lines.counters.misses += wanted as u64;
        let next = Some(lba + run as u32);
        let stream = lines.sequential.iter().position(|&s| s == Some(lba)).unwrap_or(STREAMS - 1);
        lines.sequential.copy_within(..stream, 1);
        lines.sequential[0] = next;
        for k in 0..run {
            let sector: [u8; SECTOR_SIZE] =
                lines.staging[k * SECTOR_SIZE..][..SECTOR_SIZE].try_into().expect("one sector");
            lines.store(lba + k as u32, &sector, false);
            if let Some(block) = blocks.get_mut(k) {
                block.contents = sector;
            }
        }
        Ok(())
    }
}

impl<S: Sectors> Cached<S> {
    /// Writes the first `count` staged sectors at `lba` and reads them back: whether the disk
    /// kept them.
    fn write_kept(&self, lines: &mut Lines, lba: u32, count: usize) -> Result<bool, S::Error> {
        let length = count * SECTOR_SIZE;
        lines.counters.requests += 2;
        self.disk.write(lba, &lines.staging[..length])?;
        self.disk.read(lba, &mut lines.check[..length])?;
        let kept = lines.check[..length] == lines.staging[..length];
        if !kept {
            lines.counters.not_kept += 1;
        }
        Ok(kept)
    }
}

/// The words of a sector and its number, summed: any one flipped bit changes the sum. The sum
/// starts from a constant so that an empty line (all zeros, sum 0) that a stray write marks
/// valid does not pass for a sector of zeros.
fn checksum(lba: u32, sector: &[u8; SECTOR_SIZE]) -> u64 {
    const START: u64 = 0x9e37_79b9_7f4a_7c15;
    let words = sector.chunks_exact(8).map(|word| u64::from_le_bytes(word.try_into().unwrap()));
    words.fold(START.wrapping_add(u64::from(lba)), u64::wrapping_add)
}

impl Lines {
    fn set(lba: u32) -> usize {
        lba as usize % SETS
    }

    fn find(&self, lba: u32) -> Option<usize> {
        self.tags[Self::set(lba)].iter().position(|tag| tag.valid && tag.lba == lba)
    }

    /// Marks a line as just used.
    fn touch(&mut self, lba: u32, way: usize) {
        self.clock += 1;
        self.tags[Self::set(lba)][way].used = self.clock;
    }

    /// Puts `sector` in the cache as `lba` (`unsure` if the disk may not hold it): in its own
    /// line if cached, else in a free line or the one used longest ago, an unsure one last.
    fn store(&mut self, lba: u32, sector: &[u8; SECTOR_SIZE], unsure: bool) {
        let set = Self::set(lba);
        let way = self.find(lba).unwrap_or_else(|| {
            let tags = &self.tags[set];
            let key = |way: usize| {
                let tag = &tags[way];
                (tag.valid && tag.unsure, tag.valid, tag.used)
            };
            (0..WAYS).min_by_key(|&way| key(way)).expect("a set has lines")
        });
        let sum = checksum(lba, sector);
        self.tags[set][way] = Tag { lba, valid: true, used: 0, sum, unsure };
        self.maybe_unsure |= unsure;
        self.data[set][way] = *sector;
        self.touch(lba, way);
    }

    /// The line holding `lba`, if it holds it intact; a damaged line is dropped.
    fn lookup(&mut self, lba: u32) -> Option<usize> {
        let set = Self::set(lba);
        let way = self.find(lba)?;
        if checksum(lba, &self.data[set][way]) == self.tags[set][way].sum {
            return Some(way);
        }
        self.tags[set][way].valid = false;
        self.counters.repaired += 1;
        None
    }

    /// The unsure line used longest ago, as (set, way).
    fn oldest_unsure(&self) -> Option<(usize, usize)> {
        let lines = (0..SETS).flat_map(|set| (0..WAYS).map(move |way| (set, way)));
        let unsure = lines.filter(|&(set, way)| {
            let tag = &self.tags[set][way];
            tag.valid && tag.unsure
        });
        unsure.min_by_key(|&(set, way)| self.tags[set][way].used)
    }
}

/// A device that keeps sectors: `fs::DROP_CACHE` empties it, and the request after a failure
/// first settles what a failed write left unsure.
pub trait SectorCache {
    fn forget(&self);
    /// Whether every sector reached the disk.
    fn settle(&self) -> bool;
}

impl<S: Sectors> SectorCache for &Cached<S> {
    fn forget(&self) {
        Cached::forget(self);
    }

    fn settle(&self) -> bool {
        Cached::settle(self).is_ok()
    }
}

/// The FAT code borrows the cache: it is large, so its owner keeps it in one place (a static)
/// rather than moving it into each volume it mounts.
impl<S: Sectors> BlockDevice for &Cached<S> {
    type Error = S::Error;

    fn read(&self, blocks: &mut [Block], start: BlockIdx) -> Result<(), S::Error> {
        let mut lines = self.lines.borrow_mut();
        let mut i = 0;
        while i < blocks.len() {
            let lba = start.0 + i as u32;
            if let Some(way) = lines.lookup(lba) {
                lines.counters.hits += 1;
                lines.touch(lba, way);
                blocks[i].contents = lines.data[Lines::set(lba)][way];
                i += 1;
                continue;
            }
            // Fetch the uncached blocks up to the next cached one together.
            let mut end = i + 1;
            while end < blocks.len() && lines.find(start.0 + end as u32).is_none() {
                end += 1;
            }
            let end = end.min(i + MAX_SECTORS);
            self.fill(&mut lines, lba, &mut blocks[i..end])?;
            i = end;
        }
        Ok(())
    }

    fn write(&self, blocks: &[Block], start: BlockIdx) -> Result<(), S::Error> {
        // A write must not reach the disk before one that failed earlier: the FAT code orders
        // its writes (data, then FAT, then directory entry) for a reason.
        Cached::settle(self)?;
        let lines = &mut *self.lines.borrow_mut();
        for (n, chunk) in blocks.chunks(MAX_SECTORS).enumerate() {
            let lba = start.0 + (n * MAX_SECTORS) as u32;
            let bytes = &mut lines.staging[..chunk.len() * SECTOR_SIZE];
            for (block, sector) in chunk.iter().zip(bytes.chunks_exact_mut(SECTOR_SIZE)) {
                sector.copy_from_slice(&block.contents);
            }
            let mut result = self.write_kept(lines, lba, chunk.len());
            if !matches!(result, Ok(true)) {
                // Writing the same sectors again is harmless, and a failure that passes (a
                // reply lost or garbled, a driver restarted) then costs nothing: given up
                // half-way, the operation would leave the volume half-changed.
                result = self.write_kept(lines, lba, chunk.len());
            }
            if !matches!(result, Ok(true)) {
                for (k, block) in chunk.iter().enumerate() {
                    lines.store(lba + k as u32, &block.contents, true);
                }
                return Err(match result {
                    Err(error) => error,
                    Ok(_) => self.disk.not_kept(),
                });
            }
            for (k, block) in chunk.iter().enumerate() {
                lines.store(lba + k as u32, &block.contents, false);
            }
        }
        Ok(())
    }

    fn num_blocks(&self) -> Result<BlockCount, S::Error> {
        self.disk.count().map(BlockCount)
    }
}

#[cfg(test)]
impl<S> Cached<S> {
    /// Marks every empty line valid, as stray writes to their tags would.
    pub(crate) fn damage_tags(&self) {
        let mut lines = self.lines.borrow_mut();
        for tag in lines.tags.iter_mut().flatten() {
            tag.valid = true;
        }
    }

    /// Flips `bits` of byte `at` in the cached copy of `lba`, as a stray write would.
    pub(crate) fn damage(&self, lba: u32, at: usize, bits: u8) {
        let mut lines = self.lines.borrow_mut();
        let way = lines.find(lba).expect("the sector is cached");
        lines.data[Lines::set(lba)][way][at] ^= bits;
    }
}
