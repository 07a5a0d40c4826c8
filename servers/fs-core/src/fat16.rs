//! The one FAT16 structure walk `embedded-sdmmc` lacks: freeing a removed file's clusters.

use embedded_sdmmc::{Block, BlockDevice, BlockIdx};
use service_api::status;

/// Frees the cluster chain of the (already deleted) directory entry at `offset` in `sector`.
/// The chain is followed at most as many steps as the FAT has entries, so a corrupt FAT with
/// a loop cannot hold the caller forever.
pub fn free_clusters<D: BlockDevice>(device: &D, sector: BlockIdx, offset: u32) -> Result<(), u64> {
    let entry = read(device, sector.0)?;
    let offset = offset as usize;
    let mut cluster = u16::from_le_bytes([entry[offset + 26], entry[offset + 27]]);

    let table = read(device, 0)?;
    let partition = u32::from_le_bytes([table[454], table[455], table[456], table[457]]);
    let boot = read(device, partition)?;
    let reserved = u32::from(u16::from_le_bytes([boot[14], boot[15]]));
    let fats = u32::from(boot[16]);
    let fat_sectors = u32::from(u16::from_le_bytes([boot[22], boot[23]]));
    if fat_sectors == 0 {
        // FAT32 keeps its FAT size elsewhere; this walk handles FAT16 only (what xtask makes).
        return Ok(());
    }
    let fat_start = partition + reserved;
    let entries = fat_sectors * 512 / 2;
    for _ in 0..entries {
        if !(2..0xfff0).contains(&cluster) || u32::from(cluster) >= entries {
            return Ok(());
        }
        let (fat_sector, at) = (u32::from(cluster) * 2 / 512, usize::from(cluster) * 2 % 512);
        let mut block = read(device, fat_start + fat_sector)?;
        let next = u16::from_le_bytes([block[at], block[at + 1]]);
        block[at..at + 2].copy_from_slice(&0u16.to_le_bytes());
        for copy in 0..fats {
            let target = BlockIdx(fat_start + copy * fat_sectors + fat_sector);
            device
                .write(core::slice::from_ref(&block), target)
                .map_err(|_| status::DEVICE_ERROR)?;
        }
        cluster = next;
    }
    Err(status::CORRUPT)
}

fn read<D: BlockDevice>(device: &D, sector: u32) -> Result<Block, u64> {
    let mut block = Block::new();
    device
        .read(core::slice::from_mut(&mut block), BlockIdx(sector))
        .map_err(|_| status::DEVICE_ERROR)?;
    Ok(block)
}
