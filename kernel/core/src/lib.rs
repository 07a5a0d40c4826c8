//! The kernel's pure logic: no hardware access, no `unsafe`, unit-tested on the host.
//!
//! What can be decided without touching the machine lives here (after Hubris's `kerncore`), so
//! `cargo test` exercises it in milliseconds and the kernel crate keeps only the parts that
//! need ring 0.

#![no_std]
#![forbid(unsafe_code)]

/// The ramdisk: a tar archive of the user programs.
pub mod bootfs;
/// The kernel command line: `key=value` words handed over by QEMU's fw_cfg.
pub mod cmdline;
/// Checking user ELF files and planning their loading.
pub mod elf;
/// Physical frame bookkeeping: a bitmap over the usable memory of the boot memory map.
pub mod frames;
/// Where the kernel image is loaded (shared with the debugger recipe).
pub mod layout;
/// A line of text formatted into a fixed buffer.
pub mod line;
/// The kernel's log, kept for `dmesg`.
pub mod log_ring;
/// The boot manifest: which tasks to start, checked and compiled on the host.
pub mod manifest;
/// Picking the next task to run.
pub mod sched;
/// The IPC trace: events kept while tracing is on, read back as text.
pub mod trace;
