//! The virtual address space. User space will own the lower half; the kernel lives in the
//! upper half, which every address space will share.
//!
//! ```text
//! 0x0000_0000_0000_0000 .. USER_START               never mapped: null pointers fault
//! USER_START .. USER_IMAGE_END                      the program's ELF segments
//! USER_IMAGE_END .. USER_DEVICE_END                 device memory granted to a driver (the
//!                                                   screen, `framebuffer`), else unmapped
//! .. USER_STACK_BOTTOM                              guard page (never mapped)
//! USER_STACK_BOTTOM .. USER_STACK_TOP               the task's stack
//! .. 0x0000_7fff_ffff_ffff                          unused rest of user space
//! 0xffff_8000_0000_0000 .. BOOT_DYNAMIC_END         bootloader's mappings: all physical
//!                                                   memory, boot stack, boot info
//! 0xffff_c000_0000_0000 .. + KERNEL_HEAP_SIZE       kernel heap
//! 0xffff_ffff_8000_0000 ..                          kernel image (code, data, bss)
//! ```

/// Where the bootloader loads the kernel ELF (defined with the tools that need it too).
pub use kernel_core::layout::KERNEL_BASE;

/// The window in which the bootloader may place its own mappings.
pub const BOOT_DYNAMIC_START: u64 = 0xffff_8000_0000_0000;
pub const BOOT_DYNAMIC_END: u64 = KERNEL_HEAP_START - 0x1000;

/// The stack `kmain` runs on (the bootloader maps it, with a guard page below).
pub const BOOT_STACK_SIZE: u64 = 128 * 1024;

pub const KERNEL_HEAP_START: u64 = 0xffff_c000_0000_0000;
pub const KERNEL_HEAP_SIZE: u64 = 4 * 1024 * 1024;

/// The lowest user address a program may use; page 0 stays unmapped to catch null pointers.
pub const USER_START: u64 = 0x1000;
/// The end of the lower, user half of the address space (exclusive).
pub const USER_END: u64 = 0x0000_8000_0000_0000;
/// The user stack: 64 KiB, growing down from `USER_STACK_TOP`.
pub const USER_STACK_TOP: u64 = 0x0000_7fff_fff0_0000;
pub const USER_STACK_PAGES: u64 = 16;
pub const USER_STACK_BOTTOM: u64 = USER_STACK_TOP - USER_STACK_PAGES * 4096;
/// ELF segments must end below the device window.
pub const USER_IMAGE_END: u64 = libipc::abi::FRAMEBUFFER_ADDRESS;
/// Device memory is mapped from `USER_IMAGE_END` up to here, never into the stack's guard.
pub const USER_DEVICE_END: u64 = USER_STACK_BOTTOM - 4096;
