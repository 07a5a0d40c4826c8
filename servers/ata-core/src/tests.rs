extern crate std;

use super::*;
use std::vec::Vec;

/// A drive in memory that follows the PIO protocol: it counts interrupts it raised and can be
/// told to fail the next command.
struct SimulatedDrive {
    present: bool,
    sectors: Vec<[u8; SECTOR_SIZE]>,
    registers: [u8; 8],
    status: u8,
    /// The command in progress, the sector it is at, and how many remain.
    transfer: Option<(u8, u32, u8)>,
    identify_pending: bool,
    interrupts: usize,
    waits: usize,
    fail_next: bool,
    /// Status reads a software reset stays busy for (QEMU finishes it later, on its own
    /// thread), and the pauses the driver took.
    busy_after_reset: u32,
    pauses: u32,
    /// The most sectors per interrupt the drive offers (IDENTIFY word 47; 0: no multiple
    /// mode), the mode set, and the sectors left in the current block.
    max_multiple: u8,
    multiple: u8,
    in_block: u8,
    /// Offers multiple mode in IDENTIFY but aborts SET MULTIPLE MODE.
    refuses_multiple: bool,
}

impl SimulatedDrive {
    fn new(sectors: usize) -> Self {
        SimulatedDrive {
            present: true,
            sectors: std::vec![[0; SECTOR_SIZE]; sectors],
            registers: [0; 8],
            status: 0x40,
            transfer: None,
            identify_pending: false,
            interrupts: 0,
            waits: 0,
            fail_next: false,
            busy_after_reset: 0,
            pauses: 0,
            max_multiple: 16, // as QEMU's disks
            multiple: 0,
            in_block: 0,
            refuses_multiple: false,
        }
    }

    /// One sector of the transfer moved: the drive interrupts at the end of each block (of one
    /// sector without multiple mode), and asks for the next block while sectors remain.
    fn sector_moved(&mut self, write: bool) {
        let Some((command, lba, left)) = self.transfer else { return };
        let multiple = matches!(command, command::READ_MULTIPLE | command::WRITE_MULTIPLE);
        self.in_block = self.in_block.saturating_sub(1);
        let block_done = !multiple || self.in_block == 0;
        self.transfer = (left > 1).then_some((command, lba + 1, left - 1));
        if block_done {
            self.in_block = if multiple { self.multiple.min(left - 1) } else { 1 };
            // A read interrupts when the next block is ready; a write when a block is taken.
            if write || left > 1 {
                self.interrupts += 1;
            }
        }
        self.status = if left > 1 { 0x48 } else { 0x40 };
    }

    fn lba(&self) -> u32 {
        u32::from_le_bytes([
            self.registers[3],
            self.registers[4],
            self.registers[5],
            self.registers[6] & 0x0f,
        ])
    }
}

impl Channel for SimulatedDrive {
    fn read(&mut self, register: u16) -> u8 {
        match register {
            register::STATUS => self.alternate_status(),
            register::ERROR => 0x04, // aborted command
            other => self.registers[other as usize],
        }
    }

    fn write(&mut self, register: u16, value: u8) {
        if register != register::STATUS {
            self.registers[register as usize] = value;
            return;
        }
        if self.busy_after_reset > 0 {
            return; // the reset, when it completes, wipes out a command sent before
        }
        if self.fail_next {
            self.fail_next = false;
            self.status = 0x41;
            self.interrupts += 1;
            return;
        }
        let count = self.registers[2]; // the driver never asks for 256 (count 0)
        if self.transfer.is_some() {
            return; // busy with a transfer: deaf to commands until it ends or is reset
        }
        match value {
            command::IDENTIFY => {
                self.identify_pending = true;
                self.status = 0x48;
            }
            command::SET_MULTIPLE_MODE => {
                let offered =
                    !self.refuses_multiple && count.is_power_of_two() && count <= self.max_multiple;
                self.multiple = if offered { count } else { self.multiple };
                self.status = if offered { 0x40 } else { 0x41 };
                self.interrupts += 1;
            }
            command::READ_MULTIPLE | command::WRITE_MULTIPLE if self.multiple == 0 => {
                self.status = 0x41;
                self.interrupts += 1;
            }
            command::READ_SECTORS | command::READ_MULTIPLE => {
                self.transfer = Some((value, self.lba(), count));
                self.in_block =
                    if value == command::READ_MULTIPLE { self.multiple.min(count) } else { 1 };
                self.status = 0x48;
                self.interrupts += 1;
            }
            command::WRITE_SECTORS | command::WRITE_MULTIPLE => {
                self.transfer = Some((value, self.lba(), count));
                self.in_block =
                    if value == command::WRITE_MULTIPLE { self.multiple.min(count) } else { 1 };
                self.status = 0x48;
            }
            command::FLUSH_CACHE => {
                self.status = 0x40;
                self.interrupts += 1;
            }
            _ => self.status = 0x41,
        }
    }

