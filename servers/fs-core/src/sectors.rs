//! A disk reached in requests of at most `block::MAX_SECTORS` sectors, as the block driver's
//! protocol allows: `Chunked` turns such a disk into the `BlockDevice` the FAT code wants. The
//! file server's disk is the block driver behind IPC; the monolithic kernel's is its built-in
//! driver; both count one request per chunk.

use embedded_sdmmc::{Block, BlockCount, BlockDevice, BlockIdx};
use service_api::block::{MAX_SECTORS, SECTOR_SIZE};

/// A block request failed: the block protocol's status (`service_api::status`) says how.
#[derive(Debug)]
pub struct BlockError(pub u64);

impl core::fmt::Display for BlockError {
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        f.write_str(service_api::status::describe(self.0))
    }
}

impl core::error::Error for BlockError {}

/// Whole-sector transfers of 1 to `MAX_SECTORS` sectors.
pub trait Sectors {
    type Error: core::error::Error + 'static;
    fn read(&self, lba: u32, bytes: &mut [u8]) -> Result<(), Self::Error>;
    fn write(&self, lba: u32, bytes: &[u8]) -> Result<(), Self::Error>;
    fn count(&self) -> Result<u32, Self::Error>;
}

/// A `Sectors` disk as a `BlockDevice`, copying through one chunk-sized buffer per request.
pub struct Chunked<S>(pub S);

impl<S: Sectors> BlockDevice for Chunked<S> {
    type Error = S::Error;

    fn read(&self, blocks: &mut [Block], start: BlockIdx) -> Result<(), S::Error> {
        let mut buffer = [0u8; MAX_SECTORS * SECTOR_SIZE];
        for (i, chunk) in blocks.chunks_mut(MAX_SECTORS).enumerate() {
            let bytes = &mut buffer[..chunk.len() * SECTOR_SIZE];
            self.0.read(start.0 + (i * MAX_SECTORS) as u32, bytes)?;
            for (block, sector) in chunk.iter_mut().zip(bytes.chunks_exact(SECTOR_SIZE)) {
                block.contents.copy_from_slice(sector);
            }
        }
        Ok(())
    }

    fn write(&self, blocks: &[Block], start: BlockIdx) -> Result<(), S::Error> {
        let mut buffer = [0u8; MAX_SECTORS * SECTOR_SIZE];
        for (i, chunk) in blocks.chunks(MAX_SECTORS).enumerate() {
            let bytes = &mut buffer[..chunk.len() * SECTOR_SIZE];
            for (block, sector) in chunk.iter().zip(bytes.chunks_exact_mut(SECTOR_SIZE)) {
                sector.copy_from_slice(&block.contents);
            }
            self.0.write(start.0 + (i * MAX_SECTORS) as u32, bytes)?;
        }
        Ok(())
    }

    fn num_blocks(&self) -> Result<BlockCount, S::Error> {
        self.0.count().map(BlockCount)
    }
}
