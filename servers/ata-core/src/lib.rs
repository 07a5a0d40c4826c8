//! The logic of an ATA disk driver in PIO mode (LBA28), after the ATA/ATAPI-6 command set and
//! xv6's `ide.c`. It reaches the hardware only through the `Channel` trait, so it runs in the
//! ring-3 block server (ports through system calls, interrupts as notifications), inside
//! the kernel, or against the simulated drive of the host tests.
//!
//! Sectors move in blocks of up to `MULTIPLE` per interrupt (READ MULTIPLE and WRITE MULTIPLE,
//! after SET MULTIPLE MODE at start-up), or one per interrupt on a drive without that mode
//! (READ SECTORS, WRITE SECTORS). Reads: issue the command, then per block wait for the
//! interrupt, read the status (which acknowledges the drive's interrupt) and the block's data
//! words. Writes: issue the command, send each block when the drive asks for data (DRQ), wait
//! for its interrupt, and finish with FLUSH CACHE, so a reply means the bytes are on the disk.

#![no_std]
#![forbid(unsafe_code)]

/// The channel as I/O ports, for drivers that reach them one port at a time.
pub mod ports;
/// The block driver's protocol on top: one request to one reply.
pub mod requests;
pub use ports::{PortChannel, Ports};

/// Register offsets from the command block base (0x1f0 on the primary channel).
pub mod register {
    pub const DATA: u16 = 0;
    pub const ERROR: u16 = 1;
    pub const SECTOR_COUNT: u16 = 2;
    pub const LBA_LOW: u16 = 3;
    pub const LBA_MID: u16 = 4;
    pub const LBA_HIGH: u16 = 5;
    pub const DRIVE: u16 = 6;
    /// Status when read, command when written.
    pub const STATUS: u16 = 7;
}

pub mod status {
    pub const ERROR: u8 = 1 << 0;
    pub const DATA_REQUEST: u8 = 1 << 3;
    pub const DEVICE_FAULT: u8 = 1 << 5;
    pub const BUSY: u8 = 1 << 7;
}

pub mod command {
    pub const READ_SECTORS: u8 = 0x20;
    pub const WRITE_SECTORS: u8 = 0x30;
    pub const READ_MULTIPLE: u8 = 0xc4;
    pub const WRITE_MULTIPLE: u8 = 0xc5;
    pub const SET_MULTIPLE_MODE: u8 = 0xc6;
    pub const FLUSH_CACHE: u8 = 0xe7;
    pub const IDENTIFY: u8 = 0xec;
}

pub const SECTOR_SIZE: usize = 512;

/// The ports and interrupt of one ATA channel, however they are reached.
pub trait Channel {
    /// Reads a command-block register (offset from `register`).
    fn read(&mut self, register: u16) -> u8;
    fn write(&mut self, register: u16, value: u8);
    /// Moves one sector through the data register, 16 bits at a time.
    fn read_data(&mut self, sector: &mut [u8; SECTOR_SIZE]);
    fn write_data(&mut self, sector: &[u8; SECTOR_SIZE]);
    /// Reads the alternate status (control block), which does not acknowledge interrupts.
    fn alternate_status(&mut self) -> u8;
    /// Sets the device control register (0 enables the drive's interrupt).
    fn control(&mut self, value: u8);
    /// Waits for the channel's interrupt; false if it did not come in reasonable time (the
    /// driver then looks at the status anyway).
    fn wait_interrupt(&mut self) -> bool;
    /// Lets time pass while the drive is busy: a timer tick for a driver that can sleep, a
    /// short spin for one that cannot. Bounds the waits in time, not only in status reads,
    /// which a driver with cheap port access gets through in a moment.
    fn pause(&mut self);
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AtaError {
    /// No drive answers at that position.
    NoDrive,
    /// The drive reported an error (error register attached) or a device fault.
    Drive(u8),
    /// The drive stayed busy.
    Timeout,
    /// Beyond the end of the disk, not whole sectors, or more than 255 sectors at once.
    BadRange,
}

impl core::fmt::Display for AtaError {
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        match self {
            AtaError::NoDrive => f.write_str("no drive answers"),
            AtaError::Drive(error) => {
                write!(f, "the drive reported an error (register {error:#04x})")
            }
            AtaError::Timeout => f.write_str("the drive stayed busy"),
            AtaError::BadRange => f.write_str("the sectors are outside the disk"),
        }
    }
}

