//! Page tables: the kernel's own mappings, and one address space per user task.
//!
//! The bootloader maps all physical memory at a fixed offset, so any page-table frame can be
//! reached by adding that offset to its physical address (`OffsetPageTable`, `phys_to_virt`).
//!
//! A task's address space is a fresh level-4 table whose upper half (entries 256..512) is a
//! copy of the kernel's, so every task sees the kernel at the same addresses, without the
//! USER bit, and whose lower half is private. The kernel therefore must not create new
//! level-4 entries after tasks exist; all of its regions are mapped at boot.

use super::translation::RecentPages;
pub use super::translation::Translation;
use crate::mm::layout::USER_END;
use crate::mm::{frames, phys_to_virt};
use ::x86_64::registers::control::Cr3;
use ::x86_64::structures::paging::mapper::MapToError;
use ::x86_64::structures::paging::{
    FrameAllocator, Mapper, OffsetPageTable, Page, PageTable, PageTableFlags as Flags, PhysFrame,
    Size4KiB,
};
use ::x86_64::{PhysAddr, VirtAddr};
use core::sync::atomic::{AtomicU64, Ordering};
use spin::Mutex;

const PAGE_SIZE: u64 = 4096;
/// Level-4 entries below this index map user space; from it up, the kernel.
const FIRST_KERNEL_ENTRY: usize = 256;
/// Marks a user leaf entry that maps device memory (a bit the CPU leaves to the OS): its
/// frame is not the task's to free, and the kernel never copies through it.
const DEVICE: Flags = Flags::BIT_9;

/// The kernel's view of its own page tables; `None` until `init`.
static KERNEL: Mutex<Option<OffsetPageTable<'static>>> = Mutex::new(None);
/// Physical address of the kernel's level-4 table (the bootloader's, taken over).
static KERNEL_LEVEL_4: AtomicU64 = AtomicU64::new(0);

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
    let level_4_address = level_4_frame.start_address().as_u64();
    KERNEL_LEVEL_4.store(level_4_address, Ordering::Relaxed);
    ACTIVE_LEVEL_4.store(level_4_address, Ordering::Relaxed);
    // SAFETY: the caller guarantees the offset mapping, so this address is the live level-4
    // table; `init` runs once, so this is the only `&mut` to it.
    let level_4 = unsafe { &mut *((physical_memory_offset + level_4_address) as *mut PageTable) };
    // SAFETY: as above, the whole of physical memory is mapped at the offset.
    let mapper = unsafe { OffsetPageTable::new(level_4, VirtAddr::new(physical_memory_offset)) };
    *KERNEL.lock() = Some(mapper);
}

/// Adapts the kernel's frame bitmap to the mapper's allocator trait. Page-table frames it
/// hands out are zeroed by the mapper before use.
struct KernelFrames;

// SAFETY: `frames::allocate` hands out each free frame once, until it is freed again.
unsafe impl FrameAllocator<Size4KiB> for KernelFrames {
    fn allocate_frame(&mut self) -> Option<PhysFrame<Size4KiB>> {
        frames::allocate().map(|address| PhysFrame::containing_address(PhysAddr::new(address)))
    }
}

/// Maps `page` to `frame` in `mapper`, giving the frame back on failure.
fn map_or_release(
    mapper: &mut OffsetPageTable,
    page: u64,
    frame: u64,
    flags: Flags,
    parent_flags: Flags,
) -> Result<(), MapError> {
    // SAFETY: the frame is fresh from the allocator, so nothing else aliases it, and callers map
    // only pages of their own (the kernel heap range, or a task's private user half).
    let result = unsafe { map(mapper, page, frame, flags, parent_flags) };
    if result.is_err() {
        frames::free(frame);
    }
    result
}

/// Maps `page` to `frame` in `mapper`, with page tables from the frame allocator.
///
/// # Safety
/// Nothing may reach `frame` through another mapping that relies on it staying unmapped here,
/// and `page` must belong to the caller (the kernel's own range, or a task's private half).
unsafe fn map(
    mapper: &mut OffsetPageTable,
    page: u64,
    frame: u64,
    flags: Flags,
    parent_flags: Flags,
) -> Result<(), MapError> {
    let page = Page::<Size4KiB>::containing_address(VirtAddr::new(page));
    let frame = PhysFrame::containing_address(PhysAddr::new(frame));
    // SAFETY: as the caller guarantees.
    let result = unsafe {
        mapper.map_to_with_table_flags(page, frame, flags, parent_flags, &mut KernelFrames)
    };
    match result {
        Ok(flush) => {
            flush.flush();
            Ok(())
        }
        Err(MapToError::FrameAllocationFailed) => Err(MapError::OutOfFrames),
        Err(_) => Err(MapError::AlreadyMapped(page.start_address().as_u64())),
    }
}

