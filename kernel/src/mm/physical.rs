//! The window onto physical memory: the bootloader maps all of it at one offset in the upper
//! half, so the kernel reaches any frame by adding that offset.

use core::sync::atomic::{AtomicU64, Ordering};

/// Where all of physical memory is mapped; set once by `mm::init`.
static PHYSICAL_MEMORY_OFFSET: AtomicU64 = AtomicU64::new(0);

/// Records the offset the bootloader chose (once, at boot).
pub fn set_offset(offset: u64) {
    PHYSICAL_MEMORY_OFFSET.store(offset, Ordering::Relaxed);
}

/// The kernel virtual address through which physical address `physical` can be reached.
pub fn phys_to_virt(physical: u64) -> u64 {
    PHYSICAL_MEMORY_OFFSET.load(Ordering::Relaxed) + physical
}