/// The two drives a channel can hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Drive {
    Master,
    Slave,
}

/// A drive that answered IDENTIFY.
pub struct Disk<C: Channel> {
    channel: C,
    drive: Drive,
    sectors: u32,
    /// Sectors per interrupt: the multiple mode set at start-up, or 1 without it.
    multiple: usize,
}

/// The most sectors per interrupt the driver asks a drive for: the block protocol's largest
/// request, so a request's transfer raises one interrupt.
const MULTIPLE: u8 = service_api::block::MAX_SECTORS as u8;

/// A busy drive is waited for in rounds: this many status reads, then a pause, at most
/// `BUSY_PAUSES` times (two seconds of ticks in ring 3).
const BUSY_POLLS: u32 = 10_000;
const BUSY_PAUSES: u32 = 200;

impl<C: Channel> Disk<C> {
    /// Finds the drive and reads its size.
    pub fn identify(mut channel: C, drive: Drive) -> Result<Self, AtaError> {
        reset(&mut channel);
        select(&mut channel, drive, 0);
        for register in
            [register::SECTOR_COUNT, register::LBA_LOW, register::LBA_MID, register::LBA_HIGH]
        {
            channel.write(register, 0);
        }
        channel.write(register::STATUS, command::IDENTIFY);
        if channel.alternate_status() == 0 {
            return Err(AtaError::NoDrive);
        }
        let mut disk = Disk { channel, drive, sectors: 0, multiple: 1 };
        disk.wait_not_busy()?;
        // ATAPI and SATA devices set the signature registers instead of answering.
        if disk.channel.read(register::LBA_MID) != 0 || disk.channel.read(register::LBA_HIGH) != 0 {
            return Err(AtaError::NoDrive);
        }
        disk.wait_for_data()?;
        let mut identity = [0u8; SECTOR_SIZE];
        disk.channel.read_data(&mut identity);
        // Words 60-61: sectors addressable with LBA28.
        disk.sectors =
            u32::from_le_bytes([identity[120], identity[121], identity[122], identity[123]]);
        if disk.sectors == 0 {
            return Err(AtaError::NoDrive);
        }
        // Word 47, low byte: the most sectors per interrupt the drive offers (0: no such mode).
        disk.multiple = disk.set_multiple(identity[94]);
        Ok(disk)
    }

    /// Asks the drive for blocks of up to `MULTIPLE` sectors per interrupt (a power of two no
    /// larger than it offers `most`); the sectors per interrupt it then moves.
    fn set_multiple(&mut self, most: u8) -> usize {
        let wanted = most.min(MULTIPLE);
        if wanted < 2 {
            return 1;
        }
        let wanted = 1u8 << wanted.ilog2();
        select(&mut self.channel, self.drive, 0);
        self.channel.write(register::SECTOR_COUNT, wanted);
        self.channel.write(register::STATUS, command::SET_MULTIPLE_MODE);
        self.channel.wait_interrupt();
        match self.wait_not_busy() {
            Ok(status) if status & (status::ERROR | status::DEVICE_FAULT) == 0 => {
                usize::from(wanted)
            }
            _ => 1, // refused: one sector per interrupt, as every drive can
        }
    }

    /// Sectors the drive moves per interrupt.
    pub fn sectors_per_interrupt(&self) -> usize {
        self.multiple
    }

    pub fn sectors(&self) -> u32 {
        self.sectors
    }

    /// Reads whole sectors starting at `lba` into `buffer`.
    pub fn read(&mut self, lba: u32, buffer: &mut [u8]) -> Result<(), AtaError> {
        let multiple = self.multiple > 1;
        let command = if multiple { command::READ_MULTIPLE } else { command::READ_SECTORS };
        let count = self.start(lba, buffer.len(), command)?;
        for block in buffer[..count * SECTOR_SIZE].chunks_mut(self.multiple * SECTOR_SIZE) {
            self.channel.wait_interrupt();
            self.wait_for_data()?;
            for sector in block.chunks_exact_mut(SECTOR_SIZE) {
                let sector: &mut [u8; SECTOR_SIZE] =
                    sector.try_into().map_err(|_| AtaError::BadRange)?;
                self.channel.read_data(sector);
            }
        }
        Ok(())
    }

