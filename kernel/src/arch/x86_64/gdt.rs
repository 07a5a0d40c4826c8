//! The global descriptor table and the task state segment.
//!
//! In 64-bit mode segments do little, but the GDT still says which code runs in ring 0 and
//! which in ring 3, and the TSS gives the CPU known-good stacks to switch to. The order of the
//! entries is fixed by SYSCALL/SYSRET, which derive the selectors from one base each:
//!
//! ```text
//! index  selector  descriptor
//!   0     0x00     null
//!   1     0x08     kernel code   (SYSCALL loads CS = STAR[47:32])
//!   2     0x10     kernel data   (SYSCALL loads SS = STAR[47:32] + 8)
//!   3     0x1b     user data     (SYSRET loads  SS = STAR[63:48] + 8, RPL 3)
//!   4     0x23     user code     (SYSRET loads  CS = STAR[63:48] + 16, RPL 3)
//!   5-6   0x28     TSS (a 16-byte system descriptor)
//! ```

use ::x86_64::VirtAddr;
use ::x86_64::instructions::segmentation::{CS, DS, ES, SS, Segment};
use ::x86_64::instructions::tables::load_tss;
use ::x86_64::registers::segmentation::SegmentSelector;
use ::x86_64::structures::gdt::{Descriptor, GlobalDescriptorTable};
use ::x86_64::structures::tss::TaskStateSegment;
use core::cell::UnsafeCell;
use spin::Once;

/// Interrupt Stack Table slots (the IDT counts them from 1; the TSS array from 0).
pub const DOUBLE_FAULT_IST_INDEX: u16 = 0;
pub const NMI_IST_INDEX: u16 = 1;

const IST_STACK_SIZE: usize = 16 * 1024;

/// A stack the CPU switches to on its own; it must live in writable memory, hence the cell.
#[repr(C, align(16))]
struct IstStack(UnsafeCell<[u8; IST_STACK_SIZE]>);

// SAFETY: only the CPU writes to these stacks, and only while it runs the one handler that uses
// each of them.
unsafe impl Sync for IstStack {}

impl IstStack {
    const fn new() -> Self {
        Self(UnsafeCell::new([0; IST_STACK_SIZE]))
    }

    fn top(&self) -> VirtAddr {
        VirtAddr::from_ptr(self.0.get()) + IST_STACK_SIZE as u64
    }
}

static DOUBLE_FAULT_STACK: IstStack = IstStack::new();
static NMI_STACK: IstStack = IstStack::new();

/// The TSS, in a cell because the scheduler will update the ring-0 stack pointer in it.
struct TssCell(UnsafeCell<TaskStateSegment>);

// SAFETY: written only during `init` (before the CPU uses it) and, later, by the scheduler with
// interrupts disabled on the single CPU.
unsafe impl Sync for TssCell {}

static TSS: TssCell = TssCell(UnsafeCell::new(TaskStateSegment::new()));

struct Selectors {
    kernel_code: SegmentSelector,
    kernel_data: SegmentSelector,
    tss: SegmentSelector,
}

static GDT: Once<(GlobalDescriptorTable, Selectors)> = Once::new();

pub fn init() {
    // SAFETY: runs once at boot, before any interrupt can make the CPU read the TSS.
    let tss = unsafe { &mut *TSS.0.get() };
    tss.interrupt_stack_table[DOUBLE_FAULT_IST_INDEX as usize] = DOUBLE_FAULT_STACK.top();
    tss.interrupt_stack_table[NMI_IST_INDEX as usize] = NMI_STACK.top();

    let (gdt, selectors) = GDT.call_once(|| {
        let mut gdt = GlobalDescriptorTable::new();
        let kernel_code = gdt.append(Descriptor::kernel_code_segment());
        let kernel_data = gdt.append(Descriptor::kernel_data_segment());
        // Ring-3 segments: unused until there are user tasks, but their slots are fixed.
        gdt.append(Descriptor::user_data_segment());
        gdt.append(Descriptor::user_code_segment());
        // SAFETY: the TSS is a static that lives as long as the GDT.
        let tss = gdt.append(unsafe { Descriptor::tss_segment_unchecked(TSS.0.get()) });
        (gdt, Selectors { kernel_code, kernel_data, tss })
    });
    gdt.load();
    // SAFETY: the selectors index the GDT just loaded, with descriptors of the right kind.
    unsafe {
        CS::set_reg(selectors.kernel_code);
        SS::set_reg(selectors.kernel_data);
        DS::set_reg(selectors.kernel_data);
        ES::set_reg(selectors.kernel_data);
        load_tss(selectors.tss);
    }
}
