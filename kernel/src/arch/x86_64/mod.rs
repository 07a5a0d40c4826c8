//! x86_64: the only home of assembly, port I/O and privileged registers in the kernel.
//!
//! `init_cpu` prepares the processor's own tables (segments, trap vectors, paging bits) and
//! `init_interrupts` starts the devices that interrupt it (8259 PIC, PIT timer).

/// Small privileged-instruction helpers: halt, interrupt flag, control registers.
pub mod cpu;
/// The machine code of injected faults, for ring 3 and for ring 0.
pub mod fault_code;
/// Reading named files from QEMU's firmware configuration device (the kernel command line).
pub mod fw_cfg;
/// The global descriptor table and the task state segment with its interrupt stacks.
mod gdt;
/// The interrupt descriptor table: one gate per vector, pointing at the entry stubs.
mod idt;
/// The I/O permission bitmap: the ports the running driver may use with `in` and `out`.
mod iomap;
/// Page tables: the kernel's, and one address space per task.
pub mod paging;
/// What the entry code finds through GS: where to save registers, the lean path's id.
mod per_cpu;
/// The 8259 programmable interrupt controllers: remapping, masking, end of interrupt.
mod pic;
/// The 8254 programmable interval timer: the periodic tick.
mod pit;
/// I/O port reads and writes for driver tasks.
mod ports;
/// Memory reads that may fault, recovered through an exception table.
pub mod probe;
/// QEMU's `isa-debug-exit` device: how the kernel reports pass or fail to the host.
pub mod qemu;
/// COM1, the kernel's console.
pub mod serial;
/// The stacks the CPU switches to: the trap stack and the double-fault and NMI stacks.
mod stacks;
/// The `syscall` entry point and the MSRs that configure it.
mod syscall_entry;
/// What a walk of the page tables finds, and the user pages a space translated last.
mod translation;
/// Exception and interrupt handling in Rust, called from the entry stubs.
mod trap;
/// The assembly entry stubs and the exit path.
mod trap_entry;
/// The registers the entry code saves: `TrapFrame`.
mod trap_frame;
/// One instruction watched with a debug register (a hardware breakpoint).
pub mod watch;

pub use iomap::grant as grant_ports;
pub use per_cpu::save_registers_in;
pub use pic::{mask as mask_irq, unmask as unmask_irq};
pub use ports::{port_read, port_write};
pub use stacks::bounds as stack_bounds;
#[cfg_attr(not(feature = "guest-tests"), allow(unused_imports))] // used by the in-guest tests
pub use trap::{breakpoint_count, unexpected_irq_count};
pub use trap_entry::enter_user;
pub use trap_frame::TrapFrame;

/// Frames handed to ring 3 carry these selectors.
pub use gdt::{USER_CODE_SELECTOR, USER_DATA_SELECTOR};

/// Loads the GDT, TSS and IDT, programs the `syscall` entry, and sets the control-register
/// bits the kernel relies on.
pub fn init_cpu() {
    gdt::init();
    idt::init();
    syscall_entry::init();
    cpu::configure_control_registers();
}

/// Remaps and masks the PICs, starts the timer at `hz`, and enables interrupts.
pub fn init_interrupts(hz: u32) {
    pic::init();
    pit::start_periodic(hz);
    pic::unmask(pit::IRQ_LINE);
    cpu::enable_interrupts();
}
