//! The scheduler: the task table, which task runs, and every switch between tasks.
//!
//! The kernel has one trap stack and keeps nothing on it between entries (the seL4 and Hubris
//! model): when a task leaves the CPU its registers are copied from the trap frame into its
//! `Task::saved`, and the next task's are copied over the frame before the common exit path
//! restores them. So a switch happens only on the way back to ring 3, in
//! `before_return_to_user`; everything else just sets `switch_pending`.
//!
//! All state is in one `Scheduler` behind a lock that is only taken with interrupts disabled
//! (the kernel runs with IF clear; the idle loop drops the lock before it waits). Message
//! passing is in `sched/ipc.rs`, device access and task management in `sched/manage.rs`.

/// Calls to services built into the kernel (the monolithic flavour).
mod builtin;
mod ipc;
mod manage;
mod spawn;

pub use ipc::Outcome;

use crate::arch::cpu::{self, without_interrupts};
use crate::arch::{self, TrapFrame, USER_CODE_SELECTOR, USER_DATA_SELECTOR, paging};
use crate::loader::{self, LoadError};
use crate::mm::layout::USER_END;
use crate::task::{FaultRecord, Task, TaskName, TaskState};
use crate::time;
use alloc::vec::Vec;
use kernel_core::manifest::TaskSpec;
use kernel_core::sched::Turns;
use libipc::abi::{FOREVER, TASK_ENDED_BIT};
use libipc::{FaultKind, SyscallError, TaskId};
use spin::Mutex;

/// Slots in the task table; a task id's index is below this.
pub const MAX_TASKS: usize = 64;
/// Timer ticks a task may run before others of its priority get a turn.
const QUANTUM_TICKS: u32 = 5;
/// Interrupt lines of the two PICs.
const IRQ_LINES: usize = 16;

/// What the scheduler tells its observer (the test harness, or the exit-after-boot check).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// The task in this slot exited, faulted or was killed.
    TaskEnded(usize),
    /// A timer tick went by.
    Tick,
}

pub type Observer = fn(&mut Scheduler, Event);

/// Per interrupt line: how often it was forwarded to its owner, and acknowledged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IrqStats {
    pub delivered: u64,
    pub acknowledged: u64,
}

pub struct Scheduler {
    /// Index = `TaskId::index`. A slot keeps its ended task (and its generation) until reused.
    tasks: Vec<Task>,
    /// The task whose registers are on the trap stack, or that ran last.
    current: usize,
    /// True while `current` is running: its registers are in the CPU, or in the frame of the
    /// trap being handled (not yet saved in its task record).
    frame_live: bool,
    /// Set when the running task should give up the CPU at the next return to ring 3.
    switch_pending: bool,
    /// Whose turn it is at each priority (round robin).
    turns: Turns,
    /// A task known to be the one to run next, so the next switch can skip the search: set by
    /// `send`/`call` when it hands its message to a strictly more urgent receiver (the sender
    /// was the most urgent ready task, so the receiver now is). Taken by the next switch.
    next_hint: Option<usize>,
    /// The slot owning each interrupt line, from the manifest.
    irq_owner: [Option<usize>; IRQ_LINES],
    irq_stats: [IrqStats; IRQ_LINES],
    observer: Option<Observer>,
}

static SCHEDULER: Mutex<Scheduler> = Mutex::new(Scheduler {
    tasks: Vec::new(),
    current: 0,
    frame_live: false,
    switch_pending: false,
    turns: Turns::new(),
    next_hint: None,
    irq_owner: [None; IRQ_LINES],
    irq_stats: [IrqStats { delivered: 0, acknowledged: 0 }; IRQ_LINES],
    observer: None,
});

/// Runs `f` on the scheduler with interrupts disabled.
pub fn with<R>(f: impl FnOnce(&mut Scheduler) -> R) -> R {
    without_interrupts(|| f(&mut SCHEDULER.lock()))
}

/// Starts running tasks; never returns. Waits (halted) while no task is ready.
pub fn start() -> ! {
    // The kernel runs with interrupts off; they come back on in ring 3 (RFLAGS.IF of the
    // frame) and in the idle wait. Boot left them on, so turn them off before the first exit.
    cpu::disable_interrupts();
    loop {
        if let Some(frame) =
            with(|s| s.switch_to_next().map(|next| &s.tasks[next].saved as *const TrapFrame))
        {
            // SAFETY: the frame is the chosen task's saved registers (sanitised by
            // `switch_to_next`), and with interrupts off nothing touches them before the exit.
            unsafe { arch::enter_user(frame) };
        }
        cpu::wait_for_interrupt();
    }
}

