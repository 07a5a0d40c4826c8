//! The kernel's stacks that the CPU switches to by itself.
//!
//! - The trap stack: every entry from ring 3 (system call, fault, interrupt) lands here, at
//!   `TSS.RSP0` for interrupts and through `PerCpu` for `syscall`. The kernel keeps no state on
//!   it between entries: a blocked task's registers live in its task record.
//! - The double-fault and NMI stacks, used through the interrupt stack table, so those two
//!   handlers work even when the current stack is broken.

use core::cell::UnsafeCell;

/// A stack in writable memory, hence the cell; 16-byte aligned as the ABI wants.
#[repr(C, align(16))]
pub struct Stack<const SIZE: usize>(UnsafeCell<[u8; SIZE]>);

// SAFETY: only the CPU (and the code running on the stack) writes to a stack, and each stack
// is used by one kind of entry on the single CPU.
unsafe impl<const SIZE: usize> Sync for Stack<SIZE> {}

impl<const SIZE: usize> Stack<SIZE> {
    const fn new() -> Self {
        Self(UnsafeCell::new([0; SIZE]))
    }

    /// The address just past the highest byte: stacks grow down from here.
    pub fn top(&self) -> u64 {
        self.0.get() as u64 + SIZE as u64
    }
}

/// Large enough for the monolithic flavour, whose file server runs on it.
pub static TRAP_STACK: Stack<{ 128 * 1024 }> = Stack::new();
pub static DOUBLE_FAULT_STACK: Stack<{ 16 * 1024 }> = Stack::new();
pub static NMI_STACK: Stack<{ 16 * 1024 }> = Stack::new();
