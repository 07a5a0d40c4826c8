//! Code mutation (`research::mutate`): bytes of a task's code, or of the kernel's, changed on
//! request, never anything else; and the hardware watch that tells when changed code runs.

use super::{GuestTest, TestResult};
use crate::research::mutate;
use crate::state::{self, Kernel};
use crate::usercopy::{UserSlice, copy_from_user};
use crate::{check, check_eq, lifecycle};
use libipc::SyscallError;

pub const TESTS: &[GuestTest] = &[
    GuestTest {
        name: "mutation::only_the_code_of_the_target_changes",
        run: only_the_code_of_the_target_changes,
    },
    GuestTest {
        name: "mutation::kernel_code_can_change_and_kernel_data_cannot",
        run: kernel_code_can_change_and_kernel_data_cannot,
    },
    GuestTest {
        name: "mutation::a_watched_instruction_is_seen_when_it_runs",
        run: a_watched_instruction_is_seen_when_it_runs,
    },
];

/// `ud2`: two bytes no program starts with.
const UD2: [u8; 2] = [0x0f, 0x0b];

/// Starts the manifest task `name` (never run) and returns its slot.
fn start(k: &mut Kernel, name: &str) -> Result<usize, &'static str> {
    let spec = crate::manifest::find(name).ok_or("task not in the manifest")?;
    let id = lifecycle::start_boot_task(k, &spec).ok_or("spawn failed")?;
    Ok(usize::from(id.index))
}

fn code_bytes(k: &Kernel, slot: usize, address: u64) -> Result<[u8; 2], SyscallError> {
    let mut bytes = [0u8; 2];
    let space = k.tasks[slot].space.as_ref().ok_or(SyscallError::NoSuchTask)?;
    copy_from_user(space, UserSlice::new(address, 2), &mut bytes).map(|()| bytes)
}

fn only_the_code_of_the_target_changes() -> TestResult {
    state::with(|k| {
        let first = start(k, "hello")?;
        let second = start(k, "hello")?;
        let code = k.tasks[first].research.code.clone();
        check!(code.start >= 0x40_0000 && code.end > code.start, "code at {code:#x?}");
        let original = code_bytes(k, first, code.start).map_err(|e| alloc::format!("{e:?}"))?;
        check!(original != UD2);
        let space = k.tasks[first].space.as_ref().ok_or("no memory")?;
        let refused =
            |address: u64, bytes: &[u8]| mutate::into_task(space, code.clone(), address, bytes);
        // Outside the code, across either end, empty, too long, wrapping: all refused.
        check_eq!(refused(code.start - 1, &UD2), Err(SyscallError::InvalidArgument));
        check_eq!(refused(code.end - 1, &UD2), Err(SyscallError::InvalidArgument));
        check_eq!(refused(code.start, &[]), Err(SyscallError::InvalidArgument));
        check_eq!(refused(code.start, &[0x90; 16]), Err(SyscallError::InvalidArgument));
        check_eq!(refused(u64::MAX - 1, &UD2), Err(SyscallError::InvalidArgument));
        check_eq!(code_bytes(k, first, code.start), Ok(original));
        check_eq!(refused(code.start, &UD2), Ok(()));
        check_eq!(code_bytes(k, first, code.start), Ok(UD2));
        // The other instance of the same program, and a new one, keep the code of the image;
        // the changed task still cannot write its code itself.
        check_eq!(code_bytes(k, second, code.start), Ok(original));
        let space = k.tasks[first].space.as_ref().ok_or("no memory")?;
        check!(!space.translate(code.start).is_some_and(|t| t.writable));
        lifecycle::kill(k, first);
        let again = start(k, "hello")?;
        check_eq!(code_bytes(k, again, code.start), Ok(original));
        lifecycle::kill(k, second);
        lifecycle::kill(k, again);
        Ok(())
    })
}

#[inline(never)]
fn marker(x: u64) -> u64 {
    core::hint::black_box(x).wrapping_mul(3)
}

static DATA: [u8; 2] = [1, 2];

fn kernel_code_can_change_and_kernel_data_cannot() -> TestResult {
    let code = marker as *const () as usize as u64;
    // SAFETY: the first two bytes of a function of the kernel's, mapped readable.
    let before = unsafe { core::ptr::read_volatile(code as *const [u8; 2]) };
    // The same bytes written back: the whole path, and no change to code that runs.
    check_eq!(mutate::into_kernel(code, &before), Ok(()));
    check_eq!(marker(2), 6);
    let data = DATA.as_ptr() as u64;
    check_eq!(mutate::into_kernel(data, &UD2), Err(SyscallError::InvalidArgument));
    check_eq!(DATA, [1, 2]);
    let heap = alloc::boxed::Box::new([0u8; 2]);
    check_eq!(
        mutate::into_kernel(&*heap as *const _ as u64, &UD2),
        Err(SyscallError::InvalidArgument)
    );
    check_eq!(mutate::into_kernel(0x40_0000, &UD2), Err(SyscallError::InvalidArgument));
    check_eq!(mutate::into_kernel(code, &[0x90; 16]), Err(SyscallError::InvalidArgument));
    Ok(())
}

fn a_watched_instruction_is_seen_when_it_runs() -> TestResult {
    let _ = mutate::take_kernel_code_ran();
    mutate::watch(None, marker as *const () as usize as u64);
    check!(!mutate::take_kernel_code_ran(), "seen before it ran");
    check_eq!(marker(5), 15);
    check!(mutate::take_kernel_code_ran(), "the watched instruction ran unseen");
    // Seen once: the watch is gone.
    check_eq!(marker(7), 21);
    check!(!mutate::take_kernel_code_ran());
    Ok(())
}
