//! The timer interrupt arrives and advances the tick count.

use super::{GuestTest, TestResult};
use crate::arch::unexpected_irq_count;
use crate::{check, check_eq, time};

pub const TESTS: &[GuestTest] = &[GuestTest { name: "timer::ticks_advance", run: ticks_advance }];

/// Waits (halting between interrupts) until five more ticks have arrived. Each `hlt` ends at
/// the next interrupt; with only the timer unmasked, a bounded number of them must do.
fn ticks_advance() -> TestResult {
    let start = time::ticks();
    let irqs_before = unexpected_irq_count();
    let mut halts = 0;
    while time::ticks() < start + 5 && halts < 1000 {
        ::x86_64::instructions::hlt();
        halts += 1;
    }
    check!(
        time::ticks() >= start + 5,
        "ticks went from {start} to {} in {halts} halts",
        time::ticks()
    );
    check_eq!(unexpected_irq_count(), irqs_before);
    Ok(())
}