    fn read_data(&mut self, sector: &mut [u8; SECTOR_SIZE]) {
        if core::mem::take(&mut self.identify_pending) {
            *sector = [0; SECTOR_SIZE];
            sector[120..124].copy_from_slice(&(self.sectors.len() as u32).to_le_bytes());
            sector[94] = self.max_multiple;
            self.status = 0x40;
            return;
        }
        let Some((_, lba, _)) = self.transfer else { panic!("read with no transfer") };
        *sector = self.sectors[lba as usize];
        self.sector_moved(false);
    }

    fn write_data(&mut self, sector: &[u8; SECTOR_SIZE]) {
        let Some((_, lba, _)) = self.transfer else { panic!("write with no transfer") };
        self.sectors[lba as usize] = *sector;
        self.sector_moved(true);
    }

    fn alternate_status(&mut self) -> u8 {
        if !self.present {
            return 0;
        }
        if self.busy_after_reset > 0 {
            self.busy_after_reset -= 1;
            return 0x80;
        }
        self.status
    }

    fn control(&mut self, value: u8) {
        const SOFTWARE_RESET: u8 = 1 << 2;
        if value & SOFTWARE_RESET != 0 {
            // The reset leaves the drive idle, with the ATA signature (0, 0) in LBA mid/high.
            self.transfer = None;
            self.identify_pending = false;
            self.registers = [0; 8];
            self.status = 0x40;
        }
    }

    fn wait_interrupt(&mut self) -> bool {
        self.waits += 1;
        true
    }

    fn pause(&mut self) {
        self.pauses += 1;
    }
}

#[test]
fn identify_reads_the_size() {
    let disk = Disk::identify(SimulatedDrive::new(100), Drive::Slave).unwrap();
    assert_eq!(disk.sectors(), 100);
    let mut absent = SimulatedDrive::new(1);
    absent.present = false;
    assert_eq!(Disk::identify(absent, Drive::Master).err(), Some(AtaError::NoDrive));
}

#[test]
fn sectors_move_in_blocks_of_eight_one_interrupt_wait_each() {
    let mut disk = Disk::identify(SimulatedDrive::new(64), Drive::Slave).unwrap();
    assert_eq!(disk.sectors_per_interrupt(), 8, "the most the block protocol asks at once");
    assert_eq!(disk.channel.multiple, 8);
    let waits = disk.channel.waits;
    let data: Vec<u8> = (0..20 * SECTOR_SIZE).map(|i| (i % 251) as u8).collect();
    disk.write(30, &data).unwrap();
    assert_eq!(disk.channel.waits - waits, 3 + 1, "blocks of 8, 8 and 4, then the flush");
    let mut back = std::vec![0u8; 20 * SECTOR_SIZE];
    disk.read(30, &mut back).unwrap();
    assert_eq!(back, data);
    assert_eq!(disk.channel.waits - waits, 4 + 3);
    assert_eq!(disk.channel.sectors[49][..4], data[19 * SECTOR_SIZE..19 * SECTOR_SIZE + 4]);
    assert!(disk.channel.transfer.is_none(), "every sector of both transfers moved");
}

