//! Memory management: physical frames, page tables, and the kernel heap.

/// The global physical frame allocator.
pub mod frames;
/// The kernel heap behind `alloc` (`Box`, `Vec`), on `linked_list_allocator`.
pub mod heap;
/// Where things live in the virtual address space.
pub mod layout;
/// The window onto all of physical memory.
pub mod physical;

pub use physical::phys_to_virt;

use crate::arch::paging;
use bootloader_api::BootInfo;

/// Brings up frames, page tables and the heap, in that order (each needs the one before).
pub fn init(boot_info: &BootInfo) {
    let Some(physical_memory_offset) = boot_info.physical_memory_offset.into_option() else {
        panic!("the bootloader did not map physical memory (check BOOT_CONFIG)");
    };
    physical::set_offset(physical_memory_offset);
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
