//! The scheduler: which task runs next. It chooses and asks for switches; `switch.rs` makes
//! them, on the way back to ring 3.
//!
//! Fixed priorities, round robin among equals (`kernel_core::sched::Turns`, host-tested). A
//! switch happens only on the way back to ring 3: everything else just sets
//! `switch_pending`. The kernel keeps nothing on its trap stack between entries (the seL4 and
//! Hubris model), so the running task's registers are either live (in the CPU, or in the
//! frame of the trap being handled) or in its `Task::saved`.

use crate::task::{Task, TaskState};
use kernel_core::sched::Turns;

/// Timer ticks a task may run before others of its priority get a turn.
pub const QUANTUM_TICKS: u32 = 5;

pub struct Scheduler {
    /// The task whose registers are on the trap stack, or that ran last.
    pub current: usize,
    /// True while `current` is running: its registers are in the CPU, or in the frame of the
    /// trap being handled (not yet saved in its task record).
    pub frame_live: bool,
    /// Set when the running task should give up the CPU at the next return to ring 3.
    pub switch_pending: bool,
    /// Whose turn it is at each priority (round robin).
    turns: Turns,
    /// A task known to be the one to run next, so the next switch can skip the search: set by
    /// `send`/`call` when it hands its message to a strictly more urgent receiver (the sender
    /// was the most urgent ready task, so the receiver now is). Taken by the next switch.
    next_hint: Option<usize>,
}

impl Scheduler {
    pub const fn new() -> Self {
        Scheduler {
            current: 0,
            frame_live: false,
            switch_pending: false,
            turns: Turns::new(),
            next_hint: None,
        }
    }

    /// The running task has blocked or ended: someone else runs at the next return.
    pub fn switch_away(&mut self) {
        self.switch_pending = true;
    }

    /// The task in `index` is the most urgent ready task now (see `next_hint`).
    pub fn hint_next(&mut self, index: usize) {
        self.next_hint = Some(index);
    }

    /// Makes a blocked task ready, and asks for a switch if it outranks the running one.
    pub fn make_ready(&mut self, tasks: &mut [Task], index: usize) {
        let task = &mut tasks[index];
        task.state = TaskState::Ready;
        let priority = task.spec.priority;
        self.preempt_for(tasks, priority);
    }

    /// A task of `priority` has become ready: switch if it outranks the running one.
    pub fn preempt_for(&mut self, tasks: &[Task], priority: u8) {
        if self.frame_live && priority < tasks[self.current].spec.priority {
            self.switch_pending = true;
        }
    }

    /// `index` has had its turn at its priority: the next one of equal priority goes first,
    /// and its own next turn is a whole time slice.
    pub fn pass_turn(&mut self, tasks: &mut [Task], index: usize) {
        let task = &mut tasks[index];
        task.quantum_left = QUANTUM_TICKS;
        self.turns.passed(task.spec.priority, index);
        self.switch_pending = true;
    }

    /// A timer tick arrived while the running task was in ring 3: charge it to its turn.
    pub fn charge_tick(&mut self, tasks: &mut [Task]) {
        let task = &mut tasks[self.current];
        task.stats.ticks += 1;
        task.quantum_left = task.quantum_left.saturating_sub(1);
        if task.quantum_left == 0 {
            self.pass_turn(tasks, self.current);
        }
    }

    /// Picks the next ready task and makes it current (its registers are in its `saved`).
    /// Inlined into the one switch path that calls it.
    #[inline(always)]
    pub fn choose(&mut self, tasks: &[Task]) -> Option<usize> {
        self.switch_pending = false;
        // `matches!` tests the tag byte; `==` on the whole enum was an out-of-line call here.
        let hinted = self.next_hint.take().filter(|&i| matches!(tasks[i].state, TaskState::Ready));
        let next = match hinted {
            Some(next) => next,
            None => self.turns.select_next(tasks.len(), |i| {
                (tasks[i].state == TaskState::Ready).then_some(tasks[i].spec.priority)
            })?,
        };
        self.current = next;
        self.frame_live = true;
        Some(next)
    }
}
