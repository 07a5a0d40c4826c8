//! Address spaces: the translations a space keeps of its last user pages agree with its
//! tables, whichever pages share a slot, and nothing else is kept.

use super::{GuestTest, TestResult};
use crate::arch::paging::{AddressSpace, Translation, UserAccess};
use crate::mm::frames;
use crate::mm::layout::{KERNEL_HEAP_START, USER_END};
use crate::{check, check_eq};

pub const TESTS: &[GuestTest] = &[GuestTest {
    name: "paging::kept_translations_agree_with_the_tables",
    run: kept_translations_agree_with_the_tables,
}];

const PAGE: u64 = 4096;
/// A user page, and two more that share its slot among the kept ones (four slots, chosen by
/// the page number's low bits) and one that does not.
const FIRST: u64 = 0x40_0000;
const SAME_SLOT: u64 = FIRST + 4 * PAGE;
const NEXT: u64 = FIRST + PAGE;
const MAPPED_LATER: u64 = FIRST + 8 * PAGE;
/// A page of device memory (its frame is the test's, freed at the end).
const DEVICE: u64 = FIRST + 12 * PAGE;

fn kept_translations_agree_with_the_tables() -> TestResult {
    let mut space = AddressSpace::new().map_err(|_| "no frame for the page tables")?;
    let device = frames::allocate().ok_or("no frame for the device page")?;
    let result = check_translations(&mut space, device);
    space.destroy(); // never active: the test only reads its tables
    frames::free(device); // a device page's frame is not the space's to free
    result
}

fn check_translations(space: &mut AddressSpace, device: u64) -> TestResult {
    let writable = UserAccess { writable: true, executable: false };
    let read_only = UserAccess { writable: false, executable: false };
    let map = |space: &mut AddressSpace, page, access| {
        space.map_user_page(page, access).map_err(|_| alloc::format!("cannot map {page:#x}"))
    };
    let first = map(space, FIRST, writable)?;
    let same_slot = map(space, SAME_SLOT, read_only)?;
    let next = map(space, NEXT, writable)?;
    let expected = |frame: u64, offset: u64, writable: bool| {
        Some(Translation { physical: frame + offset, user: true, writable })
    };
    // Pages that take each other's slot, asked in turns: each answer is its own page's.
    for _ in 0..2 {
        check_eq!(space.translate(FIRST + 5), expected(first, 5, true));
        check_eq!(space.translate(SAME_SLOT + 9), expected(same_slot, 9, false));
        check_eq!(space.translate(FIRST + PAGE - 1), expected(first, PAGE - 1, true));
        check_eq!(space.translate(NEXT), expected(next, 0, true));
        check!(space.keeps(FIRST) && space.keeps(NEXT) && !space.keeps(SAME_SLOT));
    }
    // A page not mapped is not kept as missing: mapped afterwards, it is found.
    check_eq!(space.translate(MAPPED_LATER), None);
    let later = map(space, MAPPED_LATER, writable)?;
    check_eq!(space.translate(MAPPED_LATER + 1), expected(later, 1, true));
    check_eq!(space.translate(FIRST + 5), expected(first, 5, true));
    // The kernel's half is translated but never kept: the kernel unmaps its own pages. Nor
    // is the first address past user space, nor device memory, which has no translation.
    check!(space.translate(KERNEL_HEAP_START).is_some(), "the kernel heap is not mapped");
    check!(!space.keeps(KERNEL_HEAP_START), "a kernel page was kept");
    let _ = space.translate(USER_END);
    check!(!space.keeps(USER_END), "an address past user space was kept");
    space.map_device_page(DEVICE, device).map_err(|_| "cannot map the device page")?;
    check_eq!(space.translate(DEVICE), None);
    check!(!space.keeps(DEVICE), "a device page was kept");
    Ok(())
}