/// Called on every return to ring 3: switches tasks if one is pending, and never returns to
/// a user frame whose RIP is not a user address. Idles here while nothing is ready. Returns
/// the frame to restore: `frame`, or the next task's saved registers.
pub fn before_return_to_user(frame: &mut TrapFrame) -> *const TrapFrame {
    handle_and_return(frame, |_, _| {})
}

/// Runs `handle` on the scheduler and prepares the return to ring 3 under the same lock: the
/// system call path takes the lock once. Called from a trap, so interrupts are already off.
pub fn handle_and_return(
    frame: &mut TrapFrame,
    handle: impl FnOnce(&mut Scheduler, &mut TrapFrame),
) -> *const TrapFrame {
    debug_assert!(!cpu::interrupts_enabled(), "traps run with interrupts off");
    let resume = {
        let mut s = SCHEDULER.lock();
        handle(&mut s, frame);
        s.prepare_return(frame)
    };
    if let Some(resume) = resume {
        return resume;
    }
    // Nothing can run: wait for an interrupt to make something ready.
    loop {
        cpu::wait_for_interrupt();
        if let Some(resume) = with(|s| s.prepare_return(frame)) {
            return resume;
        }
    }
}

/// Called by the timer interrupt, from ring 3 or from the idle loop.
pub fn timer_tick(from_user: bool) {
    with(|s| s.tick(from_user));
}

/// The running task caused a CPU exception: stop it and keep the record.
pub fn fault_current(record: FaultRecord) {
    with(|s| {
        let current = s.current;
        s.end_task(current, TaskState::Faulted(record));
    });
}

/// An interrupt arrived on `line` (not the timer's): forward it to its owner as a
/// notification, leaving the line masked until the owner calls `irq_ack`. True if it has one.
pub fn interrupt(line: u8) -> bool {
    with(|s| s.forward_interrupt(line) || s.builtin_interrupt(line))
}

impl Scheduler {
    pub fn set_observer(&mut self, observer: Option<Observer>) {
        self.observer = observer;
    }

    pub fn tasks(&self) -> &[Task] {
        &self.tasks
    }

    pub fn current_task(&mut self) -> &mut Task {
        &mut self.tasks[self.current]
    }

    #[cfg_attr(not(feature = "guest-tests"), allow(dead_code))] // used by the in-guest tests
    pub fn irq_stats(&self, line: u8) -> IrqStats {
        self.irq_stats[usize::from(line) % IRQ_LINES]
    }

    /// Creates a task from `spec` and its ELF `image`, ready to run, in a free slot (or in
    /// `slot`, which must hold an ended task: a restart).
    pub fn spawn(&mut self, spec: &TaskSpec<'static>, image: &[u8]) -> Result<TaskId, LoadError> {
        let slot = self.tasks.iter().position(|t| !t.state.is_alive());
        self.spawn_into(slot, spec, image, TaskName::new(spec.name), spec.arg)
    }

    /// Creates a task in `slot` (or a new one), named `name`, started with `argument`.
    pub(super) fn spawn_into(
        &mut self,
        slot: Option<usize>,
        spec: &TaskSpec<'static>,
        image: &[u8],
        name: TaskName,
        argument: &str,
    ) -> Result<TaskId, LoadError> {
        if slot.is_none() && self.tasks.len() == MAX_TASKS {
            return Err(LoadError::TableFull);
        }
        let loaded = loader::load(image, argument)?;
        // A reused slot keeps its generation, which went up when its last task ended.
        let id = slot.map_or(TaskId::new(self.tasks.len() as u16, 0), |s| self.tasks[s].id);
        let task = Task {
            quantum_left: QUANTUM_TICKS,
            restarts: slot.map_or(0, |s| self.tasks[s].restarts),
            data: loaded.data,
            saved: loaded.frame,
            space: Some(loaded.space),
            ..Task::new(id, spec, name, TaskState::Ready)
        };
        let index = match slot {
            Some(index) => {
                self.tasks[index] = task;
                index
            }
            None => {
                self.tasks.push(task);
                self.tasks.len() - 1
            }
        };
        for line in (0..IRQ_LINES as u8).filter(|line| spec.irqs & 1 << line != 0) {
            self.irq_owner[usize::from(line)] = Some(index);
            arch::unmask_irq(line);
        }
        if self.frame_live && spec.priority < self.tasks[self.current].spec.priority {
            self.switch_pending = true;
        }
        Ok(self.tasks[index].id)
    }

