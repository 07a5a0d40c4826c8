//! Moat: a small x86_64 microkernel for teaching and for fault-isolation experiments.
//!
//! `kmain` is the boot order, top to bottom. The bootloader has already switched to 64-bit
//! mode, mapped the kernel at `0xffff_ffff_8000_0000` and all of physical memory in the upper
//! half, and handed over a memory map (see docs/boot.md).

#![no_std]
#![no_main]

extern crate alloc;

/// Everything that touches the machine directly: assembly, port I/O, CPU tables.
mod arch;
/// The ramdisk: boot manifest and user programs.
mod bootfs;
/// The kernel command line from QEMU (`log=`, `test=`, `exit-after-boot`).
mod cmdline;
/// The code page that makes an injected fault happen in the task itself.
mod inject;
/// Building a task's address space and first registers from its ELF image.
mod loader;
/// The `log` facade backend: timestamped lines on the serial console.
mod logger;
/// Memory: physical frames, the kernel heap, the virtual layout.
mod mm;
/// What happens when the kernel panics: report, then tell QEMU it failed.
mod panic;
/// `print!`/`println!` straight to the serial console.
mod print;
/// The task table and the scheduler: who runs, and every switch between tasks.
mod sched;
/// Services built into the kernel: the monolithic flavour (empty in the microkernel).
mod services;
/// System call decoding and handlers.
mod syscall;
/// Running the system: boot tasks from the manifest, then the scheduler.
#[cfg(not(feature = "guest-tests"))]
mod system;
/// The kernel's record of a task.
mod task;
/// Time since boot, counted in timer ticks.
mod time;
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
    logger::init(cmdline.value("log"));
    log::info!("Moat {} booting; command line: {:?}", env!("CARGO_PKG_VERSION"), cmdline.as_str());

    arch::init_cpu();
    log::info!("CPU tables loaded: GDT, TSS, IDT");

    mm::init(boot_info);
    arch::init_interrupts(time::TIMER_HZ);
    log::info!("interrupts on: timer at {} Hz", time::TIMER_HZ);
    bootfs::init(boot_info);

    log::info!("boot complete");

    #[cfg(feature = "guest-tests")]
    tests::run(cmdline);
    #[cfg(not(feature = "guest-tests"))]
    system::run(cmdline);
}