/// Backs `pages` pages from `start` with fresh frames, writable and not executable, for the
/// kernel only.
pub fn map_kernel_data(start: u64, pages: u64) -> Result<(), MapError> {
    let flags = Flags::PRESENT | Flags::WRITABLE | Flags::NO_EXECUTE;
    let mut guard = KERNEL.lock();
    let mapper = guard.as_mut().expect("paging::init ran");
    for index in 0..pages {
        let frame = frames::allocate().ok_or(MapError::OutOfFrames)?;
        map_or_release(
            mapper,
            start + index * PAGE_SIZE,
            frame,
            flags,
            Flags::PRESENT | Flags::WRITABLE,
        )?;
    }
    Ok(())
}

/// Takes the kernel page at `address` out of the kernel's page tables (a guard page): any
/// access to it faults from then on. Its frame belongs to the kernel image and is not freed.
pub fn unmap_kernel_page(address: u64) -> Result<(), &'static str> {
    let mut guard = KERNEL.lock();
    let mapper = guard.as_mut().expect("paging::init ran");
    let page = Page::<Size4KiB>::from_start_address(VirtAddr::new(address))
        .map_err(|_| "not the start of a page")?;
    match mapper.unmap(page) {
        Ok((_frame, flush)) => {
            flush.flush();
            Ok(())
        }
        Err(::x86_64::structures::paging::mapper::UnmapError::ParentEntryHugePage) => {
            Err("it is mapped with a large page")
        }
        Err(_) => Err("it is not mapped"),
    }
}

/// The first kernel page whose effective access `wanted(writable, executable)` accepts: a
/// page is writable only if every level of the walk allows writes, and executable only if no
/// level forbids execution.
#[cfg_attr(not(feature = "guest-tests"), allow(dead_code))] // used by the in-guest tests
pub fn first_kernel_page_where(wanted: fn(bool, bool) -> bool) -> Option<u64> {
    fn walk(
        table_address: u64,
        level: usize,
        base: u64,
        entries: core::ops::Range<usize>,
        (writable, executable): (bool, bool),
        wanted: fn(bool, bool) -> bool,
    ) -> Option<u64> {
        let table = table(table_address);
        for index in entries {
            let flags = table[index].flags();
            if !flags.contains(Flags::PRESENT) {
                continue;
            }
            let access = (
                writable && flags.contains(Flags::WRITABLE),
                executable && !flags.contains(Flags::NO_EXECUTE),
            );
            let mut address = base | (index as u64) << (12 + 9 * level);
            if level == 3 && address & 1 << 47 != 0 {
                address |= 0xffff_0000_0000_0000; // sign-extend the upper half
            }
            let leaf = level == 0 || flags.contains(Flags::HUGE_PAGE);
            let found = if leaf {
                wanted(access.0, access.1).then_some(address)
            } else {
                walk(table[index].addr().as_u64(), level - 1, address, 0..512, access, wanted)
            };
            if found.is_some() {
                return found;
            }
        }
        None
    }
    let level_4 = KERNEL_LEVEL_4.load(Ordering::Relaxed);
    walk(level_4, 3, 0, FIRST_KERNEL_ENTRY..512, (true, true), wanted)
}

/// True when `address` is mapped in the kernel's address space.
#[cfg_attr(not(feature = "guest-tests"), allow(dead_code))] // used by the in-guest tests
pub fn is_mapped(address: u64) -> bool {
    kernel_physical(address).is_some()
}

/// The physical address behind the kernel's virtual `address`, if it is mapped.
pub fn kernel_physical(address: u64) -> Option<u64> {
    kernel_translation(address).map(|(physical, _)| physical)
}

/// The physical address behind the kernel's virtual `address` if it is the kernel's code:
/// mapped, executable and read-only.
pub fn kernel_code_physical(address: u64) -> Option<u64> {
    let (physical, flags) = kernel_translation(address)?;
    let code = !flags.intersects(Flags::WRITABLE | Flags::NO_EXECUTE | Flags::USER_ACCESSIBLE);
    code.then_some(physical)
}

/// The physical address behind the kernel's virtual `address` and the flags of its page,
/// if it is mapped (a non-canonical address is not).
fn kernel_translation(address: u64) -> Option<(u64, Flags)> {
    use ::x86_64::structures::paging::mapper::{Translate, TranslateResult};
    let guard = KERNEL.lock();
    let mapper = guard.as_ref().expect("paging::init ran");
    match mapper.translate(VirtAddr::try_new(address).ok()?) {
        TranslateResult::Mapped { frame, offset, flags } => {
            Some((frame.start_address().as_u64() + offset, flags))
        }
        _ => None,
    }
}

