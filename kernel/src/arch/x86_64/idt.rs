//! The interrupt descriptor table, built by hand: one 16-byte gate per vector, each pointing at
//! its entry stub in `trap_entry`.
//!
//! All gates are interrupt gates, so the CPU clears IF on entry and a handler is never
//! interrupted by a device. Double fault and NMI switch to their own stacks from the TSS so
//! they work even when the kernel stack is broken. Vectors past the stubs have no gate; using
//! one raises a general-protection fault.

use super::gdt::{DOUBLE_FAULT_IST_INDEX, NMI_IST_INDEX};
use super::trap_entry::{STUB_COUNT, stub_address};
use ::x86_64::VirtAddr;
use ::x86_64::instructions::segmentation::{CS, Segment};
use ::x86_64::instructions::tables::lidt;
use ::x86_64::structures::DescriptorTablePointer;
use spin::Once;

const VECTOR_COUNT: usize = 256;
const BREAKPOINT: usize = 3;
const NMI: usize = 2;
const DOUBLE_FAULT: usize = 8;

/// One IDT entry, in the layout the CPU reads.
#[repr(C)]
#[derive(Clone, Copy)]
struct Gate {
    offset_low: u16,
    selector: u16,
    /// IST slot + 1, or 0 to stay on the current (or TSS.RSP0) stack.
    ist: u8,
    /// Present bit, privilege level allowed to use `int n`, gate type.
    attributes: u8,
    offset_middle: u16,
    offset_high: u32,
    reserved: u32,
}

const _: () = assert!(size_of::<Gate>() == 16);

impl Gate {
    const MISSING: Gate = Gate {
        offset_low: 0,
        selector: 0,
        ist: 0,
        attributes: 0,
        offset_middle: 0,
        offset_high: 0,
        reserved: 0,
    };

    /// A present 64-bit interrupt gate (type 0xE) to `handler`.
    fn interrupt(
        handler: u64,
        selector: u16,
        ist_index: Option<u16>,
        user_may_raise: bool,
    ) -> Gate {
        const PRESENT: u8 = 1 << 7;
        const INTERRUPT_GATE: u8 = 0xE;
        let dpl: u8 = if user_may_raise { 3 } else { 0 };
        Gate {
            offset_low: handler as u16,
            selector,
            ist: ist_index.map_or(0, |i| i as u8 + 1),
            attributes: PRESENT | (dpl << 5) | INTERRUPT_GATE,
            offset_middle: (handler >> 16) as u16,
            offset_high: (handler >> 32) as u32,
            reserved: 0,
        }
    }
}

static IDT: Once<[Gate; VECTOR_COUNT]> = Once::new();

pub fn init() {
    let kernel_code = CS::get_reg().0;
    let idt = IDT.call_once(|| {
        let mut idt = [Gate::MISSING; VECTOR_COUNT];
        for (vector, gate) in idt.iter_mut().enumerate().take(STUB_COUNT) {
            let ist = match vector {
                NMI => Some(NMI_IST_INDEX),
                DOUBLE_FAULT => Some(DOUBLE_FAULT_IST_INDEX),
                _ => None,
            };
            // `int3` is how a debugger (or a test) stops a program; it must work from ring 3.
            *gate = Gate::interrupt(stub_address(vector), kernel_code, ist, vector == BREAKPOINT);
        }
        idt
    });
    let pointer = DescriptorTablePointer {
        limit: (size_of::<[Gate; VECTOR_COUNT]>() - 1) as u16,
        base: VirtAddr::from_ptr(idt.as_ptr()),
    };
    // SAFETY: the table is a static that lives forever and every present gate points at a
    // valid entry stub running on the kernel code segment.
    unsafe { lidt(&pointer) };
}
