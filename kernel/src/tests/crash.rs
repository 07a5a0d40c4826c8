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
        other => crate::println!("unknown crash kind {other:?}; running the tests"),
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
