//! Copying between the kernel and user memory, the only way the kernel touches user buffers.
//!
//! A `UserSlice` is an allegation (Hubris's word): an address and length a task claims it owns.
//! Before any byte moves, every page it spans is looked up in the task's own page tables and
//! must be mapped for user access, and writable when the kernel writes to it. The bytes then
//! move through the kernel's physical-memory mapping, so a bad pointer is an error code for the
//! caller, never a kernel page fault.

use crate::arch::paging::AddressSpace;
use crate::mm::layout::USER_END;
use crate::mm::phys_to_virt;
use libipc::SyscallError;

const PAGE_SIZE: u64 = 4096;

/// A buffer in a task's memory, as the task described it; nothing about it is checked yet.
#[derive(Clone, Copy, Debug)]
pub struct UserSlice {
    address: u64,
    len: u64,
}

impl UserSlice {
    pub fn new(address: u64, len: u64) -> Self {
        Self { address, len }
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the range is not empty, lies in user space and within one page: the common
    /// case (a path, a line of text, a page-aligned block), which needs one lookup.
    fn in_one_page(&self) -> bool {
        let last = self.address.wrapping_add(self.len).wrapping_sub(1);
        self.len != 0
            && self.address < USER_END
            && self.len <= USER_END - self.address
            && self.address / PAGE_SIZE == last / PAGE_SIZE
    }

    /// Checks the whole range, then calls `each` with (physical address, length) per page piece.
    fn for_each_piece(
        &self,
        space: &AddressSpace,
        write: bool,
        mut each: impl FnMut(u64, usize),
    ) -> Result<(), SyscallError> {
        if self.in_one_page() {
            let physical =
                checked_page(space, self.address, write).ok_or(SyscallError::BadAddress)?;
            each(physical, self.len as usize);
            return Ok(());
        }
        check_pages(space, *self, write).map_err(|()| SyscallError::BadAddress)?;
        let end = self.address + self.len; // `check_pages` refused a range that wraps
        let mut at = self.address;
        while at < end {
            let piece = (PAGE_SIZE - at % PAGE_SIZE).min(end - at);
            each(checked_physical(space, at), piece as usize);
            at += piece;
        }
        Ok(())
    }
}

/// Copies `source` (a task's memory) into `destination`, which must be exactly as long.
pub fn copy_from_user(
    space: &AddressSpace,
    source: UserSlice,
    destination: &mut [u8],
) -> Result<(), SyscallError> {
    assert_eq!(source.len, destination.len() as u64);
    let mut done = 0;
    source.for_each_piece(space, false, |physical, len| {
        // SAFETY: `physical` is a user frame of `space` checked above, mapped at `phys_to_virt`;
        // `len` stays within its page, and `destination` is a distinct kernel buffer.
        let bytes =
            unsafe { core::slice::from_raw_parts(phys_to_virt(physical) as *const u8, len) };
        destination[done..done + len].copy_from_slice(bytes);
        done += len;
    })
}

/// Copies `source` into `destination` (a task's memory, which must be writable there).
pub fn copy_to_user(
    space: &AddressSpace,
    destination: UserSlice,
    source: &[u8],
) -> Result<(), SyscallError> {
    assert_eq!(destination.len, source.len() as u64);
    let mut done = 0;
    destination.for_each_piece(space, true, |physical, len| {
        // SAFETY: as in `copy_from_user`, with the page also checked writable for the user.
        let bytes =
            unsafe { core::slice::from_raw_parts_mut(phys_to_virt(physical) as *mut u8, len) };
        bytes.copy_from_slice(&source[done..done + len]);
        done += len;
    })
}

/// The physical address of `address` in `space` if its page is mapped for user access (and
/// writable if `write`).
#[inline(always)]
fn checked_page(space: &AddressSpace, address: u64, write: bool) -> Option<u64> {
    space.translate(address).filter(|t| t.user && (t.writable || !write)).map(|t| t.physical)
}

/// Checks every page of `slice` in `space` (user, and writable if `write`) before any byte
/// moves, so a copy never stops half-way. The copy then looks the pages up again, which the
/// space's kept translations answer (`AddressSpace::translate`).
#[inline(always)]
fn check_pages(space: &AddressSpace, slice: UserSlice, write: bool) -> Result<(), ()> {
    let end = slice.address.checked_add(slice.len).ok_or(())?;
    if end > USER_END {
        return Err(());
    }
    if slice.len == 0 {
        return Ok(()); // nothing moves, so no page is touched (an empty slice may point anywhere)
    }
    let mut page = slice.address & !(PAGE_SIZE - 1);
    while page < end {
        checked_page(space, page, write).ok_or(())?;
        page += PAGE_SIZE;
    }
    Ok(())
}

/// The physical address of `address`, whose page `check_pages` has checked.
fn checked_physical(space: &AddressSpace, address: u64) -> u64 {
    space.translate(address).expect("checked before the copy").physical
}

/// Which side of a copy between two address spaces was not valid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BadSide {
    Source,
    Destination,
}