    /// Writes whole sectors from `data` starting at `lba`; returns once the drive has flushed
    /// them from its cache.
    pub fn write(&mut self, lba: u32, data: &[u8]) -> Result<(), AtaError> {
        let multiple = self.multiple > 1;
        let command = if multiple { command::WRITE_MULTIPLE } else { command::WRITE_SECTORS };
        let count = self.start(lba, data.len(), command)?;
        for block in data[..count * SECTOR_SIZE].chunks(self.multiple * SECTOR_SIZE) {
            self.wait_for_data()?;
            for sector in block.chunks_exact(SECTOR_SIZE) {
                let sector: &[u8; SECTOR_SIZE] =
                    sector.try_into().map_err(|_| AtaError::BadRange)?;
                self.channel.write_data(sector);
            }
            self.channel.wait_interrupt();
        }
        let status = self.wait_not_busy()?;
        self.check(status)?;
        self.channel.write(register::STATUS, command::FLUSH_CACHE);
        self.channel.wait_interrupt();
        let status = self.wait_not_busy()?;
        self.check(status)
    }

    /// Checks the range and issues `command`; returns the number of sectors.
    fn start(&mut self, lba: u32, bytes: usize, command: u8) -> Result<usize, AtaError> {
        let count = bytes / SECTOR_SIZE;
        let in_range = u32::try_from(count)
            .ok()
            .and_then(|count| lba.checked_add(count))
            .is_some_and(|end| end <= self.sectors);
        if bytes % SECTOR_SIZE != 0 || count == 0 || count > 255 || !in_range {
            return Err(AtaError::BadRange);
        }
        self.wait_not_busy()?;
        select(&mut self.channel, self.drive, lba);
        self.channel.write(register::SECTOR_COUNT, count as u8);
        let [low, mid, high, _] = lba.to_le_bytes();
        self.channel.write(register::LBA_LOW, low);
        self.channel.write(register::LBA_MID, mid);
        self.channel.write(register::LBA_HIGH, high);
        self.channel.write(register::STATUS, command);
        Ok(count)
    }

    fn wait_not_busy(&mut self) -> Result<u8, AtaError> {
        for _ in 0..BUSY_PAUSES {
            for _ in 0..BUSY_POLLS {
                // Reading the status register also acknowledges the drive's interrupt.
                let status = self.channel.read(register::STATUS);
                if status & status::BUSY == 0 {
                    return Ok(status);
                }
            }
            self.channel.pause();
        }
        Err(AtaError::Timeout)
    }

    /// Waits until the drive is ready to move a sector, or reports its error.
    fn wait_for_data(&mut self) -> Result<(), AtaError> {
        let status = self.wait_not_busy()?;
        self.check(status)?;
        if status & status::DATA_REQUEST == 0 {
            return Err(AtaError::Drive(0));
        }
        Ok(())
    }

    fn check(&mut self, status: u8) -> Result<(), AtaError> {
        if status & (status::ERROR | status::DEVICE_FAULT) != 0 {
            return Err(AtaError::Drive(self.channel.read(register::ERROR)));
        }
        Ok(())
    }
}

/// Selects the drive (LBA mode, with the top four bits of `lba`) and gives it the 400 ns the
/// standard asks for before its status means anything: four reads of the alternate status.
/// A software reset of the channel (SRST in the device control register). A driver restarted
/// after a crash may find the drive in the middle of its predecessor's transfer, deaf to new
/// commands; the reset brings both drives back to idle. Interrupts stay enabled afterwards.
/// The drive is busy until the reset is done, which in QEMU happens later, on its own thread:
/// a command sent before that is wiped out by the reset, so the wait is bounded in time.
fn reset<C: Channel>(channel: &mut C) {
    const SOFTWARE_RESET: u8 = 1 << 2;
    channel.control(SOFTWARE_RESET);
    // Hold it for at least 5 us: each status read takes longer than 1 us on any bus.
    for _ in 0..8 {
        channel.alternate_status();
    }
    channel.control(0);
    // Bounded: an absent drive may read as busy for ever; IDENTIFY then says it is absent.
    for _ in 0..BUSY_PAUSES {
        for _ in 0..BUSY_POLLS {
            if channel.alternate_status() & status::BUSY == 0 {
                return;
            }
        }
        channel.pause();
    }
}

fn select<C: Channel>(channel: &mut C, drive: Drive, lba: u32) {
    let slave = if drive == Drive::Slave { 0x10 } else { 0 };
    channel.write(register::DRIVE, 0xe0 | slave | ((lba >> 24) as u8 & 0x0f));
    for _ in 0..4 {
        channel.alternate_status();
    }
}

#[cfg(test)]
mod tests;
