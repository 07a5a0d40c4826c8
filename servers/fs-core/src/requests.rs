//! One file request, from its operation code and leases to its reply: the file server's whole
//! protocol (`service_api::fs`), shared by the ring-3 server and the monolithic kernel.

use crate::{FileStore, Scratch, SectorCache};
use embedded_sdmmc::BlockDevice;
use service_api::fs::{
    CREATE, DROP_CACHE, ENTRY_SIZE, IS_DIRECTORY, LIST, MAKE_DIRECTORY, MAX_PATH, READ, REMOVE,
    RENAME, STAT, TRUNCATE, WRITE, path_inline,
};
use service_api::leases::{Leases, Reply};
use service_api::status::{BAD_NAME, BAD_REQUEST, CORRUPT, DEVICE_ERROR, NO_SPACE, TOO_LARGE};

/// Bytes move between the disk and a lease through this much memory at a time (`Scratch`): a
/// 4 KiB read walks the path once.
const CHUNK: usize = 4096;
pub(crate) type Transfer = [u8; CHUNK];

/// Serves request `op` with its four payload words, working in `scratch`: words 0 and 1 are
/// its arguments, and a short path travels in words 2 and 3 (`service_api::fs::inline_path`);
/// lease 0 holds the path of every request that has one.
pub fn handle<D: BlockDevice + SectorCache>(
    store: &FileStore<D>,
    scratch: &mut Scratch,
    op: u32,
    payload: [u64; 4],
    leases: &impl Leases,
) -> Reply {
    if op == DROP_CACHE {
        store.forget_names();
        store.with_device(|device| device.forget());
        return Ok([0, 0]);
    }
    // A change that failed half-way (a block driver that died under it shows as a device
    // error, or as no space or corruption where a FAT write failed) may have left sectors the
    // disk does not hold yet, which go first (`Cached::settle`), and space nobody owns; the
    // next request repairs that (`repair.rs`), as a restarted server's mount does. An error
    // about the request itself (no such file, a bad name) changed nothing. Only then is the
    // device lent out: lending it drops the FAT code's own sector buffer.
    if store.repair_pending() && store.with_device(|device| device.settle()) {
        store.repair_if_needed();
    }
    let reply = serve(store, scratch, op, payload, leases);
    let cut_short = matches!(reply, Err(DEVICE_ERROR | NO_SPACE | CORRUPT));
    if matches!(op, WRITE | MAKE_DIRECTORY | REMOVE | RENAME) {
        store.note_change();
        if cut_short {
            store.note_failed_change();
        }
    }
    reply
}

fn serve<D: BlockDevice + SectorCache>(
    store: &FileStore<D>,
    scratch: &mut Scratch,
    op: u32,
    [word0, word1, path0, path1]: [u64; 4],
    leases: &impl Leases,
) -> Reply {
    let mut path_buffer = [0u8; MAX_PATH];
    let path = request_path(leases, [path0, path1], &mut path_buffer)?;
    match op {
        STAT => {
            let stat = store.stat(path)?;
            Ok([u64::from(stat.size), if stat.is_directory { IS_DIRECTORY } else { 0 }])
        }
        READ => read(store, scratch, leases, path, word0),
        WRITE => write(store, &mut scratch.bytes, leases, path, word0, word1),
        LIST => list(store, &mut scratch.bytes, leases, path, word0),
        MAKE_DIRECTORY => store.make_directory(path).map(|()| [0, 0]),
        REMOVE => store.remove(path).map(|()| [0, 0]),
        RENAME => {
            let mut to_buffer = [0u8; MAX_PATH];
            let to = lent_path(leases, 1, &mut to_buffer)?;
            store.rename(path, to).map(|()| [0, 0])
        }
        _ => Err(BAD_REQUEST),
    }
}

const _: () = assert!(MAX_PATH >= 16, "an inline path decodes into the path buffer");

/// The request's path: from payload words 2 and 3 when it travels there, else from lease 0.
fn request_path<'b>(
    leases: &impl Leases,
    inline: [u64; 2],
    buffer: &'b mut [u8; MAX_PATH],
) -> Result<&'b str, u64> {
    // Decoded straight into the path buffer, whose first 16 bytes hold the two words.
    let (words, _) = buffer.split_first_chunk_mut::<16>().ok_or(BAD_REQUEST)?;
    let Some(length) = path_inline(inline, words).map(<[u8]>::len) else {
        return lent_path(leases, 0, buffer);
    };
    core::str::from_utf8(&buffer[..length]).map_err(|_| BAD_NAME)
}

