//! Moat: a small x86_64 microkernel for teaching and for fault-isolation experiments.
//!
//! `kmain` is the boot order, top to bottom. The bootloader has already switched to 64-bit
//! mode, mapped the kernel at `0xffff_ffff_8000_0000` and all of physical memory in the upper
//! half, and handed over a memory map (see docs/boot.md).

#![no_std]
#![no_main]
// The system call entry's Rust half keeps no register for its caller (`arch::x86_64::trap_entry`).
#![feature(rust_preserve_none_cc)]

extern crate alloc;

/// Everything that touches the machine directly: assembly, port I/O, CPU tables.
mod arch;
/// The ramdisk: the user programs.
mod bootfs;
/// The kernel command line from QEMU (`log=`, `test=`, `exit-after-boot`).
mod cmdline;
/// Putting messages, notifications and errors into a task's registers.
mod delivery;
/// The screen the bootloader set up, for the display driver.
mod framebuffer;
/// The kernel's side of services built into it (the monolithic flavour).
mod in_kernel;
/// Device interrupts to their drivers.
mod interrupts;
/// Interrupt lines: which task owns each.
mod irq;
/// A task's life: started from an image, woken by the clock, ended by exit, fault or kill.
mod lifecycle;
/// Building a task's address space and first registers from its ELF image.
mod loader;
/// The `log` facade backend: timestamped lines on the serial console.
mod logger;
/// The boot manifest, compiled in by the build: every task the system knows.
mod manifest;
/// Memory: physical frames, the kernel heap, the virtual layout.
mod mm;
/// What happens when the kernel panics: report, then tell QEMU it failed.
mod panic;
/// `print!`/`println!` straight to the serial console.
mod print;
/// Fault injection and benchmark state, behind one hook point.
mod research;
/// The scheduler: which task runs next.
mod sched;
/// Services built into the kernel: the monolithic flavour (empty in the microkernel).
mod services;
/// The kernel's state behind one lock: the task table, the scheduler, interrupt routes.
mod state;
/// Every switch between tasks, on the way back to ring 3.
mod switch;
/// System calls: the table, and one free function per call, by family.
mod syscalls;
/// Running the system: boot tasks from the manifest, then the scheduler.
#[cfg(not(feature = "guest-tests"))]
mod system;
/// The kernel's record of a task.
mod task;
/// Time since boot, counted in timer ticks.
mod time;
/// The IPC trace: what moved between tasks, while tracing is on.
mod trace;
/// Checked copies between kernel and user memory.
mod usercopy;

/// The in-guest test suite, built in by `cargo xtask test`.
#[cfg(feature = "guest-tests")]
mod tests;

use bootloader_api::config::{BootloaderConfig, Mapping};
use bootloader_api::{BootInfo, entry_point};

/// How the bootloader must lay out the kernel's address space (see `mm::layout`).
const BOOT_CONFIG: BootloaderConfig = {
    let mut config = BootloaderConfig::new_default();
    config.mappings.kernel_base = Mapping::FixedAddress(mm::layout::KERNEL_BASE);
    config.mappings.physical_memory = Some(Mapping::Dynamic);
    config.mappings.dynamic_range_start = Some(mm::layout::BOOT_DYNAMIC_START);
    config.mappings.dynamic_range_end = Some(mm::layout::BOOT_DYNAMIC_END);
    config.kernel_stack_size = mm::layout::BOOT_STACK_SIZE;
    config
};

entry_point!(kmain, config = &BOOT_CONFIG);

fn kmain(boot_info: &'static mut BootInfo) -> ! {
    arch::serial::init();
    let cmdline = cmdline::init();
    logger::init(cmdline.value("log"), cmdline.value("klog"));
    syscalls::fastpath::configure(&cmdline);
    log::info!("Moat {} booting; command line: {:?}", env!("CARGO_PKG_VERSION"), cmdline.as_str());

    arch::init_cpu();
    let (smep, smap) = arch::cpu::user_page_protections();
    let on = |on: bool| if on { "on" } else { "not in this CPU model" };
    log::info!("CPU tables loaded: GDT, TSS, IDT; SMEP {}, SMAP {}", on(smep), on(smap));

    mm::init(boot_info);
    arch::init_interrupts(time::TIMER_HZ);
    log::info!("interrupts on: timer at {} Hz", time::TIMER_HZ);
    bootfs::init(boot_info);
    framebuffer::init(boot_info);

    log::info!("boot complete");

    #[cfg(feature = "guest-tests")]
    tests::run(cmdline);
    #[cfg(not(feature = "guest-tests"))]
    system::run(cmdline);
}
