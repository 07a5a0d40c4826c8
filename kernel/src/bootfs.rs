//! The ramdisk the bootloader loaded: the user programs (the manifest is compiled in:
//! `manifest.rs`).
//!
//! Every problem here is reported as one clear log line naming the file or task, and the
//! kernel goes on with whatever is usable; a broken ramdisk never panics the kernel.

use bootloader_api::BootInfo;
use kernel_core::bootfs::BootFs;
use spin::Once;

static FS: Once<Option<BootFs<'static>>> = Once::new();

/// Opens the ramdisk. Afterwards `file` reads from it.
pub fn init(boot_info: &BootInfo) {
    FS.call_once(|| {
        let Some(address) = boot_info.ramdisk_addr.into_option() else {
            log::warn!("no ramdisk: no tasks will start");
            return None;
        };
        // SAFETY: the bootloader mapped the ramdisk there for the life of the kernel, and its
        // frames are not in the usable memory map, so nothing else writes them.
        let bytes = unsafe {
            core::slice::from_raw_parts(address as *const u8, boot_info.ramdisk_len as usize)
        };
        BootFs::new(bytes)
            .inspect_err(|error| {
                log::error!("ramdisk: not a valid tar archive ({error:?}); no tasks will start")
            })
            .ok()
    });
}

/// A file of the ramdisk.
pub fn file(name: &str) -> Option<&'static [u8]> {
    FS.get()?.as_ref()?.file(name)
}
