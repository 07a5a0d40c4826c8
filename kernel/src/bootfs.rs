//! The ramdisk the bootloader loaded: the boot manifest and the user programs.
//!
//! Every problem here is reported as one clear log line naming the file or task, and the
//! kernel goes on with whatever is usable; a broken ramdisk never panics the kernel.

use bootloader_api::BootInfo;
use kernel_core::bootfs::BootFs;
use kernel_core::manifest::{self, TaskSpec};
use spin::Once;

const MANIFEST: &str = "manifest";

static FS: Once<Option<BootFs<'static>>> = Once::new();

/// Opens the ramdisk. Afterwards `manifest_text` and `file` read from it.
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

/// The manifest's text, if present and valid; otherwise logs why not.
pub fn manifest_text() -> Option<&'static str> {
    let bytes = file(MANIFEST)?;
    let Ok(text) = core::str::from_utf8(bytes) else {
        log::error!("ramdisk: {MANIFEST} is not UTF-8; no tasks will start");
        return None;
    };
    if let Err(error) = manifest::check(text) {
        log::error!("ramdisk: {MANIFEST}: {error}; no tasks will start");
        return None;
    }
    Some(text)
}

/// The manifest entries, all valid (checked by `manifest_text`).
pub fn task_specs() -> impl Iterator<Item = TaskSpec<'static>> {
    manifest_text().into_iter().flat_map(|text| manifest::tasks(text).filter_map(Result::ok))
}
