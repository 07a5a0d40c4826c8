//! Acknowledging an interrupt line, for drivers.

use libipc::sys;

/// Attempts at an acknowledgement before the driver gives up on it.
const ATTEMPTS: usize = 2;

/// Unmasks `line` after its notification was handled. The kernel keeps the line masked until
/// this succeeds, so one acknowledgement that does not happen (a system call that failed, or
/// that a fault injector's `skip` turned into nothing) would silence the device for good: a
/// failed one is tried again. False if the kernel refused both times (the line is not the
/// caller's, which retrying cannot mend).
pub fn acknowledge(line: u8) -> bool {
    (0..ATTEMPTS).any(|_| sys::irq_ack(line).is_ok())
}
