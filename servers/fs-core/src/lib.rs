//! The file server's logic: a FAT volume (through `embedded-sdmmc`) on any block device,
//! operated on by path. It knows nothing of messages or rings, so the same code runs in the
//! ring-3 file server, inside the kernel of the monolithic flavor, in xtask (which fills the
//! disk image) and in the host tests below (against a disk in memory).
//!
//! The volume is mounted once. Every operation opens the directories and the file it needs,
//! does its work and closes them again, and every write reaches the disk before the operation
//! returns: each one leaves the disk consistent, and a server that dies between requests
//! loses nothing but its cache of sectors (`Cached`). The disk has a master boot record whose
//! first partition holds a FAT16 or FAT32 volume; names are 8.3 (`NOTES.TXT`), compared
//! without regard to case.

#![no_std]
#![forbid(unsafe_code)]

use embedded_sdmmc::{
    Error, Mode, RawDirectory, RawVolume, ShortFileName, TimeSource, Timestamp, VolumeIdx,
    VolumeManager,
};
use service_api::fs::Entry;
use service_api::status;

pub use cache::{Cached, Counters, SectorCache};
pub use embedded_sdmmc::{Block, BlockCount, BlockDevice, BlockIdx};
pub use format::{PARTITION_START, format};

/// Sectors kept between requests.
mod cache;
mod fat16;
mod format;
/// Files found before, by path.
mod names;
/// The repair at mount: space a write cut short left nobody owning.
mod repair;
pub use repair::Repaired;
/// The file server's protocol on top: one request to one reply.
pub mod requests;
/// Disks reached a few sectors per request (the block protocol's limit).
mod sectors;
pub use sectors::{BlockError, Sectors};

/// What went wrong, as a status code of `service_api::status` (`NOT_FOUND`, `NO_SPACE`, ...).
pub type Status = u64;

/// Size and kind of a file or directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stat {
    pub size: u32,
    pub is_directory: bool,
}

const SECTOR: usize = 512;

/// Open directories at once: the walk down a path holds at most two.
const DIRS: usize = 4;
const FILES: usize = 2;

/// Files get this time stamp: the system has no wall clock yet.
struct FixedClock;

impl TimeSource for FixedClock {
    fn get_timestamp(&self) -> Timestamp {
        Timestamp {
            year_since_1970: 56,
            zero_indexed_month: 0,
            zero_indexed_day: 0,
            hours: 0,
            minutes: 0,
            seconds: 0,
        }
    }
}

/// A volume on a block device, mounted once.
pub struct FileStore<D: BlockDevice> {
    volumes: Volumes<D>,
    volume: RawVolume,
    /// The volume's FAT16 layout, for reads that go straight to a file's clusters (`None`:
    /// every read goes through `embedded-sdmmc`).
    layout: Option<fat16::Layout>,
    /// Files read before, found again without their directory.
    names: names::Names,
    /// A change failed since the last repair (`repair.rs`): what it was writing may have left
    /// space nobody owns.
    repair_pending: core::cell::Cell<bool>,
    /// What the last repair changed, or why it could not walk the volume, until the server
    /// takes it to say so (`take_repair_report`).
    repair_report: core::cell::Cell<Option<Result<Repaired, Status>>>,
    /// A change was made since the volume was last walked (`check_if_changed`).
    changed: core::cell::Cell<bool>,
}

/// Sectors a direct read asks the device for at once (the block protocol's largest request).
const READ_RUN: usize = service_api::block::MAX_SECTORS;

/// Memory a request works in: bytes on their way between the disk and a lease, and sectors on
/// their way from the device to a reader. A server keeps one in static memory, so no request
/// zeroes pages of stack, and a debug build's copies of a `FileStore` stay small.
pub struct Scratch {
    pub(crate) bytes: requests::Transfer,
    pub(crate) blocks: [Block; READ_RUN],
}

impl Scratch {
    pub const fn new() -> Self {
        Scratch { bytes: [0; _], blocks: [const { Block { contents: [0; SECTOR] } }; READ_RUN] }
    }
}

impl Default for Scratch {
    fn default() -> Self {
        Self::new()
    }
}

type Volumes<D> = VolumeManager<D, FixedClock, DIRS, FILES, 1>;

