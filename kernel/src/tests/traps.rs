//! Exceptions the kernel survives: a breakpoint returns, a page fault at a probe is recovered.

use super::{GuestTest, TestResult};
use crate::arch::{breakpoint_count, paging, probe};
use crate::mm::layout::{KERNEL_HEAP_SIZE, KERNEL_HEAP_START};
use crate::{check, check_eq};
use alloc::boxed::Box;

pub const TESTS: &[GuestTest] = &[
    GuestTest { name: "traps::breakpoint_returns", run: breakpoint_returns },
    GuestTest {
        name: "traps::page_fault_on_unmapped_address_is_caught",
        run: unmapped_read_is_caught,
    },
    GuestTest { name: "traps::page_fault_on_null_is_caught", run: null_read_is_caught },
    GuestTest { name: "traps::probe_reads_mapped_memory", run: probe_reads_mapped_memory },
    GuestTest { name: "traps::every_cpu_stack_has_a_guard_page", run: stacks_are_guarded },
    GuestTest { name: "traps::smep_and_smap_are_on_where_the_cpu_has_them", run: smep_smap },
    GuestTest { name: "traps::no_kernel_page_is_writable_and_executable", run: w_xor_x },
];

fn breakpoint_returns() -> TestResult {
    let before = breakpoint_count();
    let went_on = crate::arch::cpu::breakpoint();
    check_eq!(breakpoint_count(), before + 1);
    check!(went_on);
    Ok(())
}

/// The page just past the heap is never mapped; reading it faults, and the kernel goes on.
fn unmapped_read_is_caught() -> TestResult {
    let address = KERNEL_HEAP_START + KERNEL_HEAP_SIZE + 0x1000;
    check!(!paging::is_mapped(address));
    check_eq!(probe::read_u64(address), None);
    Ok(())
}

fn null_read_is_caught() -> TestResult {
    check_eq!(probe::read_u64(0), None);
    Ok(())
}

/// Under each stack the CPU switches to, a page that faults: the stack's lowest byte is
/// there, the byte below it is not.
fn stacks_are_guarded() -> TestResult {
    for (name, guard, top) in crate::arch::stack_bounds() {
        check!(paging::is_mapped(guard + 4096), "the {name} stack's lowest page is mapped");
        check!(!paging::is_mapped(guard), "the page under the {name} stack is unmapped");
        check_eq!(probe::read_u64(guard + 4088), None);
        check!(paging::is_mapped(top - 8), "the {name} stack's top is mapped");
    }
    Ok(())
}

/// CR4 has SMEP and SMAP on exactly when CPUID offers them (the `crash::smep_*` and
/// `crash::smap_*` boot checks run a CPU model that has them and see them refuse).
fn smep_smap() -> TestResult {
    use crate::arch::cpu::{user_page_protections, user_page_protections_on};
    check_eq!(user_page_protections_on(), user_page_protections());
    Ok(())
}

/// W^X in the kernel's half: code is read-only, and everything writable (data, stacks, the
/// heap, the physical-memory mapping) is no-execute.
fn w_xor_x() -> TestResult {
    let both = paging::first_kernel_page_where(|writable, executable| writable && executable);
    check!(both.is_none(), "{:#x} is writable and executable", both.unwrap_or(0));
    // The walk sees the kernel's code and its data, so the answer above means something.
    check!(paging::first_kernel_page_where(|_, executable| executable).is_some());
    check!(paging::first_kernel_page_where(|writable, _| writable).is_some());
    Ok(())
}

/// The same probe on mapped memory returns what is there, so `None` above means a fault.
fn probe_reads_mapped_memory() -> TestResult {
    let value = Box::new(0x1234_5678_9abc_def0u64);
    check_eq!(probe::read_u64(&*value as *const u64 as u64), Some(0x1234_5678_9abc_def0));
    Ok(())
}
