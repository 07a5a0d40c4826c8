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

use super::stacks::{DOUBLE_FAULT_STACK, NMI_STACK, TRAP_STACK};
use ::x86_64::VirtAddr;
use ::x86_64::instructions::segmentation::{CS, DS, ES, SS, Segment};
use ::x86_64::instructions::tables::load_tss;
use ::x86_64::registers::segmentation::SegmentSelector;
use ::x86_64::structures::gdt::{Descriptor, GlobalDescriptorTable};
use ::x86_64::structures::tss::TaskStateSegment;
use core::cell::UnsafeCell;
use spin::Once;

/// Selectors with RPL 3, as SYSRET produces them and as ring-3 frames must carry them.
pub const USER_DATA_SELECTOR: u16 = 0x1b;
pub const USER_CODE_SELECTOR: u16 = 0x23;
pub const KERNEL_CODE_SELECTOR: u16 = 0x08;
pub const KERNEL_DATA_SELECTOR: u16 = 0x10;

/// Interrupt Stack Table slots (the IDT counts them from 1; the TSS array from 0).
pub const DOUBLE_FAULT_IST_INDEX: u16 = 0;
pub const NMI_IST_INDEX: u16 = 1;

/// The TSS and, right after it, the I/O permission bitmap the CPU finds through its
/// `iomap_base` (which `TaskStateSegment::new` sets to the TSS's size, exactly where `iomap`
/// starts): one bit a port, set for refused, and a final byte of ones the CPU requires.
#[repr(C)]
pub(super) struct TssWithIoMap {
    tss: TaskStateSegment,
    pub(super) iomap: [u8; IOMAP_BYTES + 1],
}

/// Bytes of the bitmap: one bit for each of the 65536 ports.
pub(super) const IOMAP_BYTES: usize = 65536 / 8;

/// The TSS, in a cell because `init` fills it in at run time (the stack addresses are not
/// constants in a position-independent kernel) and `iomap` changes the bitmap on switches.
pub(super) struct TssCell(pub(super) UnsafeCell<TssWithIoMap>);

// SAFETY: written during `init`, before the CPU can use it, and afterwards (RSP0 and the
// bitmap) only on the one CPU with interrupts off, while the kernel runs.
unsafe impl Sync for TssCell {}

pub(super) static TSS: TssCell = TssCell(UnsafeCell::new(TssWithIoMap {
    tss: TaskStateSegment::new(),
    iomap: [0xff; IOMAP_BYTES + 1],
}));

/// Interrupts and exceptions from ring 3 push their frame down from `top` (`TSS.RSP0`).
#[inline(always)]
pub(super) fn set_ring3_entry_stack(top: u64) {
    debug_assert_eq!(VirtAddr::new_truncate(top).as_u64(), top, "a canonical address");
    // SAFETY: one CPU, interrupts off: the CPU reads RSP0 only on an entry from ring 3, which
    // cannot happen while the kernel runs. `top` is a kernel address, so canonical (on every
    // switch: no sign extension to compute).
    unsafe { (*TSS.0.get()).tss.privilege_stack_table[0] = VirtAddr::new_unsafe(top) };
}

struct Selectors {
    kernel_code: SegmentSelector,
    kernel_data: SegmentSelector,
    tss: SegmentSelector,
}

static GDT: Once<(GlobalDescriptorTable, Selectors)> = Once::new();

pub fn init() {
    // SAFETY: runs once at boot, before any interrupt can make the CPU read the TSS.
    let tss = unsafe { &mut (*TSS.0.get()).tss };
    tss.interrupt_stack_table[DOUBLE_FAULT_IST_INDEX as usize] =
        VirtAddr::new(DOUBLE_FAULT_STACK.top());
    tss.interrupt_stack_table[NMI_IST_INDEX as usize] = VirtAddr::new(NMI_STACK.top());
    // Interrupts and exceptions from ring 3 save the registers in the running task's record
    // (`set_ring3_entry_stack`, on every switch); until the first task, the trap stack.
    tss.privilege_stack_table[0] = VirtAddr::new(TRAP_STACK.top());

    let (gdt, selectors) = GDT.call_once(|| {
        let mut gdt = GlobalDescriptorTable::new();
        let kernel_code = gdt.append(Descriptor::kernel_code_segment());
        let kernel_data = gdt.append(Descriptor::kernel_data_segment());
        // LAB 1 BEGIN: the two ring-3 segments, in the order SYSRET derives them (table above)
        let user_data = gdt.append(Descriptor::user_data_segment());
        let user_code = gdt.append(Descriptor::user_code_segment());
        // LAB 1 STUB
        // let user_data = SegmentSelector(0);
        // let user_code = SegmentSelector(0);
        // LAB 1 END
        assert!(
            (user_data.0, user_code.0) == (USER_DATA_SELECTOR, USER_CODE_SELECTOR),
            "the GDT has no ring-3 segments where SYSRET looks: user data must be selector \
             {USER_DATA_SELECTOR:#x} and user code {USER_CODE_SELECTOR:#x}, found {:#x} and {:#x}",
            user_data.0,
            user_code.0,
        );
        // SAFETY: the TSS is a static that lives as long as the GDT, and nothing writes to it
        // while these two references exist (the descriptor keeps only addresses).
        let (tss, iomap) = unsafe { (&(*TSS.0.get()).tss, &(*TSS.0.get()).iomap) };
        let descriptor = Descriptor::tss_segment_with_iomap(tss, iomap)
            .expect("the bitmap follows the TSS and ends in 0xff");
        let tss = gdt.append(descriptor);
        assert_eq!((kernel_code.0, kernel_data.0), (KERNEL_CODE_SELECTOR, KERNEL_DATA_SELECTOR));
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