impl<D: BlockDevice> FileStore<D> {
    /// Mounts the FAT volume in the first partition of `device`, and repairs what a server
    /// that died in the middle of a write left behind (`repair.rs`). A volume the repair cannot
    /// walk is mounted unrepaired.
    pub fn mount(device: D) -> Result<Self, Status> {
        let volumes = VolumeManager::new_with_limits(device, FixedClock, 0);
        let volume = volumes.open_raw_volume(VolumeIdx(0)).map_err(status_of)?;
        let layout = volumes.device(|device| fat16::Layout::read(&*device))?;
        let report =
            layout.map(|layout| volumes.device(|device| repair::repair(&*device, &layout)));
        // A device that failed under the repair is tried again (`repair_if_needed`).
        let device_failed = report == Some(Err(status::DEVICE_ERROR));
        Ok(FileStore {
            volumes,
            volume,
            layout,
            names: names::Names::new(),
            repair_pending: core::cell::Cell::new(device_failed),
            repair_report: core::cell::Cell::new(report.filter(|_| !device_failed)),
            changed: core::cell::Cell::new(false),
        })
    }

    /// Whether a repair waits for the device to answer again (`repair_if_needed`).
    pub fn repair_pending(&self) -> bool {
        self.repair_pending.get()
    }

    /// What the last repair found (once): `Ok` with what it changed, or why it could not walk
    /// the volume; `None` if nothing was repaired since the last time asked.
    pub fn take_repair_report(&self) -> Option<Result<Repaired, Status>> {
        self.repair_report.take()
    }

    /// A change (a write, a new directory, a removal, a rename) failed: repair the volume
    /// before the next request.
    pub fn note_failed_change(&self) {
        self.repair_pending.set(true);
    }

    /// A change was made (or tried): the volume is walked when the server is next idle.
    pub fn note_change(&self) {
        self.changed.set(true);
    }

    /// Whether a change waits for the walk of `check_if_changed`.
    pub fn check_pending(&self) -> bool {
        self.changed.get()
    }

    /// Walks the volume and repairs it (`repair.rs`) if a change was made since the last walk,
    /// for a server with nothing else to do. A failed change is repaired at once; this is for
    /// the ones that did not fail: a server whose own code is damaged (the campaign's code
    /// mutations: a removal that skipped freeing its chain) leaves space nobody owns while its
    /// disk works, and nothing else would find it before the server restarts. It reads the
    /// whole FAT and every directory, mostly from the cache.
    pub fn check_if_changed(&self) {
        if self.changed.replace(false) {
            self.repair_pending.set(true);
            self.repair_if_needed();
        }
    }

    /// Repairs the volume (`repair.rs`) if a change failed since the last repair, and the
    /// device answers again; tried again at the next request (or the server's next try,
    /// `repair_pending`) if it does not.
    pub fn repair_if_needed(&self) {
        let Some(layout) = self.layout.filter(|_| self.repair_pending.get()) else { return };
        let report = self.volumes.device(|device| repair::repair(&*device, &layout));
        // A device that still fails is tried again at the next request; a volume the repair
        // cannot walk is said once, not walked again at every request.
        if report != Err(status::DEVICE_ERROR) {
            self.repair_pending.set(false);
            self.repair_report.set(Some(report));
        }
    }

    pub fn into_device(self) -> D {
        self.volumes.free().0
    }

    /// Lends the device to `work`, for what the FAT code does not do (its own one-sector
    /// cache is dropped first, so it sees what `work` writes).
    pub fn with_device<R>(&self, work: impl FnOnce(&mut D) -> R) -> R {
        self.volumes.device(work)
    }

    /// Forgets the files found before (`fs::DROP_CACHE`, with the device's sectors).
    pub fn forget_names(&self) {
        self.names.forget();
    }

    /// Whether an operation left a directory or file open (none does; tests check it).
    pub fn holds_open_handles(&self) -> bool {
        self.volumes.has_open_handles()
    }

    pub fn stat(&self, path: &str) -> Result<Stat, Status> {
        let (parent, name) = split(path)?;
        let Some(name) = name else { return Ok(Stat { size: 0, is_directory: true }) };
        self.in_directory(parent, |volumes, dir| {
            let entry = volumes.find_directory_entry(dir, name).map_err(status_of)?;
            Ok(Stat { size: entry.size, is_directory: entry.attributes.is_directory() })
        })
    }

    /// Reads from byte `offset` into `buffer`; returns how many bytes (0 at the end).
    pub fn read(&self, path: &str, offset: u32, buffer: &mut [u8]) -> Result<usize, Status> {
        self.read_through(path, offset, buffer, &mut [Block::new()])
    }

