//! The scheduler: which task runs next. It chooses and asks for switches; `switch.rs` makes
//! them, on the way back to ring 3.
//!
//! Fixed priorities, round robin among equals (`kernel_core::sched`, host-tested), with the
//! ready tasks in a bitmap (`ReadySet`): every change of a task's state to or from `Ready`
//! goes through `make_ready` or `park` here, which keep the map in step. A switch
//! happens only on the way back to ring 3: everything else just sets `switch_pending`. The kernel keeps nothing on its trap stack between entries (the seL4 and
//! Hubris model), so the running task's registers are either live (in the CPU, or in the
//! frame of the trap being handled) or in its `Task::saved`.

use crate::task::{Task, TaskState};
use kernel_core::sched::{ReadySet, SLOTS, Turns};

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
    /// The tasks in state `Ready`, by priority.
    ready: ReadySet,
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
            ready: ReadySet::new(),
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
    #[inline(always)]
    pub fn make_ready(&mut self, tasks: &mut [Task], index: usize) {
        let task = &mut tasks[index];
        task.state = TaskState::Ready;
        let priority = task.spec.priority;
        self.ready.insert(priority, index);
        self.preempt_for(tasks, priority);
    }

    /// Puts a task in a state other than `Ready`: a wait, or its end.
    #[inline(always)]
    pub fn park(&mut self, tasks: &mut [Task], index: usize, state: TaskState) {
        debug_assert!(state != TaskState::Ready, "make_ready makes tasks ready");
        let task = &mut tasks[index];
        if matches!(task.state, TaskState::Ready) {
            self.ready.remove(task.spec.priority, index);
        }
        task.state = state;
    }

    /// Whether a task other than `a` and `b` is ready at `priority` or more urgently.
    pub fn rival_ready(&self, priority: u8, a: usize, b: usize) -> bool {
        self.ready.any_at_or_above(priority, 1 << (a % SLOTS) | 1 << (b % SLOTS))
    }

    /// Nothing is pending: the current task runs with its registers in the trap frame, and no
    /// switch has been asked for (the state in which the fast path may choose by itself).
    pub fn is_steady(&self) -> bool {
        self.frame_live && !self.switch_pending && self.next_hint.is_none()
    }

    /// The fast path's switch: `next` runs now, chosen by the caller (see `fastpath.rs`).
    #[inline(always)]
    pub fn run_next(&mut self, tasks: &[Task], next: usize) {
        debug_assert!(self.ready_set_matches(tasks), "the ready set is out of step");
        debug_assert_eq!(self.turns.select_next(&self.ready), Some(next), "not the next task");
        self.current = next;
        self.frame_live = true;
        self.switch_pending = false;
    }

    /// A task of `priority` has become ready: switch if it outranks the running one.
    #[inline(always)]
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
        debug_assert!(self.ready_set_matches(tasks), "the ready set is out of step");
        let next = match hinted {
            Some(next) => next,
            None => self.turns.select_next(&self.ready)?,
        };
        self.current = next;
        self.frame_live = true;
        Some(next)
    }

    /// The ready set holds exactly the tasks in state `Ready` (checked in debug builds, so the
    /// in-guest tests check it at every switch).
    fn ready_set_matches(&self, tasks: &[Task]) -> bool {
        let mut expected = ReadySet::new();
        for (index, task) in tasks.iter().enumerate() {
            if matches!(task.state, TaskState::Ready) {
                expected.insert(task.spec.priority, index);
            }
        }
        expected == self.ready
    }
}
