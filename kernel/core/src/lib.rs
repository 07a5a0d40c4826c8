//! The kernel's pure logic: no hardware access, no `unsafe`, unit-tested on the host.
//!
//! What can be decided without touching the machine lives here (after Hubris's `kerncore`), so
//! `cargo test` exercises it in milliseconds and the kernel crate keeps only the parts that
//! need ring 0.

#![no_std]
#![forbid(unsafe_code)]

/// The kernel command line: `key=value` words handed over by QEMU's fw_cfg.
pub mod cmdline;
/// Physical frame bookkeeping: a bitmap over the usable memory of the boot memory map.
pub mod frames;
