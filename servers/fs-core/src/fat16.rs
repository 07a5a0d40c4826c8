//! What the file server does with a FAT16 volume's structures itself, beside `embedded-sdmmc`:
//! freeing a removed file's clusters (which the crate lacks), and finding a file's sectors
//! for a read straight from its first cluster (`FileStore::read`).

use embedded_sdmmc::{Block, BlockDevice, BlockIdx};
use service_api::status;

/// Where a FAT16 volume keeps its tables and its data, from the boot sector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    pub(crate) fat_start: u32,
    pub(crate) fat_sectors: u32,
    fats: u32,
    data_start: u32,
    pub sectors_per_cluster: u32,
    /// Clusters of data (numbered from 2).
    clusters: u32,
}

impl Layout {
    /// The layout of the volume in the first partition; `None` if it is not FAT16 (a FAT32
    /// volume keeps its FAT size elsewhere; xtask makes FAT16 only).
    pub fn read<D: BlockDevice>(device: &D) -> Result<Option<Layout>, u64> {
        let table = read(device, 0)?;
        let partition = u32::from_le_bytes([table[454], table[455], table[456], table[457]]);
        let boot = read(device, partition)?;
        let word = |at: usize| u32::from(u16::from_le_bytes([boot[at], boot[at + 1]]));
        let (reserved, fats, root_entries, fat_sectors) =
            (word(14), u32::from(boot[16]), word(17), word(22));
        let sectors_per_cluster = u32::from(boot[13]);
        let total = match word(19) {
            0 => u32::from_le_bytes([boot[32], boot[33], boot[34], boot[35]]),
            small => small,
        };
        if fat_sectors == 0 || sectors_per_cluster == 0 {
            return Ok(None);
        }
        let fat_start = partition + reserved;
        let data_start = fat_start + fats * fat_sectors + (root_entries * 32).div_ceil(512);
        let Some(data) = (partition + total).checked_sub(data_start) else { return Ok(None) };
        // The FAT may have room for more entries than there are clusters: the smaller bounds.
        let clusters = (data / sectors_per_cluster).min((fat_sectors * 256).saturating_sub(2));
        Ok(Some(Layout { fat_start, fat_sectors, fats, data_start, sectors_per_cluster, clusters }))
    }

    /// Clusters of data on the volume.
    #[cfg(test)]
    pub fn clusters(&self) -> u32 {
        self.clusters
    }

    /// The numbers of the volume's data clusters.
    pub fn cluster_range(&self) -> core::ops::Range<u32> {
        2..self.clusters + 2
    }

    /// The sectors of the root directory (a fixed run in FAT16, between the FATs and the data).
    pub fn root_sectors(&self) -> core::ops::Range<u32> {
        self.fat_start + self.fats * self.fat_sectors..self.data_start
    }

    /// How many copies of the FAT the volume keeps.
    pub(crate) fn fats(&self) -> u32 {
        self.fats
    }

    /// Sector `index` of FAT copy `copy` (0 is the first).
    pub(crate) fn fat_sector(&self, copy: u32, index: u32) -> u32 {
        self.fat_start + copy * self.fat_sectors + index
    }

    /// Writes `block` as sector `index` of every FAT.
    pub fn write_fat_sector<D: BlockDevice>(
        &self,
        device: &D,
        index: u32,
        block: &Block,
    ) -> Result<(), u64> {
        for fat in 0..self.fats {
            let target = BlockIdx(self.fat_start + fat * self.fat_sectors + index);
            device.write(core::slice::from_ref(block), target).map_err(|_| status::DEVICE_ERROR)?;
        }
        Ok(())
    }

    /// The first sector of data cluster `cluster`, if the volume has it.
    pub fn cluster_sector(&self, cluster: u32) -> Option<u32> {
        (2..self.clusters + 2)
            .contains(&cluster)
            .then(|| self.data_start + (cluster - 2) * self.sectors_per_cluster)
    }

    /// The cluster after `cluster` in its chain: `None` at the chain's end (or where a corrupt
    /// FAT points outside the volume, which `cluster_sector` then refuses).
    pub fn next_cluster<D: BlockDevice>(
        &self,
        device: &D,
        cluster: u32,
    ) -> Result<Option<u32>, u64> {
        let next = u32::from(self.entry(device, cluster)?);
        Ok((2..0xfff0).contains(&next).then_some(next))
    }

    /// FAT entry `cluster` (of the first FAT).
    pub(crate) fn entry<D: BlockDevice>(&self, device: &D, cluster: u32) -> Result<u16, u64> {
        let (sector, at) = (cluster * 2 / 512, (cluster * 2 % 512) as usize);
        let block = read(device, self.fat_start + sector)?;
        Ok(u16::from_le_bytes([block[at], block[at + 1]]))
    }

