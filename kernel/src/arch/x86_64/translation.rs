//! What a walk of the page tables finds for an address (`Translation`), and the user pages an
//! address space translated last (`RecentPages`), so that a copy touching the same pages
//! again (a server's own buffer, a client's request) skips the walk of four tables.
//!
//! A kept translation cannot go stale. A user page, once mapped, keeps its frame and its
//! permissions for the life of its address space: pages are only ever added (mapping a page
//! twice is refused), none is unmapped or changed, and the space is freed whole. Only
//! successful translations of user pages are kept; the kernel's half is not, since the
//! kernel does unmap its own pages (`unmap_kernel_page`).

use core::cell::Cell;

/// The effective permissions of a mapped user address: all four levels must allow it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Translation {
    pub physical: u64,
    pub user: bool,
    pub writable: bool,
}

/// Pages kept, each in the slot its page number's low bits choose: the two pages a 4 KiB
/// buffer spans, or a caller's buffer and a server's, usually land in different slots.
const KEPT_PAGES: usize = 4;
/// In a slot's page: the slot holds a translation (a page address has its low 12 bits clear).
const KEPT: u64 = 1;
/// In a slot's frame: the page's effective permissions, below the frame's address.
const USER: u64 = 1 << 0;
const WRITABLE: u64 = 1 << 1;

/// One kept translation: `page | KEPT`, and `frame | USER | WRITABLE` as they apply.
#[derive(Clone, Copy)]
struct Slot {
    page: u64,
    frame: u64,
}

/// The last translated user pages of one address space.
pub struct RecentPages([Cell<Slot>; KEPT_PAGES]);

impl RecentPages {
    pub const fn new() -> Self {
        const EMPTY: Cell<Slot> = Cell::new(Slot { page: 0, frame: 0 });
        Self([EMPTY; KEPT_PAGES])
    }

    fn slot(&self, page: u64) -> &Cell<Slot> {
        &self.0[(page >> 12) as usize % KEPT_PAGES]
    }

    /// The translation of `address`, if its page is kept.
    #[inline(always)]
    pub fn find(&self, address: u64) -> Option<Translation> {
        let page = address & !0xfff;
        let slot = self.slot(page).get();
        (slot.page == page | KEPT).then(|| Translation {
            physical: (slot.frame & !0xfff) | (address & 0xfff),
            user: slot.frame & USER != 0,
            writable: slot.frame & WRITABLE != 0,
        })
    }

    /// Keeps the translation of user address `address`, replacing whatever shared its slot.
    #[inline(always)]
    pub fn keep(&self, address: u64, translation: Translation) {
        let page = address & !0xfff;
        let mut frame = translation.physical & !0xfff;
        if translation.user {
            frame |= USER;
        }
        if translation.writable {
            frame |= WRITABLE;
        }
        self.slot(page).set(Slot { page: page | KEPT, frame });
    }
}
