//! Code mutation: a few bytes of a task's machine code overwritten, as MINIX 3's campaigns
//! mutated driver code (a changed register or operand, a skipped instruction, a corrupted
//! pointer). The host picks the change (it decodes the program; the kernel has no decoder and
//! needs none); the kernel only checks that every byte lies in the target's code and writes
//! them, all or none, through the physical-memory mapping: the code stays read-only to the
//! task. A restart copies the code afresh from the boot image, so the change dies with the task.
//!
//! The changed instruction is then watched (`arch::watch`, a hardware breakpoint) until it
//! first runs, and the kernel log says when it does: a campaign can tell a mutation that did
//! no harm from one that never ran. One instruction is watched at a time, the last changed.

use crate::arch::paging::{AddressSpace, kernel_code_physical};
use crate::arch::watch;
use crate::mm::phys_to_virt;
use crate::state;
use core::ops::Range;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use libipc::SyscallError;
use libipc::TaskId;
use libipc::abi::MUTATION_MAX;

/// Whose changed instruction is watched: a task's id (`TaskId::to_raw`), or one of these.
const NOBODY: u64 = u64::MAX;
const THE_KERNEL: u64 = u64::MAX - 1;
static OWNER: AtomicU64 = AtomicU64::new(NOBODY);
static ADDRESS: AtomicU64 = AtomicU64::new(0);
/// The watched kernel code ran; said at the end of the built-in request (`tell_kernel_code_ran`).
static KERNEL_CODE_RAN: AtomicBool = AtomicBool::new(false);

/// Watches the changed instruction at `address` of `owner` (`None`: the kernel's code).
pub fn watch(owner: Option<TaskId>, address: u64) {
    OWNER.store(owner.map_or(THE_KERNEL, TaskId::to_raw), Relaxed);
    ADDRESS.store(address, Relaxed);
    watch::watch(address);
}

fn unwatch() {
    watch::unwatch();
    OWNER.store(NOBODY, Relaxed);
}

/// A debug exception: `true` if it was the watched instruction's breakpoint, now handled.
/// In a task, the owner's run is logged at once; another task running code at the same
/// address (every program starts at the same place) runs on, once past the breakpoint.
pub fn on_debug_trap(from_user: bool) -> bool {
    if !watch::take_hit() {
        return false;
    }
    let owner = OWNER.load(Relaxed);
    if !from_user {
        // Locks may be held here (the built-in service's own): the log comes later.
        unwatch();
        KERNEL_CODE_RAN.store(true, Relaxed);
        return true;
    }
    state::with(|k| {
        let current = k.sched.current;
        let task = &mut k.tasks[current];
        if task.id.to_raw() == owner {
            unwatch();
            let address = ADDRESS.load(Relaxed);
            log::info!(
                "task {} ({}): injected fault mutate fired: the changed code at {address:#x} ran",
                task.name,
                task.id
            );
            return;
        }
        task.saved.rflags |= watch::RESUME_FLAG;
        // The owner is gone (ended, or restarted with its code afresh): nothing to watch.
        let owner_alive = TaskId::from_raw(owner).is_some_and(|id| {
            k.tasks.get(usize::from(id.index)).is_some_and(|t| t.id == id && t.state.is_alive())
        });
        if !owner_alive {
            unwatch();
        }
    });
    true
}

/// Whether the watched kernel code ran since the last time this was asked.
pub fn take_kernel_code_ran() -> bool {
    KERNEL_CODE_RAN.swap(false, Relaxed)
}

/// Logs that the watched kernel code ran, if it did, once no lock of the built-in services
/// is held (the end of a built-in request or interrupt).
#[cfg_attr(not(feature = "monolithic"), allow(dead_code))] // only built-in services call it
pub fn tell_kernel_code_ran() {
    if take_kernel_code_ran() {
        let address = ADDRESS.load(Relaxed);
        log::warn!(
            "built-in service: injected fault mutate fired: the changed kernel code at \
             {address:#x} ran"
        );
    }
}

/// Writes `bytes` over the code of a task at `address`, if all of them lie in `code` (its
/// executable segment) and are mapped.
pub fn into_task(
    space: &AddressSpace,
    code: Range<u64>,
    address: u64,
    bytes: &[u8],
) -> Result<(), SyscallError> {
    let end = address.checked_add(bytes.len() as u64).ok_or(SyscallError::InvalidArgument)?;
    if address < code.start || end > code.end {
        return Err(SyscallError::InvalidArgument);
    }
    write(bytes, |offset| space.translate(address + offset).map(|t| t.physical))
}

/// Writes `bytes` over the kernel's own code at `address` (a service built into the kernel):
/// every byte must be in a page the kernel maps executable and read-only.
pub fn into_kernel(address: u64, bytes: &[u8]) -> Result<(), SyscallError> {
    address.checked_add(bytes.len() as u64).ok_or(SyscallError::InvalidArgument)?;
    write(bytes, |offset| kernel_code_physical(address + offset))
}

/// Finds the physical address of every byte first, so that a patch is written whole or not
/// at all.
fn write(bytes: &[u8], physical: impl Fn(u64) -> Option<u64>) -> Result<(), SyscallError> {
    if bytes.is_empty() || bytes.len() > MUTATION_MAX {
        return Err(SyscallError::InvalidArgument);
    }
    let mut targets = [0u64; MUTATION_MAX];
    for (offset, target) in targets.iter_mut().enumerate().take(bytes.len()) {
        *target = physical(offset as u64).ok_or(SyscallError::InvalidArgument)?;
    }
    for (&byte, &target) in bytes.iter().zip(&targets) {
        // SAFETY: `target` is a byte of a mapped frame of code (checked above), reached through
        // the kernel's writable mapping of all physical memory. Changing it is the experiment;
        // the CPU (and QEMU's translation cache) sees the new code at its next fetch.
        unsafe { core::ptr::write_volatile(phys_to_virt(target) as *mut u8, byte) };
    }
    Ok(())
}
