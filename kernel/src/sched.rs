//! The scheduler: which task runs next. It chooses and asks for switches; `switch.rs` makes
//! them, on the way back to ring 3.
//!
//! Fixed priorities, round robin among equals (`kernel_core::sched`, host-tested), with the
//! ready tasks in a bitmap (`ReadySet`): every change of a task's state to or from `Ready`
//! goes through `make_ready` or `park` here, which keep the map in step. The task on the CPU
//! is not in the map (Benno scheduling, as in seL4): it goes in when it leaves the CPU still
//! ready, and the task chosen to run comes out, so a call that blocks its caller and wakes
//! its receiver (`trade_places`, the IPC fast path) changes two states and no bitmap. A switch
//! happens only on the way back to ring 3: everything else just sets `switch_pending`. The
//! kernel keeps nothing on its stack between entries (the seL4 and Hubris model): every
//! entry from ring 3 saves the task's registers in its `Task::saved`.

use crate::task::{Task, TaskState};
use kernel_core::sched::{ReadySet, Turns};

/// Timer ticks a task may run before others of its priority get a turn.
pub const QUANTUM_TICKS: u32 = 5;

pub struct Scheduler {
    /// The task that entered the kernel, or that ran last.
    pub current: usize,
    /// True while `current` holds the CPU: it entered the kernel from ring 3 and has not been
    /// switched away from nor ended.
    pub on_cpu: bool,
    /// Set when the running task should give up the CPU at the next return to ring 3.
    pub switch_pending: bool,
    /// Whose turn it is at each priority (round robin).
    turns: Turns,
    /// The tasks in state `Ready`, by priority, but `current` while it is `on_cpu`.
    ready: ReadySet,
    /// How many tasks are in `Sending` (blocked until their receiver takes the message), so
    /// the IPC fast path knows in one compare, not a scan of the table, that no sender waits.
    senders: u32,
    /// A task known to be the one to run next, so the next switch can skip the search: set by
    /// `send`/`call` when it hands its message to a strictly more urgent receiver (the sender
    /// was the most urgent ready task, so the receiver now is). Taken by the next switch.
    next_hint: Option<usize>,
}

impl Scheduler {
    pub const fn new() -> Self {
        Scheduler {
            current: 0,
            on_cpu: false,
            switch_pending: false,
            turns: Turns::new(),
            ready: ReadySet::new(),
            senders: 0,
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
        // A hint is taken only by a switch: ask for one here, so that no return to ring 3
        // can leave a hint behind (a system call starts steady, `is_steady`).
        self.switch_pending = true;
    }

    /// Whether `index` is the task on the CPU, which the ready set leaves out.
    #[inline(always)]
    fn runs(&self, index: usize) -> bool {
        self.on_cpu && index == self.current
    }

    /// Makes a blocked task ready, and asks for a switch if it outranks the running one.
    #[inline(always)]
    pub fn make_ready(&mut self, tasks: &mut [Task], index: usize) {
        let task = &mut tasks[index];
        if matches!(task.state, TaskState::Sending { .. }) {
            self.senders -= 1;
        }
        task.state = TaskState::Ready;
        let priority = task.spec.priority;
        if !self.runs(index) {
            self.ready.insert(priority, index);
        }
        self.preempt_for(tasks, priority);
    }

    /// Puts a task in a state other than `Ready`: a wait, or its end.
    #[inline(always)]
    pub fn park(&mut self, tasks: &mut [Task], index: usize, state: TaskState) {
        debug_assert!(state != TaskState::Ready, "make_ready makes tasks ready");
        let runs = self.runs(index);
        let task = &mut tasks[index];
        if matches!(task.state, TaskState::Ready) && !runs {
            self.ready.remove(task.spec.priority, index);
        }
        let sending = |state: &TaskState| matches!(state, TaskState::Sending { .. });
        self.senders = self.senders + u32::from(sending(&state)) - u32::from(sending(&task.state));
        task.state = state;
    }

    /// The fast path's change of states and switch (`syscalls::fastpath`): the running task
    /// `me` blocks in `waiting`, and `them`, in slot `to`, blocked but not sending, becomes
    /// ready and runs. What `park`, `make_ready` and a switch to `to` would do there, without
    /// their general cases: neither state is `Sending`, and neither task is in the ready set
    /// before or after (one leaves the CPU blocked, the other takes it).
    #[inline(always)]
    pub fn trade_places(&mut self, me: &mut Task, waiting: TaskState, them: &mut Task, to: usize) {
        let sending_or_ready =
            |s: &TaskState| matches!(s, TaskState::Ready | TaskState::Sending { .. });
        debug_assert!(self.on_cpu && matches!(me.state, TaskState::Ready));
        debug_assert!(!sending_or_ready(&waiting) && !sending_or_ready(&them.state));
        me.state = waiting;
        them.state = TaskState::Ready;
        self.current = to;
    }

    /// Whether any task is blocked in `send` or `call` waiting for its receiver.
    #[inline(always)]
    pub fn any_sender_waits(&self) -> bool {
        self.senders != 0
    }

    /// Whether a task other than the running one is ready at `priority` or more urgently.
    #[inline(always)]
    pub fn rival_ready(&self, priority: u8) -> bool {
        self.ready.any_at_or_above(priority, 0)
    }

    /// Nothing is pending: the current task holds the CPU, and no switch has been asked for.
    /// Every return to ring 3 leaves the scheduler so (it makes the switch it had pending), so
    /// every system call starts so, and the fast path chooses by itself (checked in debug
    /// builds).
    #[inline(always)]
    pub fn is_steady(&self) -> bool {
        self.on_cpu && !self.switch_pending && self.next_hint.is_none()
    }

    /// Checks, in debug builds, the fast path's switch to the running task (after
    /// `trade_places`): the ready set is in step, and `choose` would have picked the same task.
    #[inline(always)]
    pub fn check_fast_switch(&self, tasks: &[Task]) {
        debug_assert!(self.ready_set_matches(tasks), "the ready set is out of step");
        debug_assert!(
            {
                let mut with_it = self.ready;
                with_it.insert(tasks[self.current].spec.priority, self.current);
                self.turns.select_next(&with_it) == Some(self.current)
            },
            "not the next task"
        );
    }

    /// The running task leaves the CPU: back into the ready set if it is still ready.
    pub fn leave_cpu(&mut self, tasks: &[Task]) {
        if self.on_cpu {
            let task = &tasks[self.current];
            if matches!(task.state, TaskState::Ready) {
                self.ready.insert(task.spec.priority, self.current);
            }
            self.on_cpu = false;
        }
    }

    /// A task of `priority` has become ready: switch if it outranks the running one.
    #[inline(always)]
    pub fn preempt_for(&mut self, tasks: &[Task], priority: u8) {
        if self.on_cpu && priority < tasks[self.current].spec.priority {
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
        self.ready.remove(tasks[next].spec.priority, next);
        self.current = next;
        self.on_cpu = true;
        Some(next)
    }

    /// The ready set holds exactly the tasks in state `Ready` but the one on the CPU, and
    /// `senders` counts those in `Sending` (checked in debug builds, so the in-guest tests
    /// check it at every switch).
    fn ready_set_matches(&self, tasks: &[Task]) -> bool {
        let mut expected = ReadySet::new();
        let mut senders = 0;
        for (index, task) in tasks.iter().enumerate() {
            match task.state {
                TaskState::Ready if !self.runs(index) => expected.insert(task.spec.priority, index),
                TaskState::Sending { .. } => senders += 1,
                _ => {}
            }
        }
        expected == self.ready && senders == self.senders
    }
}
