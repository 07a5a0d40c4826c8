//! The virtual address space. User space will own the lower half; the kernel lives in the
//! upper half, which every address space will share.
//!
//! ```text
//! 0x0000_0000_0000_0000 .. 0x0000_7fff_ffff_ffff   user space (per task)
//! 0xffff_8000_0000_0000 .. BOOT_DYNAMIC_END         bootloader's mappings: all physical
//!                                                   memory, boot stack, boot info
//! 0xffff_c000_0000_0000 .. + KERNEL_HEAP_SIZE       kernel heap
//! 0xffff_ffff_8000_0000 ..                          kernel image (code, data, bss)
//! ```

/// Where the bootloader loads the kernel ELF: the top 2 GiB, which the `kernel` code model
/// of the `x86_64-unknown-none` target expects.
pub const KERNEL_BASE: u64 = 0xffff_ffff_8000_0000;

/// The window in which the bootloader may place its own mappings.
pub const BOOT_DYNAMIC_START: u64 = 0xffff_8000_0000_0000;
pub const BOOT_DYNAMIC_END: u64 = KERNEL_HEAP_START - 0x1000;

/// The stack `kmain` runs on (the bootloader maps it, with a guard page below).
pub const BOOT_STACK_SIZE: u64 = 128 * 1024;

pub const KERNEL_HEAP_START: u64 = 0xffff_c000_0000_0000;
pub const KERNEL_HEAP_SIZE: u64 = 4 * 1024 * 1024;
