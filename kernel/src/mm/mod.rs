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
    guard_stacks();
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

/// Takes the page under each stack the CPU switches to out of the page tables, so that an
/// overflow is a double fault reported on its own stack instead of writes over the kernel's
/// memory. A stack mapped with a large page keeps its neighbour, and the log says so.
fn guard_stacks() {
    let mut guarded = 0;
    for (name, page, _) in crate::arch::stack_bounds() {
        match paging::unmap_kernel_page(page) {
            Ok(()) => guarded += 1,
            Err(why) => log::warn!("no guard page under the {name} stack at {page:#x}: {why}"),
        }
    }
    log::info!("guard pages under {guarded} of the 3 stacks the CPU switches to");
}
