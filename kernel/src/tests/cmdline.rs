//! The command line travels from xtask through QEMU's fw_cfg into the kernel.

use super::{GuestTest, TestResult};
use crate::check_eq;

pub const TESTS: &[GuestTest] =
    &[GuestTest { name: "cmdline::reaches_the_kernel", run: reaches_the_kernel }];

/// xtask always adds `selftest=fw_cfg` to the test kernel's command line.
fn reaches_the_kernel() -> TestResult {
    check_eq!(crate::cmdline::init().value("selftest"), Some("fw_cfg"));
    Ok(())
}
