//! The physical frame allocator on the real memory map.

use super::{GuestTest, TestResult};
use crate::mm::{frames, phys_to_virt};
use crate::{check, check_eq};
use alloc::vec::Vec;

pub const TESTS: &[GuestTest] = &[
    GuestTest { name: "frames::usable_memory_is_managed", run: usable_memory_is_managed },
    GuestTest { name: "frames::allocate_write_free_roundtrip", run: allocate_write_free_roundtrip },
];

fn usable_memory_is_managed() -> TestResult {
    let stats = frames::stats();
    // QEMU runs with 256 MiB; the bootloader, kernel and firmware take some of it.
    check!(stats.managed > 128 * 1024 / 4, "only {} frames managed", stats.managed);
    check!(stats.free <= stats.managed && stats.free > 0);
    Ok(())
}

/// Frames come back distinct, aligned and usable, and freeing them restores the count.
fn allocate_write_free_roundtrip() -> TestResult {
    let before = frames::stats();
    let taken: Vec<u64> = (0..64).filter_map(|_| frames::allocate()).collect();
    check_eq!(taken.len(), 64);
    check_eq!(frames::stats().free, before.free - 64);
    for (i, &frame) in taken.iter().enumerate() {
        check!(frame % 4096 == 0 && frame != 0, "frame {frame:#x} misaligned or null");
        check!(!taken[..i].contains(&frame), "frame {frame:#x} handed out twice");
        let words = phys_to_virt(frame) as *mut u64;
        // SAFETY: the frame was just allocated to this test and is mapped at the offset.
        unsafe { words.write_volatile(frame ^ 0x5a5a) };
    }
    for &frame in &taken {
        // SAFETY: as above; the test still owns the frame.
        let value = unsafe { (phys_to_virt(frame) as *const u64).read_volatile() };
        check_eq!(value, frame ^ 0x5a5a);
        frames::free(frame);
    }
    check_eq!(frames::stats(), before);
    Ok(())
}
