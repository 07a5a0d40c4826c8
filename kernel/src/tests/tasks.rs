//! Address spaces, user copies and loading, checked on tasks that are created but never run.

use super::{GuestTest, TestResult};
use crate::arch::paging::AddressSpace;
use crate::lifecycle;
use crate::loader::LoadError;
use crate::mm::frames;
use crate::mm::layout::{USER_END, USER_STACK_BOTTOM, USER_STACK_TOP};
use crate::state::{self, Kernel};
use crate::usercopy::{BadSide, UserSlice, copy_between, copy_from_user, copy_to_user};
use crate::{bootfs, check, check_eq};
use alloc::vec::Vec;
use kernel_core::elf::ElfError;
use libipc::SyscallError;

pub const TESTS: &[GuestTest] = &[
    GuestTest {
        name: "tasks::address_spaces_share_no_user_frames",
        run: address_spaces_share_no_user_frames,
    },
    GuestTest {
        name: "tasks::kernel_half_is_not_user_accessible",
        run: kernel_half_is_not_user_accessible,
    },
    GuestTest { name: "tasks::user_copies_check_every_page", run: user_copies_check_every_page },
    GuestTest {
        name: "tasks::copies_between_tasks_check_both_sides_first",
        run: copies_between_tasks_check_both_sides_first,
    },
    GuestTest {
        name: "tasks::short_copies_between_tasks_are_whole_at_page_edges",
        run: short_copies_between_tasks_are_whole_at_page_edges,
    },
    GuestTest {
        name: "tasks::broken_elf_is_refused_without_leaks",
        run: broken_elf_is_refused_without_leaks,
    },
    GuestTest {
        name: "tasks::killing_a_task_frees_its_frames",
        run: killing_a_task_frees_its_frames,
    },
    GuestTest {
        name: "tasks::spawn_tells_exhaustion_from_a_bad_image",
        run: spawn_tells_exhaustion_from_a_bad_image,
    },
    GuestTest {
        name: "tasks::the_screen_is_lent_to_its_driver_not_given",
        run: the_screen_is_lent_to_its_driver_not_given,
    },
];

/// Spawns the manifest task `name` (not run), calls `f` with its slot, then kills it.
fn with_task(name: &str, f: impl FnOnce(&mut Kernel, usize) -> TestResult) -> TestResult {
    state::with(|s| with_task_in(s, name, f))
}

fn with_task_in(
    s: &mut Kernel,
    name: &str,
    f: impl FnOnce(&mut Kernel, usize) -> TestResult,
) -> TestResult {
    let spec = crate::manifest::find(name).ok_or("task not in the manifest")?;
    let id = lifecycle::start_boot_task(s, &spec).ok_or("spawn failed")?;
    let slot = usize::from(id.index);
    let result = f(s, slot);
    lifecycle::kill(s, slot);
    result
}

fn space(s: &Kernel, slot: usize) -> &AddressSpace {
    s.tasks[slot].space.as_ref().expect("a live task has memory")
}

fn address_spaces_share_no_user_frames() -> TestResult {
    with_task("hello", |s, first| {
        let mut frames_a = Vec::new();
        space(s, first).for_each_user_frame(|frame| frames_a.push(frame));
        with_task_in(s, "spin-a", |s, second| {
            let mut shared = 0;
            let mut count_b = 0;
            space(s, second).for_each_user_frame(|frame| {
                count_b += 1;
                shared += usize::from(frames_a.contains(&frame));
            });
            check!(
                frames_a.len() > 16 && count_b > 16,
                "{} and {count_b} user frames",
                frames_a.len()
            );
            check_eq!(shared, 0);
            Ok(())
        })
    })
}

