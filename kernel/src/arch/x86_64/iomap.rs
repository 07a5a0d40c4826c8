//! Ports a driver may use with `in` and `out` itself, checked by the CPU.
//!
//! Ring 3 runs with IOPL 0 (lab 1), so for every `in` or `out` there the CPU looks up the bit
//! of each port it touches in the I/O permission bitmap at the end of the TSS: clear allows
//! it, set makes it a general protection fault. Every bit starts set. On each switch the bits
//! of the next task's manifest ports are cleared and those of the task before it set again,
//! byte by byte over those ranges only, so a switch between tasks that hold no ports costs one
//! comparison, and a driver never holds a port of another (the seL4 and Hubris kernels give
//! user drivers their ports the same way).

use kernel_core::manifest::PortRanges;
// LAB 7 BEGIN: what the bitmap needs: where it is (after the TSS), and the ports it allows now
use super::gdt::{IOMAP_BYTES, TSS};

/// The ports the bitmap allows now: those of the task that runs (or last ran) in ring 3.
struct Granted(core::cell::UnsafeCell<PortRanges>);

// SAFETY: read and written only by `grant`, on the one CPU, with interrupts off.
unsafe impl Sync for Granted {}

static GRANTED: Granted = Granted(core::cell::UnsafeCell::new(PortRanges::EMPTY));
// LAB 7 STUB
// LAB 7 END

/// Makes the bitmap allow exactly `ports` (a task's manifest ranges), before that task runs.
/// Called with interrupts off, on the way to ring 3, on every switch: kept to two loads and
/// two compares when neither the task nor the one before it holds ports.
#[inline(always)]
pub fn grant(ports: &PortRanges) {
    // LAB 7 BEGIN: unless `ports` are the ones allowed already (cheaply: most tasks hold none), refuse those again and allow these
    // SAFETY: one CPU, interrupts off (see `Granted`): nothing else touches `GRANTED`.
    let granted = unsafe { &mut *GRANTED.0.get() };
    if ports.is_empty() && granted.is_empty() {
        return;
    }
    if granted != ports {
        regrant(granted, ports);
    }
    // LAB 7 STUB
    // let _ = ports; // every port stays refused
    // LAB 7 END
}

// LAB 7 BEGIN: one bit a port, eight to a byte: set refuses the port, clear allows it
/// Refuses the ports of `granted` again, allows those of `ports`, and remembers them.
#[cold]
fn regrant(granted: &mut PortRanges, ports: &PortRanges) {
    // SAFETY: as in `grant`; the CPU reads the bitmap only when ring 3 executes `in` or
    // `out`, which it cannot while the kernel runs.
    let iomap = unsafe { &mut (*TSS.0.get()).iomap };
    for &(low, high) in granted.ranges() {
        set_ports(iomap, low, high, true);
    }
    for &(low, high) in ports.ranges() {
        set_ports(iomap, low, high, false);
    }
    *granted = *ports;
}

/// Sets (refused) or clears (allowed) the bits of ports `low..=high`: a byte at a time, with
/// a mask for the bits of the range in it (a driver's ranges are a byte or two: COM1's eight
/// ports are one byte).
fn set_ports(iomap: &mut [u8; IOMAP_BYTES + 1], low: u16, high: u16, refused: bool) {
    let (first, last) = (usize::from(low / 8), usize::from(high / 8));
    for index in first..=last {
        let from = if index == first { low % 8 } else { 0 };
        let to = if index == last { high % 8 } else { 7 };
        let mask = (0xffu8 << from) & (0xffu8 >> (7 - to));
        if refused {
            iomap[index] |= mask;
        } else {
            iomap[index] &= !mask;
        }
    }
}
// LAB 7 STUB
// LAB 7 END
