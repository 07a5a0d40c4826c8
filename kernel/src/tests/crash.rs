//! Deliberate kernel crashes, to prove a kernel bug is reported and QEMU exits with failure
//! instead of hanging. xtask boots the test kernel with `crash=<kind>` and checks the report.

/// Crashes the kernel the way `kind` says; returns only for an unknown kind.
pub fn trigger(kind: &str) {
    match kind {
        "panic" => panic!("deliberate panic (crash=panic)"),
        "page-fault" => {
            let address = crate::mm::layout::KERNEL_HEAP_START - 0x1000;
            // SAFETY: reading an unmapped page has no effect on memory: the CPU faults before the
            // load, and the fatal page fault is what this crash test wants.
            let value = unsafe { (address as *const u64).read_volatile() };
            crate::println!("read {value:#x} from an unmapped page?");
        }
        "stack-overflow" => {
            recurse(0);
        }
        "user-code" | "user-data" => ring0_uses_a_user_page(kind == "user-code"),
        other => crate::println!("unknown crash kind {other:?}; running the tests"),
    }
}

/// Maps a user page holding `ret` and, from ring 0, calls it (`run`) or reads it. With SMEP
/// (or SMAP) on, the CPU refuses with a page fault in kernel mode; without, it says so.
fn ring0_uses_a_user_page(run: bool) {
    use crate::arch::paging::{AddressSpace, UserAccess};
    const PAGE: u64 = 0x40_0000;
    let mut space = AddressSpace::new().expect("a frame for the page tables");
    let access = UserAccess { writable: false, executable: true };
    let frame = space.map_user_page(PAGE, access).expect("a frame for the page");
    // SAFETY: the frame is fresh and ours, reached through the physical-memory mapping.
    unsafe { (crate::mm::phys_to_virt(frame) as *mut u8).write(0xc3) }; // `ret`
    space.activate();
    if run {
        // SAFETY: the page holds a lone `ret`; running it is the test (SMEP should refuse).
        let user_code: extern "C" fn() = unsafe { core::mem::transmute(PAGE as usize) };
        user_code();
        crate::println!("ring 0 ran code in a user page: SMEP is off");
    } else {
        // SAFETY: the page is mapped and readable; reading it is the test (SMAP should refuse).
        let byte = unsafe { (PAGE as *const u8).read_volatile() };
        crate::println!("ring 0 read {byte:#x} from a user page: SMAP is off");
    }
}

/// Recurses until the stack runs into the guard page below it. The page fault cannot be
/// delivered on the broken stack, so the CPU raises a double fault on its IST stack.
fn recurse(depth: u64) -> u64 {
    if depth == u64::MAX {
        return 0; // never reached; keeps the recursion conditional
    }
    let frame = core::hint::black_box([depth; 64]);
    recurse(depth + 1) + frame[0]
}
