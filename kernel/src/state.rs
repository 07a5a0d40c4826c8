//! The kernel's state, behind one lock: the task table, the scheduler, interrupt routes.
//!
//! System calls (`syscalls/`) are free functions over this `Kernel`, as in Hubris; the lock
//! is only taken with interrupts disabled (the kernel runs with IF clear; the idle loop drops
//! the lock before it waits), and a system call on the general path takes it once, for the
//! call and the return to ring 3 together (`switch::handle_and_return`). The fast path takes
//! none (`unlocked_in_system_call`).

use crate::arch::cpu::without_interrupts;
use crate::arch::paging::AddressSpace;
use crate::irq::IrqRoutes;
use crate::sched::Scheduler;
use crate::task::Task;
use crate::time;
use alloc::vec::Vec;
use libipc::abi::FOREVER;
use libipc::{SyscallError, TaskId};
use spin::mutex::{SpinMutex as Mutex, SpinMutexGuard as MutexGuard};

/// Slots in the task table; a task id's index is below this.
pub const MAX_TASKS: usize = 64;

/// What the kernel tells its observer (the test harness, or the exit-after-boot check).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// The task in this slot exited, faulted or was killed.
    TaskEnded(usize),
    /// A timer tick went by.
    Tick,
}

pub type Observer = fn(&mut Kernel, Event);

pub struct Kernel {
    /// The task table. Index = `TaskId::index`; a slot keeps its ended task (and its
    /// generation) until reused. Never moves once it holds a task (`add_task`): entries from
    /// ring 3 save registers straight into the running task's record.
    pub tasks: Vec<Task>,
    pub sched: Scheduler,
    pub irqs: IrqRoutes,
    pub observer: Option<Observer>,
    /// Blocking sends so far: the next one's `TaskState::Sending::order`.
    pub sends: u64,
}

static KERNEL: Mutex<Kernel> = Mutex::new(Kernel {
    tasks: Vec::new(),
    sched: Scheduler::new(),
    irqs: IrqRoutes::new(),
    observer: None,
    sends: 0,
});

/// Runs `f` on the kernel's state with interrupts disabled.
pub fn with<R>(f: impl FnOnce(&mut Kernel) -> R) -> R {
    without_interrupts(|| f(&mut KERNEL.lock()))
}

/// The kernel's state, locked from a system call or a trap from ring 3, where interrupts are
/// already off. The lock is free then: there is one CPU, and no code holding it waits for an
/// interrupt or returns to ring 3 (a trap in ring 0 never comes here).
/// Were it taken, spinning with interrupts off would never end, so this says so instead (and
/// saves the spin loop's instructions on every trap).
#[inline(always)]
pub fn lock_in_trap() -> MutexGuard<'static, Kernel> {
    KERNEL.try_lock().expect("a trap found the kernel's state locked")
}

/// The kernel's state for the system call fast path, which does not take the lock (five
/// instructions each way of a round trip): a system call from ring 3 runs with interrupts off
/// on the only CPU, where nothing else can hold the lock or run until it returns, as on a
/// uniprocessor seL4, which has no lock at all. Debug builds check that the lock is free.
///
/// # Safety
/// Call only at the start of a system call from ring 3, and drop the reference before
/// anything takes the lock (the general path, if the fast path declines the call).
#[inline(always)]
pub unsafe fn unlocked_in_system_call() -> &'static mut Kernel {
    debug_assert!(!KERNEL.is_locked(), "a system call found the kernel's state locked");
    // SAFETY: the caller's promise above: nothing else refers to the state meanwhile.
    unsafe { &mut *KERNEL.as_mut_ptr() }
}

impl Kernel {
    /// Puts `task` in a new slot at the end of the table and returns the slot. The first one
    /// reserves room for `MAX_TASKS`, so the table never moves (callers check the limit).
    pub fn add_task(&mut self, task: Task) -> usize {
        assert!(self.tasks.len() < MAX_TASKS, "the task table is full");
        if self.tasks.capacity() == 0 {
            self.tasks.reserve_exact(MAX_TASKS);
        }
        self.tasks.push(task);
        self.tasks.len() - 1
    }

    /// The slot of the live task `id`, or why there is none: `DeadTask` with its current id
    /// when the slot has moved on (or the task ended), `NoSuchTask` for an unknown slot.
    pub fn resolve(&self, id: TaskId) -> Result<usize, (SyscallError, u64)> {
        let index = usize::from(id.index);
        let task = self.tasks.get(index).ok_or((SyscallError::NoSuchTask, 0))?;
        if task.id != id || !task.state.is_alive() {
            return Err((SyscallError::DeadTask, task.id.to_raw()));
        }
        Ok(index)
    }

    /// The memory of the live task in `index`.
    pub fn space_of(&self, index: usize) -> &AddressSpace {
        self.tasks[index].space.as_ref().expect("a live task has memory")
    }

    /// Tells the observer, if there is one.
    pub fn observe(&mut self, event: Event) {
        if let Some(observer) = self.observer {
            observer(self, event);
        }
    }
}

/// The deadline for a timeout in ticks (`FOREVER` never comes).
pub fn deadline(timeout: u64) -> u64 {
    if timeout == FOREVER { FOREVER } else { time::ticks().saturating_add(timeout) }
}