    /// Sets FAT entry `cluster` to `value` in every FAT.
    pub(crate) fn set_entry<D: BlockDevice>(
        &self,
        device: &D,
        cluster: u32,
        value: u16,
    ) -> Result<(), u64> {
        let (sector, at) = (cluster * 2 / 512, (cluster * 2 % 512) as usize);
        let mut block = read(device, self.fat_start + sector)?;
        block[at..at + 2].copy_from_slice(&value.to_le_bytes());
        for copy in 0..self.fats {
            let target = BlockIdx(self.fat_start + copy * self.fat_sectors + sector);
            device
                .write(core::slice::from_ref(&block), target)
                .map_err(|_| status::DEVICE_ERROR)?;
        }
        Ok(())
    }
}

/// The first cluster recorded in the directory entry at `offset` in `sector`.
pub fn first_cluster<D: BlockDevice>(
    device: &D,
    sector: BlockIdx,
    offset: u32,
) -> Result<u32, u64> {
    let entry = read(device, sector.0)?;
    let offset = offset as usize;
    Ok(u32::from(u16::from_le_bytes([entry[offset + 26], entry[offset + 27]])))
}

/// Frees the cluster chain of the (already deleted) directory entry at `offset` in `sector`.
pub fn free_clusters<D: BlockDevice>(device: &D, sector: BlockIdx, offset: u32) -> Result<(), u64> {
    let cluster = first_cluster(device, sector, offset)?;
    let Some(layout) = Layout::read(device)? else { return Ok(()) };
    free_chain(device, &layout, cluster)
}

/// Makes the cluster chain of the file whose directory entry is at `offset` in `sector` as
/// long as its size needs, and no longer, giving back the rest. Two paths of
/// `embedded-sdmmc` leave it longer: a write of nothing allocates a first cluster (an empty
/// file has none in FAT: `fsck.fat` says "File size is 0 bytes, cluster chain length is >
/// 0"), and a write that takes the disk's last free cluster links it into the chain and then
/// reports the disk full; a write that fails half-way for any other reason may too. The chain
/// is cut (its new last cluster marked the end, or the entry emptied) before the rest is
/// freed, so a crash in between leaves clusters nobody owns, which `fsck.fat` reclaims, never
/// an entry pointing at free ones.
pub fn fit_chain<D: BlockDevice>(device: &D, sector: BlockIdx, offset: u32) -> Result<(), u64> {
    let Some(layout) = Layout::read(device)? else { return Ok(()) };
    let mut entry = read(device, sector.0)?;
    let at = offset as usize;
    let size = u32::from_le_bytes([entry[at + 28], entry[at + 29], entry[at + 30], entry[at + 31]]);
    let first = u32::from(u16::from_le_bytes([entry[at + 26], entry[at + 27]]));
    let keep = size.div_ceil(layout.sectors_per_cluster * 512);
    if first == 0 {
        return Ok(());
    }
    if keep == 0 {
        entry[at + 26..at + 28].fill(0);
        device.write(core::slice::from_ref(&entry), sector).map_err(|_| status::DEVICE_ERROR)?;
        return free_chain(device, &layout, first);
    }
    let mut last = first;
    for _ in 1..keep {
        match layout.next_cluster(device, last)? {
            Some(next) => last = next,
            None => return Ok(()), // shorter than its size: nothing here to give back
        }
    }
    let Some(rest) = layout.next_cluster(device, last)? else { return Ok(()) };
    layout.set_entry(device, last, END_OF_CHAIN)?;
    free_chain(device, &layout, rest)
}

/// A FAT16 entry marking the last cluster of a chain.
const END_OF_CHAIN: u16 = 0xffff;

/// Frees the chain from `cluster`. The chain is followed at most as many steps as the FAT has
/// entries, so a corrupt FAT with a loop cannot hold the caller forever.
fn free_chain<D: BlockDevice>(device: &D, layout: &Layout, mut cluster: u32) -> Result<(), u64> {
    let entries = layout.fat_sectors * 512 / 2;
    for _ in 0..entries {
        if !(2..0xfff0).contains(&cluster) || cluster >= entries {
            return Ok(());
        }
        let next = layout.entry(device, cluster)?;
        layout.set_entry(device, cluster, 0)?;
        cluster = u32::from(next);
    }
    Err(status::CORRUPT)
}

/// Sector `sector` of `device`.
pub(crate) fn read<D: BlockDevice>(device: &D, sector: u32) -> Result<Block, u64> {
    let mut block = Block::new();
    device
        .read(core::slice::from_mut(&mut block), BlockIdx(sector))
        .map_err(|_| status::DEVICE_ERROR)?;
    Ok(block)
}