fn kernel_half_is_not_user_accessible() -> TestResult {
    with_task("hello", |s, slot| {
        let space = space(s, slot);
        let kernel_code = crate::mm::layout::KERNEL_BASE;
        let translation =
            space.translate(kernel_code).ok_or("the kernel is not mapped in the task")?;
        check!(!translation.user, "the kernel image is user-accessible");
        let heap =
            space.translate(crate::mm::layout::KERNEL_HEAP_START).ok_or("no heap mapping")?;
        check!(!heap.user);
        Ok(())
    })
}

fn user_copies_check_every_page() -> TestResult {
    with_task("hello", |s, slot| {
        let space = space(s, slot);
        let stack_word = USER_STACK_TOP - 4096;
        copy_to_user(space, UserSlice::new(stack_word, 8), b"ring3ok!")
            .map_err(|e| alloc::format!("{e:?}"))?;
        let mut back = [0u8; 8];
        copy_from_user(space, UserSlice::new(stack_word, 8), &mut back)
            .map_err(|e| alloc::format!("{e:?}"))?;
        check_eq!(&back, b"ring3ok!");

        let mut eight = [0u8; 8];
        let refused = |address: u64, len: u64| {
            let mut buffer = alloc::vec![0u8; len as usize];
            copy_from_user(space, UserSlice::new(address, len), &mut buffer)
        };
        check_eq!(refused(0, 8), Err(SyscallError::BadAddress)); // page 0 is never mapped
        check_eq!(refused(crate::mm::layout::KERNEL_BASE, 8), Err(SyscallError::BadAddress));
        check_eq!(refused(USER_END - 4, 8), Err(SyscallError::BadAddress)); // crosses the top
        check_eq!(refused(USER_STACK_TOP - 4, 8), Err(SyscallError::BadAddress)); // runs off the stack
        check_eq!(refused(u64::MAX - 3, 8), Err(SyscallError::BadAddress)); // wraps around
        // The program's code is mapped for reading but not for writing.
        check!(copy_from_user(space, UserSlice::new(0x40_0000, 8), &mut eight).is_ok());
        check_eq!(
            copy_to_user(space, UserSlice::new(0x40_0000, 8), &eight),
            Err(SyscallError::BadAddress)
        );
        Ok(())
    })
}

/// A lease copy's path: straight between two ranges (here in one task's stack), over more
/// pages than an address space keeps translations of (they evict each other as the copy
/// goes) and at offsets that split pages differently on each side;
/// and a bad range on either side is refused before a byte moves.
fn copies_between_tasks_check_both_sides_first() -> TestResult {
    const LEN: usize = 5 * 4096 + 123;
    with_task("hello", |s, slot| {
        let space = space(s, slot);
        let pattern: Vec<u8> = (0..LEN).map(|i| (i % 251) as u8).collect();
        let source = UserSlice::new(USER_STACK_BOTTOM + 100, LEN as u64);
        let destination = UserSlice::new(USER_STACK_BOTTOM + 8 * 4096 + 3000, LEN as u64);
        copy_to_user(space, source, &pattern).map_err(|e| alloc::format!("{e:?}"))?;
        check_eq!(copy_between(space, source, space, destination), Ok(()));
        let mut back = alloc::vec![0u8; LEN];
        copy_from_user(space, destination, &mut back).map_err(|e| alloc::format!("{e:?}"))?;
        check!(back == pattern, "the copy differs from its source");

        // The destination runs off the top of the stack: its first page must stay untouched.
        let last_page = USER_STACK_TOP - 4096;
        let before = {
            let mut page = alloc::vec![0u8; 4096];
            copy_from_user(space, UserSlice::new(last_page, 4096), &mut page)
                .map_err(|e| alloc::format!("{e:?}"))?;
            page
        };
        let short = UserSlice::new(USER_STACK_BOTTOM, 8192);
        let overhang = UserSlice::new(last_page, 8192);
        check_eq!(copy_between(space, short, space, overhang), Err(BadSide::Destination));
        let mut after = alloc::vec![0u8; 4096];
        copy_from_user(space, UserSlice::new(last_page, 4096), &mut after)
            .map_err(|e| alloc::format!("{e:?}"))?;
        check!(after == before, "a refused copy wrote into the destination's valid page");
        // Code is not writable, page 0 is not mapped.
        let word = UserSlice::new(USER_STACK_BOTTOM, 8);
        let code = UserSlice::new(0x40_0000, 8);
        check_eq!(copy_between(space, word, space, code), Err(BadSide::Destination));
        let null = UserSlice::new(0, 8);
        check_eq!(copy_between(space, null, space, word), Err(BadSide::Source));
        Ok(())
    })
}

