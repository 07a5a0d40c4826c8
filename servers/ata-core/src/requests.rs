//! One block request, from its operation code and lease to its reply: the block driver's
//! protocol (`service_api::block`), shared by the ring-3 driver and the monolithic kernel.

use crate::{AtaError, Channel, Disk, SECTOR_SIZE};
use service_api::block::{INFO, MAX_SECTORS, READ, Transfer, WRITE};
use service_api::leases::{Leases, Reply};
use service_api::status::{BAD_REQUEST, DEVICE_ERROR, TOO_LARGE};

/// Serves request `op` for sector `lba_word`: `READ` fills lease 0, `WRITE` sends it, both in
/// whole sectors (at most `MAX_SECTORS`), through `buffer`, which the driver keeps so that no
/// request zeroes one; `INFO` answers the disk's size. The count is sectors.
pub fn handle<C: Channel>(
    disk: &mut Disk<C>,
    op: u32,
    lba_word: u64,
    leases: &impl Leases,
    buffer: &mut Transfer,
) -> Reply {
    if op == INFO {
        return Ok([u64::from(disk.sectors()), 0]);
    }
    let write = match op {
        READ => false,
        WRITE => true,
        _ => return Err(BAD_REQUEST),
    };
    // A read writes into the lease; a write reads it.
    let length = leases.length(0, !write).ok_or(BAD_REQUEST)? as usize;
    let lba = u32::try_from(lba_word).map_err(|_| TOO_LARGE)?;
    if length == 0 || length % SECTOR_SIZE != 0 {
        return Err(BAD_REQUEST);
    }
    if length > MAX_SECTORS * SECTOR_SIZE {
        return Err(TOO_LARGE);
    }
    let buffer = &mut buffer[..length];
    let moved = if write {
        if !leases.read(0, 0, buffer) {
            return Err(BAD_REQUEST);
        }
        disk.write(lba, buffer).map(|()| true)
    } else {
        disk.read(lba, buffer).map(|()| leases.write(0, 0, buffer))
    };
    match moved {
        Ok(true) => Ok([(length / SECTOR_SIZE) as u64, 0]),
        Ok(false) => Err(BAD_REQUEST),
        Err(AtaError::BadRange) => Err(TOO_LARGE),
        Err(_) => Err(DEVICE_ERROR),
    }
}