    /// `read`, with `blocks` for the sectors on their way (a run of up to that many is asked
    /// of the device at once).
    pub fn read_through(
        &self,
        path: &str,
        offset: u32,
        buffer: &mut [u8],
        blocks: &mut [Block],
    ) -> Result<usize, Status> {
        let direct = self.layout.filter(|_| offset.is_multiple_of(512));
        if let Some((layout, found)) = direct.zip(self.names.find(path)) {
            return self.read_clusters(layout, found, offset, buffer, blocks);
        }
        let (parent, name) = split(path)?;
        let name = name.ok_or(status::IS_A_DIRECTORY)?;
        self.in_directory(parent, |volumes, dir| {
            if let Some(layout) = direct {
                let entry = volumes.find_directory_entry(dir, name).map_err(status_of)?;
                if entry.attributes.is_directory() {
                    return Err(status::IS_A_DIRECTORY);
                }
                let (block, at) = (entry.entry_block, entry.entry_offset);
                let first_cluster =
                    self.volumes.device(|device| fat16::first_cluster(&*device, block, at))?;
                let found = names::Found { size: entry.size, first_cluster };
                self.names.remember(path, found);
                return self.read_clusters(layout, found, offset, buffer, blocks);
            }
            let file = volumes.open_file_in_dir(dir, name, Mode::ReadOnly).map_err(status_of)?;
            let result = (|| {
                if offset >= volumes.file_length(file).map_err(status_of)? {
                    return Ok(0);
                }
                volumes.file_seek_from_start(file, offset).map_err(status_of)?;
                let mut done = 0;
                while done < buffer.len() {
                    match volumes.read(file, &mut buffer[done..]) {
                        Ok(0) | Err(Error::EndOfFile) => break,
                        Ok(n) => done += n,
                        Err(error) => return Err(status_of(error)),
                    }
                }
                Ok(done)
            })();
            volumes.close_file(file).map_err(status_of)?;
            result
        })
    }

    /// Reads from `offset` (a sector boundary) of `file` into `buffer`, sector runs
    /// straight from the device, following the file's clusters itself: a whole cluster is a
    /// run of sectors, where `embedded-sdmmc` takes every sector through its own one-sector
    /// cache and position bookkeeping.
    fn read_clusters(
        &self,
        layout: fat16::Layout,
        file: names::Found,
        offset: u32,
        buffer: &mut [u8],
        blocks: &mut [Block],
    ) -> Result<usize, Status> {
        let Some(left_in_file) = file.size.checked_sub(offset).filter(|&n| n > 0) else {
            return Ok(0);
        };
        let length = buffer.len().min(left_in_file as usize);
        let cluster_bytes = layout.sectors_per_cluster as usize * SECTOR;
        self.volumes.device(|device| {
            let device = &*device;
            let mut cluster = file.first_cluster;
            for _ in 0..offset as usize / cluster_bytes {
                cluster = layout.next_cluster(device, cluster)?.ok_or(status::CORRUPT)?;
            }
            let mut within = offset as usize % cluster_bytes;
            let mut done = 0;
            while done < length {
                let start = layout.cluster_sector(cluster).ok_or(status::CORRUPT)?;
                let mut sector = start + (within / SECTOR) as u32;
                let mut left = (cluster_bytes - within).min(length - done);
                while left > 0 {
                    let run = left.div_ceil(SECTOR).min(blocks.len());
                    device
                        .read(&mut blocks[..run], BlockIdx(sector))
                        .map_err(|_| status::DEVICE_ERROR)?;
                    for block in &blocks[..run] {
                        let take = left.min(SECTOR);
                        buffer[done..done + take].copy_from_slice(&block.contents[..take]);
                        (done, left) = (done + take, left - take);
                    }
                    sector += run as u32;
                }
                within = 0;
                if done < length {
                    cluster = layout.next_cluster(device, cluster)?.ok_or(status::CORRUPT)?;
                }
            }
            Ok(done)
        })
    }