/// The short copies (each side within one page, looked up once) at the edges of pages: a
/// range ending on a page's last byte, one byte over into the next page, the stack's very
/// top, and ranges that wrap around or leave user space, which are refused as before.
fn short_copies_between_tasks_are_whole_at_page_edges() -> TestResult {
    with_task("hello", |s, slot| {
        let space = space(s, slot);
        let page = USER_STACK_BOTTOM + 4096;
        let pattern: Vec<u8> = (0..64u8).map(|i| i ^ 0x5a).collect();
        let fill = UserSlice::new(page - 64, 64);
        copy_to_user(space, fill, &pattern).map_err(|e| alloc::format!("{e:?}"))?;
        // Source ends on its page's last byte; destinations end there, cross by a byte, and
        // end at the top of the stack.
        for destination in [page + 4096 - 64, page + 4096 - 63, USER_STACK_TOP - 64] {
            let to = UserSlice::new(destination, 64);
            check_eq!(copy_between(space, fill, space, to), Ok(()));
            let mut back = [0u8; 64];
            copy_from_user(space, to, &mut back).map_err(|e| alloc::format!("{e:?}"))?;
            check!(back[..] == pattern[..], "a short copy to {destination:#x} differs");
        }
        // The byte that went over into the next page, read on its own.
        let mut last = [0u8; 1];
        copy_from_user(space, UserSlice::new(page + 4096, 1), &mut last)
            .map_err(|e| alloc::format!("{e:?}"))?;
        check_eq!(last[0], pattern[63]);
        let word = UserSlice::new(page, 8);
        let over_the_top = UserSlice::new(USER_STACK_TOP - 7, 8); // its last byte is over
        check_eq!(copy_between(space, word, space, over_the_top), Err(BadSide::Destination));
        let wraps = UserSlice::new(u64::MAX - 3, 8);
        check_eq!(copy_between(space, wraps, space, word), Err(BadSide::Source));
        let kernel = UserSlice::new(USER_END, 8);
        check_eq!(copy_between(space, word, space, kernel), Err(BadSide::Destination));
        // Nothing to move touches no page: empty ranges in unmapped memory are fine.
        let (nowhere, elsewhere) = (UserSlice::new(0x123, 0), UserSlice::new(0x1_0456, 0));
        check_eq!(copy_between(space, nowhere, space, elsewhere), Ok(()));
        Ok(())
    })
}

fn broken_elf_is_refused_without_leaks() -> TestResult {
    let spec = crate::manifest::find("hello").ok_or("no hello task")?;
    let image = bootfs::file(spec.image).ok_or("no hello image")?;
    let before = frames::stats();
    // Keep the first 0x1800 bytes: the headers survive, the code segment's bytes are cut off.
    // An 8-byte aligned copy, as the ramdisk would hold it.
    let cut = 0x1800;
    let mut words = alloc::vec![0u64; cut / 8];
    for (word, chunk) in words.iter_mut().zip(image[..cut].chunks(8)) {
        *word = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
    }
    // SAFETY: the u64 buffer is valid for `cut` bytes and u8 needs no alignment.
    let truncated = unsafe { core::slice::from_raw_parts(words.as_ptr() as *const u8, cut) };
    let result = state::with(|s| lifecycle::spawn(s, &spec, truncated).map(|id| id.index));
    match result {
        Err(LoadError::Elf(ElfError::BadFileRange { .. })) => {}
        other => return Err(alloc::format!("a truncated image gave {other:?}")),
    }
    check_eq!(frames::stats(), before);
    Ok(())
}

