//! Time since boot, counted in timer interrupts.

use core::sync::atomic::{AtomicU64, Ordering};

/// Timer interrupts per second. 100 Hz keeps the tick cheap under emulation.
pub const TIMER_HZ: u32 = 100;

/// Written only by `tick`, from the timer interrupt.
static TICKS: AtomicU64 = AtomicU64::new(0);

/// Called by the timer interrupt handler.
pub fn tick() {
    TICKS.fetch_add(1, Ordering::Relaxed);
}

/// Timer ticks since interrupts were enabled.
pub fn ticks() -> u64 {
    TICKS.load(Ordering::Relaxed)
}

/// Milliseconds since interrupts were enabled, at tick resolution.
pub fn uptime_ms() -> u64 {
    ticks() * 1000 / u64::from(TIMER_HZ)
}
