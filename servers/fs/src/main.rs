//! The file server, in ring 3: a thin message loop around `fs-core`, whose sectors come from
//! the block driver through `call`s with leases. Requests name their file by path and the
//! server keeps nothing between them, so a restart loses no client state; clients that see
//! it restart simply ask again (`ulib::fs` does, for requests that are safe to repeat).
//! Protocol: `service_api::fs`.

#![no_std]
#![no_main]

use fs_core::{Block, BlockCount, BlockDevice, BlockIdx, FileStore};
use libipc::TaskId;
use libipc::abi::{FOREVER, LEASE_READ, LEASE_WRITE, Lease};
use libipc::sys::{self, Message, Received};
use service_api::fs::{
    CREATE, ENTRY_SIZE, IS_DIRECTORY, LIST, MAKE_DIRECTORY, MAX_PATH, READ, REMOVE, RENAME, STAT,
    TRUNCATE, WRITE,
};
use service_api::status::{BAD_NAME, BAD_REQUEST, DEVICE_ERROR, OK};
use service_api::{block, status};
use ulib::client::{Retry, Server};

ulib::entry!(main);

/// The block driver, found by name and found again after it restarts.
struct BlockClient {
    driver: Server,
}

/// A block request failed; the status says how.
#[derive(Debug)]
struct BlockError(u64);

impl core::fmt::Display for BlockError {
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        f.write_str(status::describe(self.0))
    }
}

impl core::error::Error for BlockError {}

impl BlockClient {
    /// One call to the driver with a sector buffer lent; sector reads and writes are safe to repeat,
    /// so a restart of the driver in the middle is retried.
    fn call(&self, op: u32, sector: u32, lease: Lease) -> Result<u64, BlockError> {
        let words = [u64::from(sector), 0, 0, 0];
        match self.driver.call(op, words, &[lease], Retry::Safe) {
            Ok(reply) => Ok(reply[1]),
            Err(error) => Err(BlockError(error)),
        }
    }
}

impl BlockDevice for BlockClient {
    type Error = BlockError;

    fn read(&self, blocks: &mut [Block], start: BlockIdx) -> Result<(), BlockError> {
        let mut buffer = [0u8; block::MAX_SECTORS * block::SECTOR_SIZE];
        for (i, chunk) in blocks.chunks_mut(block::MAX_SECTORS).enumerate() {
            let bytes = &mut buffer[..chunk.len() * block::SECTOR_SIZE];
            let first = start.0 + (i * block::MAX_SECTORS) as u32;
            self.call(block::READ, first, Lease::write(bytes))?;
            for (block, sector) in chunk.iter_mut().zip(bytes.chunks_exact(block::SECTOR_SIZE)) {
                block.contents.copy_from_slice(sector);
            }
        }
        Ok(())
    }

    fn write(&self, blocks: &[Block], start: BlockIdx) -> Result<(), BlockError> {
        let mut buffer = [0u8; block::MAX_SECTORS * block::SECTOR_SIZE];
        for (i, chunk) in blocks.chunks(block::MAX_SECTORS).enumerate() {
            let bytes = &mut buffer[..chunk.len() * block::SECTOR_SIZE];
            for (block, sector) in chunk.iter().zip(bytes.chunks_exact_mut(block::SECTOR_SIZE)) {
                sector.copy_from_slice(&block.contents);
            }
            let first = start.0 + (i * block::MAX_SECTORS) as u32;
            self.call(block::WRITE, first, Lease::read(bytes))?;
        }
        Ok(())
    }

    fn num_blocks(&self) -> Result<BlockCount, BlockError> {
        let sectors = self.call(block::INFO, 0, Lease::read(&[]))?;
        Ok(BlockCount(sectors as u32))
    }
}

fn main(_argument: &str) -> u64 {
    let mut store: Option<FileStore<BlockClient>> = None;
    loop {
        let Ok(request) = sys::receive(None, FOREVER) else { continue };
        if request.notification().is_some() {
            continue;
        }
        // Mount at the first request (and again after a failed mount): the block driver may
        // still be starting when this server does.
        if store.is_none() {
            match FileStore::mount(BlockClient { driver: Server::new("block") }) {
                Ok(mounted) => store = Some(mounted),
                Err(error) => {
                    ulib::println!("cannot mount the data disk: {}", status::describe(error))
                }
            }
        }
        let reply = match &store {
            Some(store) => handle(&request, store),
            None => Err(DEVICE_ERROR),
        };
        let reply = match reply {
            Ok([count, extra]) => Message::new(0, [OK, count, extra, 0]),
            Err(error) => Message::new(0, [error, 0, 0, 0]),
        };
        let _ = sys::reply(request.sender, &reply);
    }
}