fn killing_a_task_frees_its_frames() -> TestResult {
    let before = frames::stats();
    with_task("spin-a", |_, _| {
        check!(frames::stats().free < before.free, "spawning took no frames");
        Ok(())
    })?;
    check_eq!(frames::stats(), before);
    Ok(())
}

fn spawn_tells_exhaustion_from_a_bad_image() -> TestResult {
    use crate::arch::paging::MapError;
    use crate::syscalls::spawn::error_of;
    check_eq!(error_of(&LoadError::TableFull), SyscallError::OutOfMemory);
    check_eq!(error_of(&LoadError::Memory(MapError::OutOfFrames)), SyscallError::OutOfMemory);
    check_eq!(
        error_of(&LoadError::Memory(MapError::AlreadyMapped(0x40_0000))),
        SyscallError::InvalidArgument
    );
    check_eq!(error_of(&LoadError::ArgumentTooLong), SyscallError::TooLong);
    // A real bad image, as the loader reports it.
    let spec = crate::manifest::find("hello").ok_or("no hello task")?;
    let error = state::with(|s| lifecycle::spawn(s, &spec, b"not an ELF file").err());
    let error = error.ok_or("garbage loaded as a program")?;
    check_eq!(error_of(&error), SyscallError::InvalidArgument);
    Ok(())
}

/// `framebuffer` maps the screen only for a task with the privilege, describes it, maps it
/// once however often it is asked, never lets the kernel copy through it, and leaves its
/// frames alone when the task ends (freeing them would hand device memory out as RAM, and the
/// frame allocator refuses frames it does not manage with a panic).
fn the_screen_is_lent_to_its_driver_not_given() -> TestResult {
    use crate::syscalls::devices::framebuffer;
    use crate::syscalls::outcome::Outcome;
    use libipc::abi::{FRAMEBUFFER_ADDRESS, FramebufferInfo};
    let screen = crate::framebuffer::screen().ok_or("QEMU's VGA gave no framebuffer")?;
    let free_before = frames::stats().free;
    with_task("hello", |s, slot| {
        let buffer = USER_STACK_BOTTOM;
        check_eq!(framebuffer(s, slot, buffer), Outcome::from(SyscallError::Denied));
        s.tasks[slot].spec.privileges.framebuffer = true;
        check_eq!(framebuffer(s, slot, buffer), Outcome::Value(0));
        check_eq!(framebuffer(s, slot, buffer), Outcome::Value(0)); // maps nothing more
        check_eq!(framebuffer(s, slot, 0), Outcome::from(SyscallError::BadAddress));
        let mut bytes = [0u8; size_of::<FramebufferInfo>()];
        copy_from_user(space(s, slot), UserSlice::new(buffer, bytes.len() as u64), &mut bytes)
            .map_err(|e| alloc::format!("{e:?}"))?;
        let word = |i: usize| u64::from_le_bytes(bytes[i * 8..][..8].try_into().unwrap());
        check_eq!(word(0), FRAMEBUFFER_ADDRESS);
        check_eq!(
            (word(1), word(2), word(3)),
            (screen.info.length, screen.info.width, screen.info.height)
        );
        let last = FRAMEBUFFER_ADDRESS + screen.info.length - 1;
        check!(
            space(s, slot).translate(last).is_none(),
            "the kernel would copy through the screen"
        );
        let mut one = [0u8; 1];
        check_eq!(
            copy_from_user(space(s, slot), UserSlice::new(last, 1), &mut one),
            Err(SyscallError::BadAddress)
        );
        Ok(())
    })?;
    check_eq!(frames::stats().free, free_before); // the task's own frames, no more, no fewer
    Ok(())
}