    /// Writes `data` at byte `offset`, creating the file if `create` and emptying it first if
    /// `truncate`. An offset past the end is refused, so a file never has holes. Repeating a
    /// write gives the same file: the client may retry one safely.
    pub fn write(
        &self,
        path: &str,
        offset: u32,
        data: &[u8],
        create: bool,
        truncate: bool,
    ) -> Result<usize, Status> {
        self.names.forget();
        if path.ends_with('/') {
            // A path ending in `/` names a directory: `echo hi > /X/` must not make a file X.
            return Err(status::IS_A_DIRECTORY);
        }
        let (parent, name) = split(path)?;
        let name = plain(name.ok_or(status::IS_A_DIRECTORY)?)?;
        let mode = match (create, truncate) {
            (true, true) => Mode::ReadWriteCreateOrTruncate,
            (true, false) => Mode::ReadWriteCreateOrAppend,
            (false, true) => Mode::ReadWriteTruncate,
            (false, false) => Mode::ReadWriteAppend,
        };
        self.in_directory(parent, |volumes, dir| {
            let file = volumes.open_file_in_dir(dir, name, mode).map_err(status_of)?;
            let result = (|| {
                let length = volumes.file_length(file).map_err(status_of)?;
                if offset > length {
                    return Err(status::TOO_LARGE);
                }
                if !data.is_empty() {
                    // (`embedded-sdmmc` would give an empty file a cluster for nothing.)
                    volumes.file_seek_from_start(file, offset).map_err(status_of)?;
                    volumes.write(file, data).map_err(status_of)?;
                }
                Ok(data.len())
            })();
            // Closing writes the new length into the directory entry.
            let closed = volumes.close_file(file).map_err(status_of);
            let written = result.and_then(|written| closed.map(|()| written));
            if written.is_err() || data.is_empty() && (truncate || offset == 0) {
                // The file's chain may now be longer than its size (`fat16::fit_chain`).
                let entry = volumes.find_directory_entry(dir, name).map_err(status_of)?;
                let (block, at) = (entry.entry_block, entry.entry_offset);
                self.volumes.device(|device| fat16::fit_chain(&*device, block, at))?;
            }
            written
        })
    }

    /// Calls `each` for the entries of a directory after the first `skip`, until it returns
    /// false; returns whether entries were left over.
    pub fn list(
        &self,
        path: &str,
        skip: usize,
        mut each: impl FnMut(Entry) -> bool,
    ) -> Result<bool, Status> {
        self.in_directory(path, |volumes, dir| {
            let (mut seen, mut more, mut full) = (0, false, false);
            volumes
                .iterate_dir(dir, |entry| {
                    let name = entry.name.base_name();
                    let hidden = entry.attributes.is_volume()
                        || entry.attributes.is_lfn()
                        || name == b"."
                        || name == b"..";
                    if hidden {
                        return core::ops::ControlFlow::Continue(());
                    }
                    seen += 1;
                    if seen <= skip {
                        return core::ops::ControlFlow::Continue(());
                    }
                    if full {
                        more = true;
                        return core::ops::ControlFlow::Break(());
                    }
                    let mut record = Entry {
                        name: [0; 12],
                        size: entry.size,
                        is_directory: entry.attributes.is_directory(),
                    };
                    write_name(&entry.name, &mut record.name);
                    full = !each(record);
                    core::ops::ControlFlow::Continue(())
                })
                .map_err(status_of)?;
            Ok(more)
        })
    }

    pub fn make_directory(&self, path: &str) -> Result<(), Status> {
        self.names.forget();
        let (parent, name) = split(path)?;
        let name = plain(name.ok_or(status::EXISTS)?)?;
        self.in_directory(parent, |volumes, dir| {
            volumes.make_dir_in_dir(dir, name).map_err(status_of)
        })
    }

    /// Removes a file or an empty directory, and frees its clusters.
    pub fn remove(&self, path: &str) -> Result<(), Status> {
        self.names.forget();
        let (parent, name) = split(path)?;
        let name = plain(name.ok_or(status::UNSUPPORTED)?)?;
        let entry = self.in_directory(parent, |volumes, dir| {
            let entry = volumes.find_directory_entry(dir, name).map_err(status_of)?;
            volumes.delete_entry_in_dir(dir, name).map_err(status_of)?;
            Ok(entry)
        })?;
        // `embedded-sdmmc` deletes only the directory entry and leaves the clusters allocated
        // (`fsck.fat` would reclaim them); free them here.
        self.with_device(|device| {
            fat16::free_clusters(device, entry.entry_block, entry.entry_offset)
        })
    }