#[test]
fn a_drive_without_multiple_mode_moves_one_sector_per_interrupt() {
    let mut drive = SimulatedDrive::new(64);
    drive.max_multiple = 0;
    let mut disk = Disk::identify(drive, Drive::Slave).unwrap();
    assert_eq!(disk.sectors_per_interrupt(), 1);
    let data: Vec<u8> = (0..3 * SECTOR_SIZE).map(|i| (i % 253) as u8).collect();
    let waits = disk.channel.waits;
    disk.write(10, &data).unwrap();
    assert_eq!(disk.channel.waits - waits, 3 + 1, "one per sector, one for the flush");
    let mut back = std::vec![0u8; 3 * SECTOR_SIZE];
    disk.read(10, &mut back).unwrap();
    assert_eq!(back, data);
    assert_eq!(disk.channel.waits - waits, 4 + 3);
    assert_eq!(disk.channel.sectors[12][..4], data[2 * SECTOR_SIZE..2 * SECTOR_SIZE + 4]);
}

#[test]
fn the_mode_asked_for_is_what_the_drive_offers_and_a_refusal_means_one() {
    // A drive that offers 4 (not 8): the driver asks for 4. One that offers 3 is asked for 2.
    let mut drive = SimulatedDrive::new(64);
    drive.max_multiple = 4;
    assert_eq!(Disk::identify(drive, Drive::Slave).unwrap().sectors_per_interrupt(), 4);
    let mut drive = SimulatedDrive::new(64);
    drive.max_multiple = 3;
    assert_eq!(Disk::identify(drive, Drive::Slave).unwrap().sectors_per_interrupt(), 2);
    let mut drive = SimulatedDrive::new(64);
    drive.refuses_multiple = true;
    let mut disk = Disk::identify(drive, Drive::Slave).unwrap();
    assert_eq!(disk.sectors_per_interrupt(), 1);
    let data = [7u8; 2 * SECTOR_SIZE];
    disk.write(5, &data).unwrap();
    let mut back = [0u8; 2 * SECTOR_SIZE];
    disk.read(5, &mut back).unwrap();
    assert_eq!(back, data, "READ SECTORS and WRITE SECTORS, as before");
}

#[test]
fn bad_ranges_are_refused_before_the_drive_sees_them() {
    let mut disk = Disk::identify(SimulatedDrive::new(16), Drive::Master).unwrap();
    let waits = disk.channel.waits;
    let mut buffer = [0u8; 2 * SECTOR_SIZE];
    assert_eq!(disk.read(15, &mut buffer), Err(AtaError::BadRange));
    assert_eq!(disk.read(u32::MAX, &mut buffer), Err(AtaError::BadRange));
    assert_eq!(disk.read(0, &mut buffer[..100]), Err(AtaError::BadRange));
    assert_eq!(disk.write(0, &[]), Err(AtaError::BadRange));
    assert_eq!(disk.channel.waits, waits);
}

#[test]
fn a_drive_error_is_reported_with_its_error_register() {
    let mut disk = Disk::identify(SimulatedDrive::new(16), Drive::Master).unwrap();
    disk.channel.fail_next = true;
    let mut buffer = [0u8; SECTOR_SIZE];
    assert_eq!(disk.read(0, &mut buffer), Err(AtaError::Drive(0x04)));
}

#[test]
fn a_drive_left_mid_transfer_by_a_dead_driver_is_reset() {
    // The driver before this one died after starting a read of sector 0x1234.
    let mut drive = SimulatedDrive::new(0x2000);
    drive.write(register::SECTOR_COUNT, 4);
    drive.write(register::LBA_LOW, 0x34);
    drive.write(register::LBA_MID, 0x12);
    drive.write(register::STATUS, command::READ_SECTORS);
    assert!(drive.transfer.is_some());
    let disk = Disk::identify(drive, Drive::Slave).expect("identify after a reset");
    assert_eq!(disk.sectors(), 0x2000);
}

#[test]
fn a_reset_that_finishes_late_is_waited_for_in_time_not_only_in_reads() {
    // QEMU's reset completes on another thread: the drive reads busy for a while, longer than
    // a driver with cheap port access needs for 100000 status reads.
    let mut drive = SimulatedDrive::new(8);
    drive.busy_after_reset = 150_000;
    let disk = Disk::identify(drive, Drive::Slave).expect("identify after a slow reset");
    assert_eq!(disk.sectors(), 8);
    assert!(disk.channel.pauses > 0, "the driver paused while the drive was busy");
}
