//! The built-in file server: `fs-core` over the built-in block driver, with the ring-3 file
//! server's protocol (`service_api::fs`), served by the same `fs_core::requests::handle`.

use super::block;
use super::gate::{Gate, Pass, Service};
use crate::services::host::{Answer, Host};
use fs_core::{
    Block, BlockCount, BlockDevice, BlockError, BlockIdx, Cached, FileStore, Scratch, SectorCache,
    Sectors,
};
use kernel_core::manifest::Service as BuiltinService;
use libipc::TaskId;
use service_api::leases::words;
use service_api::status::{self, BAD_REQUEST, DEVICE_ERROR};
use spin::Mutex;

pub static FS: Mutex<Service<Option<FileStore<&'static DiskCache>>>> =
    Mutex::new(Service { gate: Gate::new(BuiltinService::Fs), state: None });

/// Where the built-in file server's requests work (8 KiB), used with `FS`'s lock held.
static SCRATCH: Mutex<Scratch> = Mutex::new(Scratch::new());

/// The built-in file server's sector cache, in static memory (36 KiB is too much to build on
/// the trap stack).
static DISK: DiskCache = DiskCache(Cached::new(BuiltinDisk));

pub struct DiskCache(Cached<BuiltinDisk>);

// SAFETY: the cache is reached only through the file store in `FS`, with `FS`'s lock held, so
// one CPU at a time uses its cells.
unsafe impl Sync for DiskCache {}

impl SectorCache for &DiskCache {
    fn forget(&self) {
        self.0.forget();
    }

    fn settle(&self) -> bool {
        self.0.settle().is_ok()
    }
}

impl BlockDevice for &DiskCache {
    type Error = BlockError;

    fn read(&self, blocks: &mut [Block], start: BlockIdx) -> Result<(), BlockError> {
        (&self.0).read(blocks, start)
    }

    fn write(&self, blocks: &[Block], start: BlockIdx) -> Result<(), BlockError> {
        (&self.0).write(blocks, start)
    }

    fn num_blocks(&self) -> Result<BlockCount, BlockError> {
        (&self.0).num_blocks()
    }
}

/// The built-in block driver, called directly.
pub struct BuiltinDisk;

impl Sectors for BuiltinDisk {
    type Error = BlockError;

    fn read(&self, lba: u32, bytes: &mut [u8]) -> Result<(), BlockError> {
        block::read(lba, bytes).map_err(BlockError)
    }

    fn write(&self, lba: u32, bytes: &[u8]) -> Result<(), BlockError> {
        block::write(lba, bytes).map_err(BlockError)
    }

    fn count(&self) -> Result<u32, BlockError> {
        block::sectors().map_err(BlockError)
    }

    fn not_kept(&self) -> BlockError {
        log::warn!("built-in fs: the built-in block driver did not write what it said it wrote");
        BlockError(DEVICE_ERROR)
    }
}

pub fn call(kernel: &mut dyn Host, caller: TaskId, op: u32, payload: [u64; 4]) -> Answer {
    let mut fs = FS.lock();
    // The request as the service's registers, inline path words included, for the gate's
    // injected faults to damage.
    let [word0, word1, path0, path1] = payload;
    let mut registers = [u64::from(op), word0, word1, path0, path1];
    match fs.enter(&mut registers) {
        Pass::Proceed => {}
        Pass::Skip => return Answer::Skipped,
        Pass::Stopped => return Answer::Now(words(Err(DEVICE_ERROR))),
    }
    if fs.state.is_none() {
        match FileStore::mount(&DISK) {
            Ok(store) => fs.state = Some(store),
            Err(error) => {
                log::warn!("built-in fs: cannot mount the data disk: {}", status::describe(error))
            }
        }
    }
    let Some(leases) = kernel.leases(caller) else { return Answer::Now(words(Err(BAD_REQUEST))) };
    let reply = match fs.state.as_ref() {
        Some(store) => {
            let op = registers[0] as u32;
            let scratch = &mut *SCRATCH.lock();
            let reply = fs_core::requests::handle(
                store,
                scratch,
                op,
                [registers[1], registers[2], registers[3], registers[4]],
                &leases,
            );
            match store.take_repair_report() {
                Some(Ok(r)) if r != fs_core::Repaired::default() => {
                    log::warn!("built-in fs: repaired the volume: {r}")
                }
                Some(Err(error)) => {
                    log::warn!(
                        "built-in fs: could not check the volume: {}",
                        status::describe(error)
                    )
                }
                _ => {}
            }
            reply
        }
        None => Err(DEVICE_ERROR),
    };
    let mut words = words(reply);
    fs.gate.leave(&mut words);
    Answer::Now(words)
}