    /// The running task gives up the rest of its turn.
    pub fn yield_current(&mut self) {
        self.pass_turn(self.current);
    }

    /// `index` has had its turn at its priority: the next one of equal priority goes first,
    /// and its own next turn is a whole time slice.
    fn pass_turn(&mut self, index: usize) {
        let task = &mut self.tasks[index];
        task.quantum_left = QUANTUM_TICKS;
        self.turns.passed(task.spec.priority, index);
        self.switch_pending = true;
    }

    /// The running task sleeps for `ticks` timer ticks (0 is a yield).
    pub fn sleep_current(&mut self, ticks: u64) {
        if ticks > 0 {
            let until = time::ticks().saturating_add(ticks);
            self.tasks[self.current].state = TaskState::Sleeping { until };
        }
        self.switch_pending = true;
    }

    pub fn exit_current(&mut self, code: u64) {
        let current = self.current;
        self.end_task(current, TaskState::Exited { code });
    }

    /// Ends the task in slot `index` if it is alive: used by tests, and by `restart`.
    pub fn kill(&mut self, index: usize) {
        if self.tasks.get(index).is_some_and(|t| t.state.is_alive()) {
            self.end_task(index, TaskState::Killed);
        }
    }

    /// Records how the task ended, frees its memory and interrupt lines, bumps its generation,
    /// wakes every task waiting on it with `DeadTask`, and tells the observer.
    fn end_task(&mut self, index: usize, state: TaskState) {
        let task = &mut self.tasks[index];
        log_end(task, &state);
        if task.state == TaskState::InKernel {
            crate::services::stop(task.name.as_bytes());
        }
        task.state = state;
        task.lease_count = 0;
        let old_id = task.id;
        task.id = old_id.next_generation();
        let new_id = task.id;
        if let Some(space) = task.space.take() {
            if index == self.current {
                // Its page tables are the active ones; never free those while in CR3.
                paging::activate_kernel();
            }
            space.destroy();
        }
        for line in 0..IRQ_LINES {
            if self.irq_owner[line] == Some(index) {
                self.irq_owner[line] = None;
                arch::mask_irq(line as u8);
            }
        }
        if index == self.current {
            self.frame_live = false;
            self.switch_pending = true;
        }
        for other in 0..self.tasks.len() {
            let waits_on_it = match self.tasks[other].state {
                TaskState::Sending { to, .. } => to == old_id,
                TaskState::AwaitingReply { from } => from == old_id,
                TaskState::Receiving { from: Some(from), .. } => from == old_id,
                _ => false,
            };
            if waits_on_it {
                self.wake_with_error(other, SyscallError::DeadTask, new_id.to_raw());
            }
            if self.tasks[other].spec.privileges.faults && self.tasks[other].state.is_alive() {
                self.raise_notification(other, TASK_ENDED_BIT);
            }
        }
        if let Some(observer) = self.observer {
            observer(self, Event::TaskEnded(index));
        }
    }

    fn tick(&mut self, from_user: bool) {
        let now = time::ticks();
        for index in 0..self.tasks.len() {
            match self.tasks[index].state {
                TaskState::Sleeping { until } if until <= now => self.make_ready(index),
                TaskState::Sending { deadline, .. } | TaskState::Receiving { deadline, .. }
                    if deadline <= now =>
                {
                    self.wake_with_error(index, SyscallError::TimedOut, 0)
                }
                _ => {}
            }
        }
        if from_user && self.frame_live {
            let task = &mut self.tasks[self.current];
            task.stats.ticks += 1;
            task.quantum_left = task.quantum_left.saturating_sub(1);
            if task.quantum_left == 0 {
                self.pass_turn(self.current);
            }
        }
        if let Some(observer) = self.observer {
            observer(self, Event::Tick);
        }
    }

    /// Makes a blocked task ready, and asks for a switch if it outranks the running one.
    fn make_ready(&mut self, index: usize) {
        self.tasks[index].state = TaskState::Ready;
        let running = self.frame_live.then(|| self.tasks[self.current].spec.priority);
        if running.is_some_and(|p| self.tasks[index].spec.priority < p) {
            self.switch_pending = true;
        }
    }

