//! A disk reached in requests of at most `block::MAX_SECTORS` sectors, as the block driver's
//! protocol allows. The file server's disk is the block driver behind IPC; the monolithic
//! kernel's is its built-in driver. `Cached` turns either into the `BlockDevice` the FAT code
//! wants.

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
    /// Sectors the disk said it wrote read back different, twice (`Cached` reads back every
    /// write): the error to report. The disk, or more likely its driver, is broken; a client
    /// that can have the driver restarted asks for it here.
    fn not_kept(&self) -> Self::Error;
}
