//! The page tables of the running address space, through the `x86_64` crate's mapper.
//!
//! The bootloader maps all physical memory at a fixed offset, so any page-table frame can be
//! reached by adding that offset to its physical address (`OffsetPageTable`).

use crate::mm::frames;
use ::x86_64::registers::control::Cr3;
use ::x86_64::structures::paging::mapper::MapToError;
use ::x86_64::structures::paging::{
    FrameAllocator, Mapper, OffsetPageTable, Page, PageTable, PageTableFlags, PhysFrame, Size4KiB,
};
use ::x86_64::{PhysAddr, VirtAddr};
use spin::Mutex;

/// The kernel's view of the active page tables; `None` until `init`.
static ACTIVE: Mutex<Option<OffsetPageTable<'static>>> = Mutex::new(None);

/// Why a mapping could not be made.
#[derive(Debug)]
pub enum MapError {
    OutOfFrames,
    AlreadyMapped(u64),
}

impl core::fmt::Display for MapError {
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        match self {
            MapError::OutOfFrames => write!(f, "out of physical frames"),
            MapError::AlreadyMapped(address) => write!(f, "page {address:#x} is already mapped"),
        }
    }
}

/// Takes over the page tables the bootloader left in CR3.
///
/// # Safety
/// All physical memory must be mapped at `physical_memory_offset`, and this must be called once.
pub unsafe fn init(physical_memory_offset: u64) {
    let (level_4_frame, _) = Cr3::read();
    let table_address = physical_memory_offset + level_4_frame.start_address().as_u64();
    // SAFETY: the caller guarantees the offset mapping, so this address is the live level-4
    // table; `init` runs once, so this is the only `&mut` to it.
    let level_4 = unsafe { &mut *(table_address as *mut PageTable) };
    // SAFETY: as above, the whole of physical memory is mapped at the offset.
    let mapper = unsafe { OffsetPageTable::new(level_4, VirtAddr::new(physical_memory_offset)) };
    *ACTIVE.lock() = Some(mapper);
}

/// Adapts the kernel's frame bitmap to the mapper's allocator trait.
struct KernelFrames;

// SAFETY: `frames::allocate` hands out each free frame once, until it is freed again.
unsafe impl FrameAllocator<Size4KiB> for KernelFrames {
    fn allocate_frame(&mut self) -> Option<PhysFrame<Size4KiB>> {
        frames::allocate().map(|address| PhysFrame::containing_address(PhysAddr::new(address)))
    }
}

/// Backs `pages` pages from `start` with fresh frames, writable and not executable, for the
/// kernel only.
pub fn map_kernel_data(start: u64, pages: u64) -> Result<(), MapError> {
    let flags = PageTableFlags::PRESENT | PageTableFlags::WRITABLE | PageTableFlags::NO_EXECUTE;
    let mut guard = ACTIVE.lock();
    let mapper = guard.as_mut().expect("paging::init ran");
    for index in 0..pages {
        let page = Page::<Size4KiB>::containing_address(VirtAddr::new(start + index * 4096));
        let frame = KernelFrames.allocate_frame().ok_or(MapError::OutOfFrames)?;
        // SAFETY: the frame is fresh from the allocator, so no other mapping aliases it, and
        // the page is in a kernel range nothing else uses.
        let flush = unsafe { mapper.map_to(page, frame, flags, &mut KernelFrames) };
        let error = match flush {
            Ok(flush) => {
                flush.flush();
                continue;
            }
            Err(MapToError::FrameAllocationFailed) => MapError::OutOfFrames,
            Err(_) => MapError::AlreadyMapped(page.start_address().as_u64()),
        };
        frames::free(frame.start_address().as_u64());
        return Err(error);
    }
    Ok(())
}

/// True when `address` is mapped in the active address space.
#[cfg_attr(not(feature = "guest-tests"), allow(dead_code))] // used by the in-guest tests
pub fn is_mapped(address: u64) -> bool {
    use ::x86_64::structures::paging::Translate;
    let guard = ACTIVE.lock();
    let mapper = guard.as_ref().expect("paging::init ran");
    mapper.translate_addr(VirtAddr::new(address)).is_some()
}
