//! Makes an empty disk: a master boot record with one FAT16 partition filling the disk.
//! `fsck.fat` checks the result (xtask runs it on every disk image it makes).

use embedded_sdmmc::{Block, BlockDevice, BlockIdx};

/// Where the partition starts: 1 MiB in, as partitioning tools do.
pub const PARTITION_START: u32 = 2048;
/// FAT16 needs between 4085 and 65524 clusters.
const MIN_CLUSTERS: u32 = 4085;
const MAX_CLUSTERS: u32 = 65524;
const ROOT_ENTRIES: u32 = 512;
const RESERVED_SECTORS: u32 = 1;
const FATS: u32 = 2;
/// FAT16 entries in a sector, and the entry marking a cluster never to be used.
const ENTRIES_PER_SECTOR: u32 = 256;
const BAD_CLUSTER: u16 = 0xfff7;
/// Sectors per cluster as powers of two, in order of preference (`Layout::for_volume`).
const CLUSTER_SHIFTS: [u32; 7] = [3, 2, 1, 0, 4, 5, 6];

/// Formats a disk of `sectors` 512-byte sectors, labelled `label` (up to 11 characters).
/// Refuses disks too small or too large for FAT16 (about 3 MiB to 2 GiB).
pub fn format<D: BlockDevice>(device: &D, sectors: u32, label: &str) -> Result<(), &'static str> {
    let volume = sectors.checked_sub(PARTITION_START).ok_or("disk too small for FAT16")?;
    let layout = Layout::for_volume(volume).ok_or("disk size out of FAT16's range")?;
    let mut block = Block::new();
    write_partition_table(&mut block, volume);
    write(device, 0, &block)?;

    block = Block::new();
    layout.write_boot_sector(&mut block, volume, label);
    write(device, PARTITION_START, &block)?;

    // Both FATs: entries 0 and 1 are reserved (media byte, end of chain), then one free entry
    // per cluster. The last FAT sector has room for entries past the last cluster: those are
    // marked bad, because `embedded-sdmmc`'s allocator scans whole FAT sectors and would
    // otherwise hand them out (files pointing past the volume, and "disk error" where a full
    // disk should say "no space").
    let fat_start = PARTITION_START + RESERVED_SECTORS;
    let entries = layout.clusters + 2;
    for sector in 0..FATS * layout.fat_sectors {
        block = Block::new();
        let first_entry = sector % layout.fat_sectors * ENTRIES_PER_SECTOR;
        if first_entry == 0 {
            block[..4].copy_from_slice(&[0xf8, 0xff, 0xff, 0xff]);
        }
        for (k, entry) in block.chunks_exact_mut(2).enumerate() {
            if first_entry + k as u32 >= entries {
                entry.copy_from_slice(&BAD_CLUSTER.to_le_bytes());
            }
        }
        write(device, fat_start + sector, &block)?;
    }
    // A root directory holding only the volume label (fsck.fat wants it to match the boot
    // sector's copy).
    let root_start = fat_start + FATS * layout.fat_sectors;
    for sector in 0..ROOT_ENTRIES * 32 / 512 {
        block = Block::new();
        if sector == 0 {
            const VOLUME_LABEL: u8 = 0x08;
            block[..11].copy_from_slice(&label_field(label));
            block[11] = VOLUME_LABEL;
        }
        write(device, root_start + sector, &block)?;
    }
    Ok(())
}

fn write<D: BlockDevice>(device: &D, sector: u32, block: &Block) -> Result<(), &'static str> {
    device.write(core::slice::from_ref(block), BlockIdx(sector)).map_err(|_| "disk write failed")
}

fn write_partition_table(block: &mut Block, volume: u32) {
    const FAT16_LBA: u8 = 0x0e;
    let entry = &mut block[446..462];
    entry[0] = 0x00; // not bootable
    entry[1..4].copy_from_slice(&[0xfe, 0xff, 0xff]); // CHS: "use the LBA fields"
    entry[4] = FAT16_LBA;
    entry[5..8].copy_from_slice(&[0xfe, 0xff, 0xff]);
    entry[8..12].copy_from_slice(&PARTITION_START.to_le_bytes());
    entry[12..16].copy_from_slice(&volume.to_le_bytes());
    block[510..512].copy_from_slice(&[0x55, 0xaa]);
}

/// A volume label as FAT stores it: 11 upper-case characters, padded with spaces.
fn label_field(label: &str) -> [u8; 11] {
    let mut field = [b' '; 11];
    for (slot, byte) in field.iter_mut().zip(label.bytes()) {
        *slot = byte.to_ascii_uppercase();
    }
    field
}

struct Layout {
    sectors_per_cluster: u32,
    fat_sectors: u32,
    clusters: u32,
}

impl Layout {
    /// Clusters of 4 KiB where the volume allows: a file of a page or less is then one cluster,
    /// whose sectors a read finds without consulting the FAT (with one sector per cluster, a
    /// 4 KiB read looked up the FAT eight times). Otherwise the nearest size below, then above,
    /// that keeps the cluster count in FAT16's range.
    fn for_volume(volume: u32) -> Option<Self> {
        let root_sectors = ROOT_ENTRIES * 32 / 512;
        for shift in CLUSTER_SHIFTS {
            let sectors_per_cluster = 1u32 << shift;
            let mut fat_sectors = 1;
            // The FATs take room from the clusters they describe: settle on a size that fits.
            loop {
                let data =
                    volume.checked_sub(RESERVED_SECTORS + FATS * fat_sectors + root_sectors)?;
                let clusters = data / sectors_per_cluster;
                let needed = ((clusters + 2) * 2).div_ceil(512);
                if needed <= fat_sectors {
                    if (MIN_CLUSTERS..=MAX_CLUSTERS).contains(&clusters) {
                        return Some(Layout { sectors_per_cluster, fat_sectors, clusters });
                    }
                    break;
                }
                fat_sectors = needed;
            }
        }
        None
    }

    fn write_boot_sector(&self, block: &mut Block, volume: u32, label: &str) {
        block[0..3].copy_from_slice(&[0xeb, 0x3c, 0x90]); // jump over the parameters
        block[3..11].copy_from_slice(b"MOAT    ");
        block[11..13].copy_from_slice(&512u16.to_le_bytes());
        block[13] = self.sectors_per_cluster as u8;
        block[14..16].copy_from_slice(&(RESERVED_SECTORS as u16).to_le_bytes());
        block[16] = FATS as u8;
        block[17..19].copy_from_slice(&(ROOT_ENTRIES as u16).to_le_bytes());
        match u16::try_from(volume) {
            Ok(small) => block[19..21].copy_from_slice(&small.to_le_bytes()),
            Err(_) => block[32..36].copy_from_slice(&volume.to_le_bytes()),
        }
        block[21] = 0xf8; // media: fixed disk
        block[22..24].copy_from_slice(&(self.fat_sectors as u16).to_le_bytes());
        block[24..26].copy_from_slice(&32u16.to_le_bytes()); // sectors per track
        block[26..28].copy_from_slice(&64u16.to_le_bytes()); // heads
        block[28..32].copy_from_slice(&PARTITION_START.to_le_bytes()); // hidden sectors
        block[36] = 0x80; // drive number
        block[38] = 0x29; // extended boot signature: the next three fields are valid
        block[39..43].copy_from_slice(&0x4d4f_4154u32.to_le_bytes()); // serial number
        block[43..54].copy_from_slice(&label_field(label));
        block[54..62].copy_from_slice(b"FAT16   ");
        block[510..512].copy_from_slice(&[0x55, 0xaa]);
    }
}