    /// Renames a file: `embedded-sdmmc` cannot move a directory entry, so the file is copied
    /// to its new name and the old one removed. Directories cannot be renamed.
    pub fn rename(&self, from: &str, to: &str) -> Result<(), Status> {
        self.names.forget();
        let source = self.stat(from)?;
        if source.is_directory {
            return Err(status::UNSUPPORTED);
        }
        match self.stat(to) {
            Ok(_) => return Err(status::EXISTS),
            Err(status::NOT_FOUND) => {}
            Err(error) => return Err(error),
        }
        let mut chunk = [0u8; 512];
        let mut offset = 0u32;
        self.write(to, 0, &[], true, true)?;
        loop {
            let n = self.read(from, offset, &mut chunk)?;
            if n == 0 {
                break;
            }
            self.write(to, offset, &chunk[..n], false, false)?;
            offset += n as u32;
        }
        self.remove(from)
    }

    /// Runs `work` in the directory `path` (names from the root), closing it after.
    fn in_directory<R>(
        &self,
        path: &str,
        work: impl FnOnce(&Volumes<D>, RawDirectory) -> Result<R, Status>,
    ) -> Result<R, Status> {
        let volumes = &self.volumes;
        let mut dir = volumes.open_root_dir(self.volume).map_err(status_of)?;
        for name in components(path) {
            let next = volumes.open_dir(dir, name);
            let _ = volumes.close_dir(dir);
            dir = next.map_err(status_of)?;
        }
        let result = work(volumes, dir);
        let _ = volumes.close_dir(dir);
        result
    }
}

/// `name`, unless it is `.` or `..`: every directory has those two entries, and a change
/// made under either name would write an entry FAT does not allow (`fsck.fat`: "Bad short
/// file name").
fn plain(name: &str) -> Result<&str, Status> {
    if name == "." || name == ".." { Err(status::BAD_NAME) } else { Ok(name) }
}

/// The names of a path, without empty ones (`//a/` is `a`).
fn components(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|name| !name.is_empty())
}

/// Splits a path into its directory and its last name (`None` for the root itself).
fn split(path: &str) -> Result<(&str, Option<&str>), Status> {
    if path.len() > service_api::fs::MAX_PATH {
        return Err(status::BAD_NAME);
    }
    let trimmed = path.trim_end_matches('/');
    match trimmed.rfind('/') {
        Some(at) => Ok((&trimmed[..at], Some(&trimmed[at + 1..]))),
        None if trimmed.is_empty() => Ok(("", None)),
        None => Ok(("", Some(trimmed))),
    }
}

fn status_of<E: core::error::Error>(error: Error<E>) -> Status {
    match error {
        Error::DeviceError(_) => status::DEVICE_ERROR,
        Error::FormatError(_)
        | Error::BadCluster
        | Error::UnterminatedFatChain
        | Error::AllocationError
        | Error::InvalidOffset
        | Error::NoSuchVolume => status::CORRUPT,
        Error::FilenameError(_) => status::BAD_NAME,
        Error::NotFound => status::NOT_FOUND,
        Error::OpenedDirAsFile => status::IS_A_DIRECTORY,
        Error::OpenedFileAsDir => status::NOT_A_DIRECTORY,
        Error::DeleteNonEmptyDir => status::NOT_EMPTY,
        Error::NotEnoughSpace | Error::DiskFull => status::NO_SPACE,
        Error::FileAlreadyExists | Error::DirAlreadyExists => status::EXISTS,
        Error::ReadOnly | Error::Unsupported => status::UNSUPPORTED,
        _ => status::BAD_REQUEST,
    }
}

/// An 8.3 name as `BASE.EXT` in an entry's name field (what does not fit is dropped), the
/// bytes as `ShortFileName`'s `Display` writes them (Latin-1, so a byte from 0x80 up takes two
/// in UTF-8), without the formatting machinery: a listing writes every name it returns.
fn write_name(name: &ShortFileName, field: &mut [u8; 12]) {
    let mut text = NameText { bytes: field, len: 0 };
    text.push_latin1(name.base_name());
    if !name.extension().is_empty() {
        text.push(b'.');
        text.push_latin1(name.extension());
    }
}

/// A fixed name field being filled.
struct NameText<'a> {
    bytes: &'a mut [u8; 12],
    len: usize,
}

impl NameText<'_> {
    fn push(&mut self, byte: u8) {
        if let Some(slot) = self.bytes.get_mut(self.len) {
            *slot = byte;
            self.len += 1;
        }
    }

    fn push_latin1(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            if byte < 0x80 {
                self.push(byte);
            } else {
                self.push(0xc0 | byte >> 6);
                self.push(0x80 | byte & 0x3f);
            }
        }
    }
}

#[cfg(test)]
mod tests;