    /// Ends a blocked system call of `index` with `error` (and `detail` in `rdx`).
    fn wake_with_error(&mut self, index: usize, error: SyscallError, detail: u64) {
        let saved = &mut self.tasks[index].saved;
        saved.rax = error.code();
        saved.rdx = detail;
        self.tasks[index].lease_count = 0;
        self.make_ready(index);
    }

    /// The slot of the live task `id`, or why there is none: `DeadTask` with its current id
    /// when the slot has moved on (or the task ended), `NoSuchTask` for an unknown slot.
    fn resolve(&self, id: TaskId) -> Result<usize, (SyscallError, u64)> {
        let index = usize::from(id.index);
        let task = self.tasks.get(index).ok_or((SyscallError::NoSuchTask, 0))?;
        if task.id != id || !task.state.is_alive() {
            return Err((SyscallError::DeadTask, task.id.to_raw()));
        }
        Ok(index)
    }

    /// The deadline for a timeout in ticks (`FOREVER` never comes).
    fn deadline(timeout: u64) -> u64 {
        if timeout == FOREVER { FOREVER } else { time::ticks().saturating_add(timeout) }
    }

    /// The registers to resume in ring 3: `frame` if the same task goes on, else the next
    /// task's saved registers (the exit path restores straight from its task record, so a
    /// switch copies one frame, not two). `None` when no task is ready.
    #[inline(always)]
    fn prepare_return(&mut self, frame: &mut TrapFrame) -> Option<*const TrapFrame> {
        // The common case, kept inline: the same task goes on, to a user address.
        if !self.switch_pending && self.frame_live && frame.rip < USER_END {
            return Some(frame);
        }
        self.switch_or_stop(frame)
    }

    /// The rest of `prepare_return`: stop a task about to return to a non-user address (only a
    /// kernel bug could cause that), or switch to the next ready task.
    #[inline(never)]
    fn switch_or_stop(&mut self, frame: &mut TrapFrame) -> Option<*const TrapFrame> {
        if !self.switch_pending && self.frame_live {
            let record = FaultRecord {
                kind: FaultKind::BadReturnAddress,
                error_code: 0,
                rip: frame.rip,
                address: 0,
            };
            let current = self.current;
            self.end_task(current, TaskState::Faulted(record));
        }
        if self.frame_live {
            self.tasks[self.current].saved.clone_from(frame);
            self.frame_live = false;
        }
        let next = self.switch_to_next()?;
        Some(&self.tasks[next].saved)
    }

    /// Picks the next ready task and activates its address space; returns its slot, whose
    /// `saved` registers are ready to resume.
    fn switch_to_next(&mut self) -> Option<usize> {
        loop {
            self.switch_pending = false;
            let tasks = &self.tasks;
            let hinted = self.next_hint.take().filter(|&i| tasks[i].state == TaskState::Ready);
            let next = match hinted {
                Some(next) => next,
                None => self.turns.select_next(tasks.len(), |i| {
                    (tasks[i].state == TaskState::Ready).then_some(tasks[i].spec.priority)
                })?,
            };
            self.current = next;
            self.frame_live = true;
            let task = &mut self.tasks[next];
            // Whatever is in the saved frame, it goes back to ring 3 with user selectors,
            // interrupts on and no I/O privilege, and only to a user address.
            let saved = &mut task.saved;
            saved.cs = u64::from(USER_CODE_SELECTOR);
            saved.ss = u64::from(USER_DATA_SELECTOR);
            saved.rflags = (saved.rflags | RFLAGS_INTERRUPTS) & !RFLAGS_IOPL;
            if saved.rip < USER_END {
                task.space.as_ref().expect("a ready task has memory").activate();
                return Some(next);
            }
            let record = FaultRecord {
                kind: FaultKind::BadReturnAddress,
                error_code: 0,
                rip: saved.rip,
                address: 0,
            };
            self.end_task(next, TaskState::Faulted(record));
        }
    }
}

fn log_end(task: &Task, state: &TaskState) {
    let (name, id) = (task.name, task.id);
    match state {
        TaskState::Faulted(record) => log::warn!(
            "task {name} ({id}) killed: {} at rip {:#x}, error code {:#x}, address {:#x}",
            record.kind.name(),
            record.rip,
            record.error_code,
            record.address
        ),
        TaskState::Killed => log::info!("task {name} ({id}) killed"),
        TaskState::Exited { code } => log::info!("task {name} ({id}) exited with code {code}"),
        _ => {}
    }
}

const RFLAGS_INTERRUPTS: u64 = 1 << 9;
const RFLAGS_IOPL: u64 = 3 << 12;
