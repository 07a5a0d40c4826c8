//! The kernel's stacks that the CPU switches to by itself.
//!
//! - The trap stack: the kernel's one stack. Every entry from ring 3 (system call, fault,
//!   interrupt) saves the task's registers in its task record (`TSS.RSP0` and
//!   `PerCpu::registers_end` point there), then runs Rust from the top of this stack
//!   (`PerCpu::kernel_stack_top`). The kernel keeps no state on it between entries.
//! - The double-fault and NMI stacks, used through the interrupt stack table, so those two
//!   handlers work even when the current stack is broken.

use core::cell::UnsafeCell;

const PAGE_SIZE: usize = 4096;

/// A stack in writable memory, hence the cells, with one page below it that `guard` takes
/// out of the page tables: a stack that overflows faults there instead of writing over
/// whatever lies below it in the kernel's memory. Page-aligned, so the guard is a whole page
/// (`SIZE` must be a whole number of pages).
#[repr(C, align(4096))]
pub struct Stack<const SIZE: usize> {
    guard: UnsafeCell<[u8; PAGE_SIZE]>,
    bytes: UnsafeCell<[u8; SIZE]>,
}

// SAFETY: only the CPU (and the code running on the stack) writes to a stack, and each stack
// is used by one kind of entry on the single CPU; the guard page is never touched.
unsafe impl<const SIZE: usize> Sync for Stack<SIZE> {}

impl<const SIZE: usize> Stack<SIZE> {
    const fn new() -> Self {
        assert!(SIZE % PAGE_SIZE == 0, "a stack is a whole number of pages");
        Self { guard: UnsafeCell::new([0; PAGE_SIZE]), bytes: UnsafeCell::new([0; SIZE]) }
    }

    /// The address just past the highest byte: stacks grow down from here.
    pub fn top(&self) -> u64 {
        self.bytes.get() as u64 + SIZE as u64
    }

    /// The page under the stack.
    pub fn guard_page(&self) -> u64 {
        self.guard.get() as u64
    }
}

/// Large enough for the monolithic flavour, whose file server runs on it.
pub static TRAP_STACK: Stack<{ 128 * 1024 }> = Stack::new();
pub static DOUBLE_FAULT_STACK: Stack<{ 16 * 1024 }> = Stack::new();
pub static NMI_STACK: Stack<{ 16 * 1024 }> = Stack::new();

/// Each stack the CPU switches to: its name, its guard page, and its top.
pub fn bounds() -> [(&'static str, u64, u64); 3] {
    [
        ("trap", TRAP_STACK.guard_page(), TRAP_STACK.top()),
        ("double-fault", DOUBLE_FAULT_STACK.guard_page(), DOUBLE_FAULT_STACK.top()),
        ("NMI", NMI_STACK.guard_page(), NMI_STACK.top()),
    ]
}