type Reply = Result<[u64; 2], u64>;

fn handle(request: &Received, store: &FileStore<BlockClient>) -> Reply {
    let caller = request.sender;
    let [word0, word1, ..] = request.message.payload;
    let mut path_buffer = [0u8; MAX_PATH];
    let path = lent_path(caller, 0, &mut path_buffer)?;
    match request.message.op {
        STAT => {
            let stat = store.stat(path)?;
            Ok([u64::from(stat.size), if stat.is_directory { IS_DIRECTORY } else { 0 }])
        }
        READ => read(caller, store, path, word0),
        WRITE => write(caller, store, path, word0, word1),
        LIST => list(caller, store, path, word0),
        MAKE_DIRECTORY => store.make_directory(path).map(|()| [0, 0]),
        REMOVE => store.remove(path).map(|()| [0, 0]),
        RENAME => {
            let mut to_buffer = [0u8; MAX_PATH];
            let to = lent_path(caller, 1, &mut to_buffer)?;
            store.rename(path, to).map(|()| [0, 0])
        }
        _ => Err(BAD_REQUEST),
    }
}

/// The path in lease `index`: readable, at most `MAX_PATH` bytes of UTF-8.
fn lent_path(caller: TaskId, index: usize, buffer: &mut [u8; MAX_PATH]) -> Result<&str, u64> {
    let length = sys::lent_length(caller, index, LEASE_READ).ok_or(BAD_REQUEST)? as usize;
    if length > MAX_PATH {
        return Err(BAD_NAME);
    }
    let bytes = &mut buffer[..length];
    match sys::lease_read(caller, index, 0, bytes) {
        Ok(n) if n == length => core::str::from_utf8(bytes).map_err(|_| BAD_NAME),
        _ => Err(BAD_REQUEST),
    }
}

/// Bytes move between the disk and a lease through this much of the server's stack at a time.
const CHUNK: usize = 2048;

fn read(caller: TaskId, store: &FileStore<BlockClient>, path: &str, offset: u64) -> Reply {
    let wanted = sys::lent_length(caller, 1, LEASE_WRITE).ok_or(BAD_REQUEST)?;
    let offset = u32::try_from(offset).map_err(|_| status::TOO_LARGE)?;
    let mut chunk = [0u8; CHUNK];
    let mut done = 0u64;
    while done < wanted {
        let take = (wanted - done).min(CHUNK as u64) as usize;
        let n = store.read(path, offset + done as u32, &mut chunk[..take])?;
        if n == 0 {
            break;
        }
        sys::lease_write(caller, 1, done, &chunk[..n]).map_err(|_| BAD_REQUEST)?;
        done += n as u64;
    }
    Ok([done, 0])
}

fn write(
    caller: TaskId,
    store: &FileStore<BlockClient>,
    path: &str,
    offset: u64,
    flags: u64,
) -> Reply {
    let length = sys::lent_length(caller, 1, LEASE_READ).ok_or(BAD_REQUEST)?;
    let offset = u32::try_from(offset).map_err(|_| status::TOO_LARGE)?;
    let (create, mut truncate) = (flags & CREATE != 0, flags & TRUNCATE != 0);
    let mut chunk = [0u8; CHUNK];
    let mut done = 0u64;
    loop {
        let take = (length - done).min(CHUNK as u64) as usize;
        let bytes = &mut chunk[..take];
        if sys::lease_read(caller, 1, done, bytes) != Ok(take) {
            return Err(BAD_REQUEST);
        }
        store.write(path, offset + done as u32, bytes, create, truncate)?;
        truncate = false;
        done += take as u64;
        if done >= length {
            return Ok([done, 0]);
        }
    }
}

fn list(caller: TaskId, store: &FileStore<BlockClient>, path: &str, skip: u64) -> Reply {
    let room = sys::lent_length(caller, 1, LEASE_WRITE).ok_or(BAD_REQUEST)? / ENTRY_SIZE as u64;
    if room == 0 {
        return Err(BAD_REQUEST);
    }
    let mut written = 0u64;
    let mut lease_failed = false;
    let more = store.list(path, skip as usize, |entry| {
        if written == room {
            return false;
        }
        if sys::lease_write(caller, 1, written * ENTRY_SIZE as u64, &entry.to_bytes()).is_err() {
            lease_failed = true;
            return false;
        }
        written += 1;
        written < room
    })?;
    if lease_failed {
        return Err(BAD_REQUEST);
    }
    Ok([written, u64::from(more)])
}