/// The path in lease `index`: readable, at most `MAX_PATH` bytes of UTF-8.
fn lent_path<'b>(
    leases: &impl Leases,
    index: usize,
    buffer: &'b mut [u8; MAX_PATH],
) -> Result<&'b str, u64> {
    let length = leases.length(index, false).ok_or(BAD_REQUEST)? as usize;
    if length > MAX_PATH {
        return Err(BAD_NAME);
    }
    let bytes = &mut buffer[..length];
    if !leases.read(index, 0, bytes) {
        return Err(BAD_REQUEST);
    }
    core::str::from_utf8(bytes).map_err(|_| BAD_NAME)
}

/// `READ`: from `offset` into lease 1, as much as it holds; the count read.
fn read<D: BlockDevice>(
    store: &FileStore<D>,
    scratch: &mut Scratch,
    leases: &impl Leases,
    path: &str,
    offset: u64,
) -> Reply {
    let wanted = leases.length(1, true).ok_or(BAD_REQUEST)?;
    let offset = u32::try_from(offset).map_err(|_| TOO_LARGE)?;
    let Scratch { bytes: chunk, blocks } = scratch;
    let mut done = 0u64;
    while done < wanted {
        let take = (wanted - done).min(CHUNK as u64) as usize;
        let n = store.read_through(path, offset + done as u32, &mut chunk[..take], blocks)?;
        if n == 0 {
            break;
        }
        if !leases.write(1, done, &chunk[..n]) {
            return Err(BAD_REQUEST);
        }
        done += n as u64;
    }
    Ok([done, 0])
}

/// `WRITE`: lease 1 at `offset`, creating or truncating the file as `flags` say.
fn write<D: BlockDevice>(
    store: &FileStore<D>,
    chunk: &mut Transfer,
    leases: &impl Leases,
    path: &str,
    offset: u64,
    flags: u64,
) -> Reply {
    let length = leases.length(1, false).ok_or(BAD_REQUEST)?;
    let offset = u32::try_from(offset).map_err(|_| TOO_LARGE)?;
    let (create, mut truncate) = (flags & CREATE != 0, flags & TRUNCATE != 0);
    let mut done = 0u64;
    loop {
        let take = (length - done).min(CHUNK as u64) as usize;
        let bytes = &mut chunk[..take];
        if !leases.read(1, done, bytes) {
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

/// `LIST`: entries of a directory, skipping the first `skip`, as many as lease 1 holds; the
/// count written, and whether more remain.
fn list<D: BlockDevice>(
    store: &FileStore<D>,
    batch: &mut Transfer,
    leases: &impl Leases,
    path: &str,
    skip: u64,
) -> Reply {
    let room = leases.length(1, true).ok_or(BAD_REQUEST)? / ENTRY_SIZE as u64;
    if room == 0 {
        return Err(BAD_REQUEST);
    }
    // Records gather in `batch` and go to the lease in one copy per batch, not one each.
    let per_batch = (CHUNK / ENTRY_SIZE) as u64;
    let (mut written, mut batched) = (0u64, 0u64);
    let mut lease_failed = false;
    let mut flush = |batch: &[u8], written: &mut u64, batched: &mut u64| {
        let bytes = &batch[..*batched as usize * ENTRY_SIZE];
        lease_failed |= !leases.write(1, *written * ENTRY_SIZE as u64, bytes);
        *written += core::mem::take(batched);
        !lease_failed
    };
    let more = store.list(path, skip as usize, |entry| {
        let at = batched as usize * ENTRY_SIZE;
        batch[at..at + ENTRY_SIZE].copy_from_slice(&entry.to_bytes());
        batched += 1;
        if batched == per_batch && !flush(&batch[..], &mut written, &mut batched) {
            return false;
        }
        written + batched < room
    })?;
    if batched > 0 {
        flush(&batch[..], &mut written, &mut batched);
    }
    if lease_failed {
        return Err(BAD_REQUEST);
    }
    Ok([written, u64::from(more)])
}
