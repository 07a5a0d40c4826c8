//! The kernel command line, read once from QEMU's fw_cfg file `opt/moat/cmdline`.
//!
//! Parsing is in `kernel_core::cmdline` (host-tested); this module only fetches the text and
//! keeps it for the life of the kernel.

use crate::arch::fw_cfg;
pub use kernel_core::cmdline::Cmdline;
use spin::Once;

const FW_CFG_NAME: &str = "opt/moat/cmdline";
const MAX_LEN: usize = 512;

/// The text, filled once by `init`.
static TEXT: Once<([u8; MAX_LEN], usize)> = Once::new();

/// Reads the command line (empty when absent or not valid UTF-8) and returns it.
pub fn init() -> Cmdline<'static> {
    let (bytes, len) = TEXT.call_once(|| {
        let mut bytes = [0; MAX_LEN];
        let len = fw_cfg::read_file(FW_CFG_NAME, &mut bytes).unwrap_or(0);
        (bytes, len)
    });
    Cmdline::new(core::str::from_utf8(&bytes[..*len]).unwrap_or(""))
}
