//! Where the kernel image lives, for the kernel and for the tools that debug it (xtask's gdb
//! recipe needs the same address to place the symbols).

/// Where the bootloader loads the kernel ELF: the top 2 GiB, which the `kernel` code model
/// of the `x86_64-unknown-none` target expects. The kernel is position-independent and linked
/// at 0, so a debugger adds this to every symbol.
pub const KERNEL_BASE: u64 = 0xffff_ffff_8000_0000;