/// Switches to the kernel's own page tables (used while a task's are being freed).
pub fn activate_kernel() {
    activate(KERNEL_LEVEL_4.load(Ordering::Relaxed));
}

/// The level-4 table in CR3, remembered so a switch between tasks does not have to read CR3
/// back (and a switch to the same space skips the TLB flush). Only `activate` writes CR3.
static ACTIVE_LEVEL_4: AtomicU64 = AtomicU64::new(0);

/// Inlined into every switch, so written with the one instruction it needs: `level_4` is a
/// frame's address (page-aligned, no flags), which is what CR3 takes.
#[inline(always)]
fn activate(level_4: u64) {
    debug_assert!(level_4 % PAGE_SIZE == 0, "a level-4 table is a whole frame");
    if ACTIVE_LEVEL_4.load(Ordering::Relaxed) != level_4 {
        // SAFETY: `level_4` is the kernel's table or a task's, whose upper half is the kernel's,
        // so the code and stack running now stay mapped across the switch.
        unsafe {
            core::arch::asm!("mov cr3, {}", in(reg) level_4, options(nostack, preserves_flags))
        };
        ACTIVE_LEVEL_4.store(level_4, Ordering::Relaxed);
    }
}

/// What user code may do with a page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserAccess {
    pub writable: bool,
    pub executable: bool,
}

/// One task's page tables.
pub struct AddressSpace {
    /// Physical address of the level-4 table. Owned: freed by `destroy`.
    level_4: u64,
    /// The user pages translated last. They never change while the space lives: a method
    /// that ever unmaps or changes a user page must forget it there too.
    recent: RecentPages,
}

impl AddressSpace {
    /// A new address space: an empty user half and the kernel's upper half.
    pub fn new() -> Result<Self, MapError> {
        let level_4 = frames::allocate().ok_or(MapError::OutOfFrames)?;
        let kernel = table(KERNEL_LEVEL_4.load(Ordering::Relaxed));
        let new = table(level_4);
        for (index, entry) in new.iter_mut().enumerate() {
            if index < FIRST_KERNEL_ENTRY {
                entry.set_unused();
            } else {
                *entry = kernel[index].clone();
            }
        }
        Ok(Self { level_4, recent: RecentPages::new() })
    }

