//! The global physical frame allocator: `kernel_core::frames::FrameBitmap` over the usable
//! regions of the boot memory map, behind a lock.

use crate::arch::cpu::without_interrupts;
use bootloader_api::info::{MemoryRegionKind, MemoryRegions};
use kernel_core::frames::{FRAME_SIZE, FrameBitmap, FrameError, PhysRange, plan_bitmap};
use spin::Mutex;

/// `None` until `init`. Locked with interrupts off, so a handler can never deadlock on it.
static FRAMES: Mutex<Option<FrameBitmap<'static>>> = Mutex::new(None);

/// Free and total frame counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameStats {
    pub free: usize,
    pub managed: usize,
}

/// Builds the allocator. The bitmap lives in the first usable frames big enough to hold it,
/// reached through the physical-memory mapping (`phys_to_virt`).
pub fn init(regions: &MemoryRegions) {
    // Frame 0 stays out: a physical address of 0 is too easily a bug.
    let usable = || {
        regions
            .iter()
            .filter(|r| r.kind == MemoryRegionKind::Usable)
            .map(|r| PhysRange::new(r.start.max(FRAME_SIZE), r.end))
    };
    let Some(plan) = plan_bitmap(usable()) else {
        panic!("the memory map has no usable region large enough for the frame bitmap");
    };
    let storage = super::physical::phys_to_virt(plan.storage.start) as *mut u64;
    // SAFETY: the storage frames are usable RAM that nothing else uses yet (the allocator
    // reserves them below), mapped writable at the offset, and `u64`-aligned (frame-aligned).
    let words = unsafe { core::slice::from_raw_parts_mut(storage, plan.words) };
    let mut bitmap = FrameBitmap::new(words, plan.span).expect("storage sized by the plan");
    for region in usable() {
        bitmap.add_free(region);
    }
    bitmap.reserve(plan.storage);
    without_interrupts(|| *FRAMES.lock() = Some(bitmap));
}

/// A free frame's physical address. Its contents are whatever was there before.
pub fn allocate() -> Option<u64> {
    without_interrupts(|| FRAMES.lock().as_mut()?.allocate())
}

/// Gives a frame from `allocate` back. A bad address is a kernel bug, so it panics.
pub fn free(address: u64) {
    let result: Result<(), FrameError> =
        without_interrupts(|| FRAMES.lock().as_mut().expect("frames::init ran").free(address));
    if let Err(error) = result {
        panic!("freeing frame {address:#x}: {error:?}");
    }
}

pub fn stats() -> FrameStats {
    without_interrupts(|| {
        let guard = FRAMES.lock();
        let frames = guard.as_ref().expect("frames::init ran");
        FrameStats { free: frames.free_frames(), managed: frames.managed_frames() }
    })
}