/// Copies `source` (in `from`) to `destination` (in `to`, writable), which must be as long,
/// straight between the two tasks' frames: no buffer in between, and the pages of a short
/// copy looked up once. Both ranges are checked whole before any byte moves.
#[inline(always)]
pub fn copy_between(
    from: &AddressSpace,
    source: UserSlice,
    to: &AddressSpace,
    destination: UserSlice,
) -> Result<(), BadSide> {
    assert_eq!(source.len, destination.len);
    if source.in_one_page() && destination.in_one_page() {
        // One lookup a side and one copy; the checks and their order are `copy_pages`'s.
        let physical_from = checked_page(from, source.address, false).ok_or(BadSide::Source)?;
        let physical_to =
            checked_page(to, destination.address, true).ok_or(BadSide::Destination)?;
        // SAFETY: as in `copy_pages`: both are user frames just checked (the destination
        // writable), and each range stays within its page.
        unsafe {
            core::ptr::copy(
                phys_to_virt(physical_from) as *const u8,
                phys_to_virt(physical_to) as *mut u8,
                source.len as usize,
            )
        };
        return Ok(());
    }
    copy_pages(from, source, to, destination)
}

/// `copy_between` for ranges that cross pages, out of line so that the one-page case stays
/// small where it is inlined.
#[inline(never)]
fn copy_pages(
    from: &AddressSpace,
    source: UserSlice,
    to: &AddressSpace,
    destination: UserSlice,
) -> Result<(), BadSide> {
    check_pages(from, source, false).map_err(|()| BadSide::Source)?;
    check_pages(to, destination, true).map_err(|()| BadSide::Destination)?;
    let mut done = 0;
    while done < source.len {
        let (at, to_at) = (source.address + done, destination.address + done);
        let piece =
            (PAGE_SIZE - at % PAGE_SIZE).min(PAGE_SIZE - to_at % PAGE_SIZE).min(source.len - done);
        let (physical_from, physical_to) =
            (checked_physical(from, at), checked_physical(to, to_at));
        // SAFETY: both are user frames checked above (the destination writable), mapped at
        // `phys_to_virt`; `piece` stays within each page. `copy` allows the two to overlap.
        unsafe {
            core::ptr::copy(
                phys_to_virt(physical_from) as *const u8,
                phys_to_virt(physical_to) as *mut u8,
                piece as usize,
            )
        };
        done += piece;
    }
    Ok(())
}

/// Plain data: `repr(C)`, only integer fields, no padding, so every byte pattern is a valid
/// value and a value can cross the user boundary as its bytes.
///
/// # Safety
/// Implement only for types that really are all of the above.
pub unsafe trait Plain: Copy {}

// SAFETY (all six): `repr(C)` structs of `u64`s (and, for `TaskStatus` and `SpawnRequest`,
// byte arrays of 16 that keep every `u64` on an 8-byte boundary), so there is no padding and
// any bytes are a valid value.
unsafe impl Plain for libipc::abi::FaultInfo {}
unsafe impl Plain for libipc::abi::TaskStatus {}
unsafe impl Plain for libipc::abi::Lease {}
unsafe impl Plain for libipc::abi::SpawnRequest {}
unsafe impl Plain for libipc::abi::MemoryStats {}
unsafe impl Plain for libipc::abi::FramebufferInfo {}

/// Writes `value` to the user buffer at `address`.
pub fn copy_value_to_user<T: Plain>(
    space: &AddressSpace,
    address: u64,
    value: &T,
) -> Result<(), SyscallError> {
    // SAFETY: `T: Plain`, so its memory is initialised bytes without padding.
    let bytes =
        unsafe { core::slice::from_raw_parts(value as *const T as *const u8, size_of::<T>()) };
    copy_to_user(space, UserSlice::new(address, bytes.len() as u64), bytes)
}

/// Fills `values` from the user array at `address`.
pub fn copy_values_from_user<T: Plain>(
    space: &AddressSpace,
    address: u64,
    values: &mut [T],
) -> Result<(), SyscallError> {
    let len = size_of_val(values);
    // SAFETY: `T: Plain`, so any bytes written through this view leave valid values.
    let bytes = unsafe { core::slice::from_raw_parts_mut(values.as_mut_ptr() as *mut u8, len) };
    copy_from_user(space, UserSlice::new(address, len as u64), bytes)
}
