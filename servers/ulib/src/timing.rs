//! Cycle counting for benchmarks: the time-stamp counter and a sample summary.
//!
//! Under QEMU with `-icount shift=0`, one TSC tick is one guest instruction, so these numbers
//! are path lengths and repeat exactly from run to run.

/// The time-stamp counter (allowed in ring 3: the kernel leaves CR4.TSD clear).
#[inline(always)]
pub fn timestamp() -> u64 {
    // SAFETY: RDTSC only reads a counter.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// Median, 99th percentile, minimum and maximum of `samples` (sorted in place).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub median: u64,
    pub p99: u64,
    pub min: u64,
    pub max: u64,
    pub count: usize,
}

pub fn summarize(samples: &mut [u64]) -> Summary {
    if samples.is_empty() {
        return Summary::default();
    }
    samples.sort_unstable();
    let at = |fraction_permille: usize| samples[(samples.len() - 1) * fraction_permille / 1000];
    Summary {
        median: at(500),
        p99: at(990),
        min: samples[0],
        max: samples[samples.len() - 1],
        count: samples.len(),
    }
}

/// Prints the line `cargo xtask bench` reads:
/// `BENCH <name> median=.. p99=.. min=.. max=.. samples=..` (TSC ticks).
pub fn report(name: &str, summary: &Summary) {
    crate::println!(
        "BENCH {name} median={} p99={} min={} max={} samples={}",
        summary.median,
        summary.p99,
        summary.min,
        summary.max,
        summary.count
    );
}
