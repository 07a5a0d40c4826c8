//! Memory management: physical frames, page tables, and the kernel heap.

/// The global physical frame allocator.
pub mod frames;
/// The kernel heap behind `alloc` (`Box`, `Vec`), on `linked_list_allocator`.
pub mod heap;
/// Where things live in the virtual address space.
pub mod layout;

use crate::arch::paging;
use bootloader_api::BootInfo;
use core::sync::atomic::{AtomicU64, Ordering};

/// Where all of physical memory is mapped; set once by `init`.
static PHYSICAL_MEMORY_OFFSET: AtomicU64 = AtomicU64::new(0);

/// The kernel virtual address through which physical address `physical` can be reached.
pub fn phys_to_virt(physical: u64) -> u64 {
    PHYSICAL_MEMORY_OFFSET.load(Ordering::Relaxed) + physical
}

/// Brings up frames, page tables and the heap, in that order (each needs the one before).
pub fn init(boot_info: &BootInfo) {
    let Some(physical_memory_offset) = boot_info.physical_memory_offset.into_option() else {
        panic!("the bootloader did not map physical memory (check BOOT_CONFIG)");
    };
    PHYSICAL_MEMORY_OFFSET.store(physical_memory_offset, Ordering::Relaxed);
    frames::init(&boot_info.memory_regions);
    // SAFETY: the bootloader mapped all physical memory at this offset (BOOT_CONFIG asks it to),
    // and this is the only call.
    unsafe { paging::init(physical_memory_offset) };
    heap::init();

    let stats = frames::stats();
    log::info!(
        "memory: {} MiB usable, {} frames free; physical memory mapped at {:#x}",
        stats.managed * 4 / 1024,
        stats.free,
        physical_memory_offset
    );
    let (used, free) = heap::usage();
    log::info!(
        "heap: {} KiB at {:#x}, {used} bytes in use",
        (used + free) / 1024,
        layout::KERNEL_HEAP_START
    );
}