    fn mapper(&mut self) -> OffsetPageTable<'_> {
        // Whatever the mapper changes, no kept translation outlives it (today it only adds
        // pages, which changes none; this keeps that true for a change that does more).
        self.recent = RecentPages::new();
        // SAFETY: `level_4` is this space's table, reached through the physical-memory
        // mapping; `&mut self` makes this the only mapper over it.
        unsafe { OffsetPageTable::new(table(self.level_4), VirtAddr::new(phys_to_virt(0))) }
    }

    /// Maps a fresh zeroed frame at user page `page` and returns the frame's physical address.
    pub fn map_user_page(&mut self, page: u64, access: UserAccess) -> Result<u64, MapError> {
        assert!(page % PAGE_SIZE == 0 && table_index(page, 3) < FIRST_KERNEL_ENTRY);
        let frame = frames::allocate().ok_or(MapError::OutOfFrames)?;
        // SAFETY: the frame is ours and reachable through the physical-memory mapping.
        unsafe { core::ptr::write_bytes(phys_to_virt(frame) as *mut u8, 0, PAGE_SIZE as usize) };
        let mut flags = Flags::PRESENT | Flags::USER_ACCESSIBLE;
        if access.writable {
            flags |= Flags::WRITABLE;
        }
        if !access.executable {
            flags |= Flags::NO_EXECUTE;
        }
        // Intermediate tables allow everything; the leaf entry decides.
        let parents = Flags::PRESENT | Flags::WRITABLE | Flags::USER_ACCESSIBLE;
        map_or_release(&mut self.mapper(), page, frame, flags, parents)?;
        Ok(frame)
    }

    /// Maps user page `page` to device memory at `physical`, writable and not executable. The
    /// frame stays the device's: `destroy` leaves it alone.
    pub fn map_device_page(&mut self, page: u64, physical: u64) -> Result<(), MapError> {
        assert!(page % PAGE_SIZE == 0 && table_index(page, 3) < FIRST_KERNEL_ENTRY);
        let flags =
            Flags::PRESENT | Flags::USER_ACCESSIBLE | Flags::WRITABLE | Flags::NO_EXECUTE | DEVICE;
        let parents = Flags::PRESENT | Flags::WRITABLE | Flags::USER_ACCESSIBLE;
        // SAFETY: the frame is device memory the kernel never allocates or frees; it becomes
        // reachable from this user page only, which is in this space's private half.
        unsafe { map(&mut self.mapper(), page, physical, flags, parents) }
    }

    /// The physical address of `address` and its effective permissions: from the pages
    /// translated last if it is one of them, else by a walk, whose result is then kept if
    /// `address` is a user one. Inlined: a call that returns the translation through memory
    /// costs as much as the walk.
    #[inline(always)]
    pub fn translate(&self, address: u64) -> Option<Translation> {
        if let Some(kept) = self.recent.find(address) {
            debug_assert_eq!(Some(kept), self.walk(address), "a kept translation went stale");
            return Some(kept);
        }
        let translation = self.walk(address)?;
        if address < USER_END {
            self.recent.keep(address, translation);
        }
        Some(translation)
    }

    /// Whether the translation of `address` is kept (for the tests).
    #[cfg(feature = "guest-tests")]
    pub fn keeps(&self, address: u64) -> bool {
        self.recent.find(address).is_some()
    }

    /// Walks the four levels for `address`, combining their permissions.
    #[inline(always)]
    fn walk(&self, address: u64) -> Option<Translation> {
        let window = phys_to_virt(0); // loaded once, not once a level
        let mut table_address = self.level_4;
        let mut user = true;
        let mut writable = true;
        for level in (0..4).rev() {
            // SAFETY: as in `table`: a page-table frame of this space, read only.
            let table = unsafe { &*((window + table_address) as *const PageTable) };
            let entry = &table[table_index(address, level)];
            let flags = entry.flags();
            if !flags.contains(Flags::PRESENT) || flags.contains(Flags::HUGE_PAGE) {
                return None; // user space has no huge pages; the kernel half is not asked for
            }
            if level == 0 && flags.contains(DEVICE) {
                return None; // not memory the kernel copies through (leases, user buffers)
            }
            user &= flags.contains(Flags::USER_ACCESSIBLE);
            writable &= flags.contains(Flags::WRITABLE);
            table_address = entry.addr().as_u64();
        }
        Some(Translation { physical: table_address + address % PAGE_SIZE, user, writable })
    }

    /// Calls `visit` with the physical address of every frame mapped in the user half.
    #[cfg_attr(not(feature = "guest-tests"), allow(dead_code))] // used by the in-guest tests
    pub fn for_each_user_frame(&self, mut visit: impl FnMut(u64)) {
        walk_user_half(self.level_4, &mut |leaf| visit(leaf), &mut |_| {});
    }

    /// Makes this the active address space.
    #[inline(always)]
    pub fn activate(&self) {
        activate(self.level_4);
    }

    /// Frees every user frame, every user page table and the level-4 table. The space must
    /// not be active (switch to another first, for example with `activate_kernel`).
    pub fn destroy(self) {
        assert_ne!(
            Cr3::read().0.start_address().as_u64(),
            self.level_4,
            "destroying the active space"
        );
        walk_user_half(self.level_4, &mut |leaf| frames::free(leaf), &mut |table| {
            frames::free(table)
        });
        frames::free(self.level_4);
    }
}

/// Visits the user half of the tree under `level_4`: `leaf` for mapped frames (not device
/// memory), `table` for each lower-level table after its entries.
fn walk_user_half(level_4: u64, leaf: &mut dyn FnMut(u64), table_visit: &mut dyn FnMut(u64)) {
    fn walk(
        address: u64,
        level: usize,
        leaf: &mut dyn FnMut(u64),
        table_visit: &mut dyn FnMut(u64),
    ) {
        let count = if level == 3 { FIRST_KERNEL_ENTRY } else { 512 };
        for entry in
            table(address).iter().take(count).filter(|e| e.flags().contains(Flags::PRESENT))
        {
            let next = entry.addr().as_u64();
            if level == 0 {
                if !entry.flags().contains(DEVICE) {
                    leaf(next);
                }
            } else {
                walk(next, level - 1, leaf, table_visit);
                table_visit(next);
            }
        }
    }
    walk(level_4, 3, leaf, table_visit);
}

/// The table at physical address `address`, through the physical-memory mapping.
fn table(address: u64) -> &'static mut PageTable {
    // SAFETY: callers pass page-table frames this module owns (the kernel's or a task's), all
    // reachable at `phys_to_virt`. The kernel runs on one CPU with interrupts off while it
    // edits tables, so no two references are used at once.
    unsafe { &mut *(phys_to_virt(address) as *mut PageTable) }
}

/// The index into the level-`level` table (0 = last level) for `address`.
fn table_index(address: u64, level: usize) -> usize {
    ((address >> (12 + 9 * level)) & 0x1ff) as usize
}
