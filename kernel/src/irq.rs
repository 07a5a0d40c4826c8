//! Interrupt routes: which task owns each interrupt line, and how often each was used.
//!
//! The manifest gives a driver its lines; they are claimed when the task starts and released
//! (masked) when it ends. Forwarding an interrupt to its owner is in `interrupts.rs`.

use crate::arch;

/// Interrupt lines of the two PICs.
pub const IRQ_LINES: usize = 16;

/// Per interrupt line: how often it was forwarded to its owner, and acknowledged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IrqStats {
    pub delivered: u64,
    pub acknowledged: u64,
}

pub struct IrqRoutes {
    /// The slot owning each line.
    owner: [Option<usize>; IRQ_LINES],
    stats: [IrqStats; IRQ_LINES],
}

impl IrqRoutes {
    pub const fn new() -> Self {
        IrqRoutes {
            owner: [None; IRQ_LINES],
            stats: [IrqStats { delivered: 0, acknowledged: 0 }; IRQ_LINES],
        }
    }

    /// The task in `slot` owns the lines of `lines` (bit `n`: line `n`): unmask them.
    pub fn claim(&mut self, slot: usize, lines: u16) {
        for line in (0..IRQ_LINES as u8).filter(|line| lines & 1 << line != 0) {
            self.owner[usize::from(line)] = Some(slot);
            arch::unmask_irq(line);
        }
    }

    /// The task in `slot` has ended: mask its lines, which nobody owns now.
    pub fn release(&mut self, slot: usize) {
        for line in 0..IRQ_LINES {
            if self.owner[line] == Some(slot) {
                self.owner[line] = None;
                arch::mask_irq(line as u8);
            }
        }
    }

    /// The slot owning `line`, if any (any `line` may be asked about).
    pub fn owner(&self, line: u8) -> Option<usize> {
        self.owner.get(usize::from(line)).copied().flatten()
    }

    #[cfg_attr(not(feature = "guest-tests"), allow(dead_code))] // used by the in-guest tests
    pub fn stats(&self, line: u8) -> IrqStats {
        self.stats[usize::from(line) % IRQ_LINES]
    }

    /// `line` was forwarded to its owner (and masked until it acknowledges).
    pub fn note_delivered(&mut self, line: u8) {
        self.stats[usize::from(line) % IRQ_LINES].delivered += 1;
    }

    /// The owner acknowledged `line`: unmask it.
    pub fn acknowledge(&mut self, line: u8) {
        self.stats[usize::from(line) % IRQ_LINES].acknowledged += 1;
        arch::unmask_irq(line);
    }
}
