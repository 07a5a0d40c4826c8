//! Choosing the next task: fixed priorities, round robin among equals.
//!
//! The ready tasks are kept in a bitmap, as in seL4: a bit per task slot at each priority, and
//! a bit per priority that has any. The most urgent ready task is then two "find first set
//! bit" instructions away, however many tasks there are, instead of a scan of the task table;
//! the price is that every change of a task's state to or from ready must update the map
//! (`kernel/src/sched.rs` funnels them). Lower numbers are more urgent.
//!
//! Round robin needs a memory of whose turn it is at each priority: `cursor[p]` is the slot
//! where the search among priority-`p` tasks starts. It moves past a task only when that task
//! uses up its time slice or yields (`Turns::passed`), not when a more urgent task merely
//! interrupts it, so a task that is preempted resumes its turn instead of losing it, and a
//! frequently waking urgent task cannot make one of two equal tasks starve the other.

/// Priorities run from 0 (most urgent) to `PRIORITIES - 1`.
pub const PRIORITIES: usize = 8;
/// Task slots the bitmap covers: one bit each in a `u64`.
pub const SLOTS: usize = 64;

/// The ready tasks: `at[p]` has bit `i` set when slot `i` is ready at priority `p`, and
/// `levels` bit `p` when `at[p]` is not empty.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReadySet {
    at: [u64; PRIORITIES],
    levels: u32,
}

impl ReadySet {
    pub const fn new() -> Self {
        Self { at: [0; PRIORITIES], levels: 0 }
    }

    pub fn insert(&mut self, priority: u8, slot: usize) {
        let level = usize::from(priority) % PRIORITIES;
        self.at[level] |= 1 << (slot % SLOTS);
        self.levels |= 1 << level;
    }

    pub fn remove(&mut self, priority: u8, slot: usize) {
        let level = usize::from(priority) % PRIORITIES;
        self.at[level] &= !(1 << (slot % SLOTS));
        if self.at[level] == 0 {
            self.levels &= !(1 << level);
        }
    }

    pub fn contains(&self, priority: u8, slot: usize) -> bool {
        self.at[usize::from(priority) % PRIORITIES] & 1 << (slot % SLOTS) != 0
    }

    /// The most urgent priority with a ready task.
    pub fn most_urgent(&self) -> Option<u8> {
        (self.levels != 0).then(|| self.levels.trailing_zeros() as u8)
    }

    /// Whether a task is ready at `priority` or more urgently, besides the slots set in
    /// `except`.
    #[inline(always)]
    pub fn any_at_or_above(&self, priority: u8, except: u64) -> bool {
        let level = usize::from(priority) % PRIORITIES;
        let mut levels = self.levels & ((2 << level) - 1);
        while levels != 0 {
            if self.at[levels.trailing_zeros() as usize] & !except != 0 {
                return true;
            }
            levels &= levels - 1;
        }
        false
    }
}

/// Whose turn it is at each priority.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Turns {
    cursor: [usize; PRIORITIES],
}

impl Turns {
    pub const fn new() -> Self {
        Self { cursor: [0; PRIORITIES] }
    }

    /// The task in `slot` (of `priority`) has had its turn: the next search starts after it.
    pub fn passed(&mut self, priority: u8, slot: usize) {
        self.cursor[usize::from(priority) % PRIORITIES] = slot + 1;
    }

    /// The slot to run next: the most urgent priority with a ready task wins; within it, the
    /// first ready slot at or after that priority's cursor, wrapping around.
    pub fn select_next(&self, ready: &ReadySet) -> Option<usize> {
        let level = usize::from(ready.most_urgent()?);
        let slots = ready.at[level];
        let start = self.cursor[level];
        let from_cursor = if start < SLOTS { slots & (!0u64 << start) } else { 0 };
        let pick = if from_cursor != 0 { from_cursor } else { slots };
        Some(pick.trailing_zeros() as usize)
    }
}

/// The sender a receiver takes next among those waiting, given as `(slot, priority, order)`
/// with `order` counting up as senders started to wait: the most urgent priority first, and
/// among equals the one that has waited longest (first come, first served), so no sender of
/// equal priority can be passed over forever because of where its slot lies.
pub fn first_come_first_served(waiting: impl Iterator<Item = (usize, u8, u64)>) -> Option<usize> {
    waiting.min_by_key(|&(_, priority, order)| (priority, order)).map(|(slot, _, _)| slot)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn senders_of_equal_priority_are_taken_in_arrival_order() {
        // Slot 5 started waiting before slot 2: the lower slot must not jump the queue.
        let waiting = [(2, 3, 11), (5, 3, 10), (7, 4, 1)];
        assert_eq!(first_come_first_served(waiting.into_iter()), Some(5));
        // A more urgent sender goes first however recently it came.
        let waiting = [(2, 3, 11), (5, 3, 10), (7, 1, 99)];
        assert_eq!(first_come_first_served(waiting.into_iter()), Some(7));
        assert_eq!(first_come_first_served([].into_iter()), None);
    }

    fn pick(turns: &Turns, ready: &[Option<u8>]) -> Option<usize> {
        let mut set = ReadySet::new();
        for (slot, priority) in ready.iter().enumerate() {
            if let Some(priority) = priority {
                set.insert(*priority, slot);
            }
        }
        turns.select_next(&set)
    }

    #[test]
    fn the_ready_set_follows_inserts_and_removes() {
        let mut set = ReadySet::new();
        assert_eq!(set.most_urgent(), None);
        set.insert(5, 63);
        set.insert(2, 0);
        set.insert(2, 7);
        assert_eq!(set.most_urgent(), Some(2));
        assert!(set.contains(5, 63) && set.contains(2, 7) && !set.contains(5, 7));
        set.remove(2, 0);
        assert_eq!(set.most_urgent(), Some(2), "slot 7 is still ready at 2");
        set.remove(2, 7);
        assert_eq!(set.most_urgent(), Some(5));
        set.remove(5, 63);
        assert_eq!(set, ReadySet::new());
    }

    #[test]
    fn others_at_or_above_a_priority_are_seen() {
        let mut set = ReadySet::new();
        set.insert(3, 1);
        let except_1 = 1 << 1;
        assert!(!set.any_at_or_above(3, except_1), "only the task itself");
        set.insert(4, 2);
        assert!(!set.any_at_or_above(3, except_1), "a less urgent one does not count");
        set.insert(3, 9);
        assert!(set.any_at_or_above(3, except_1), "an equal one does");
        assert!(!set.any_at_or_above(3, except_1 | 1 << 9), "unless it is excepted too");
        set.remove(3, 9);
        set.insert(0, 5);
        assert!(set.any_at_or_above(3, except_1), "a more urgent one does");
    }

    #[test]
    fn the_cursor_wraps_past_the_last_slot() {
        let mut turns = Turns::new();
        turns.passed(1, 63);
        assert_eq!(pick(&turns, &[Some(1), None, Some(1)]), Some(0));
    }

    #[test]
    fn most_urgent_wins() {
        let turns = Turns::new();
        assert_eq!(pick(&turns, &[Some(3), Some(1), Some(2)]), Some(1));
        assert_eq!(pick(&turns, &[Some(3), None, Some(2)]), Some(2));
    }

    #[test]
    fn equals_take_turns_when_each_passes() {
        let mut turns = Turns::new();
        let ready = [Some(2), None, Some(2), Some(2)];
        let mut order = [0; 6];
        for slot in order.iter_mut() {
            *slot = pick(&turns, &ready).unwrap();
            turns.passed(2, *slot);
        }
        assert_eq!(order, [0, 2, 3, 0, 2, 3]);
    }

    #[test]
    fn a_preempted_task_resumes_its_turn() {
        let mut turns = Turns::new();
        // Slots 0 and 1 at priority 4, slot 2 at priority 1 wakes up now and then.
        assert_eq!(pick(&turns, &[Some(4), Some(4), None]), Some(0));
        assert_eq!(pick(&turns, &[Some(4), Some(4), Some(1)]), Some(2)); // preempts slot 0
        assert_eq!(pick(&turns, &[Some(4), Some(4), None]), Some(0)); // slot 0 carries on
        turns.passed(4, 0); // its slice is used up
        assert_eq!(pick(&turns, &[Some(4), Some(4), Some(1)]), Some(2));
        assert_eq!(pick(&turns, &[Some(4), Some(4), None]), Some(1)); // now it is slot 1's turn
    }

    /// The starvation the cursor prevents: an urgent task waking every tick must not let the
    /// first of two equal tasks run forever.
    #[test]
    fn frequent_urgent_wakeups_do_not_starve_equals() {
        let mut turns = Turns::new();
        let slice = 5;
        let mut ran = [0u32; 2];
        let mut used = [0u32; 2];
        for _ in 0..1000 {
            // Each tick: the urgent task (slot 2) runs briefly, then a priority-4 task runs.
            assert_eq!(pick(&turns, &[Some(4), Some(4), Some(1)]), Some(2));
            let slot = pick(&turns, &[Some(4), Some(4), None]).unwrap();
            ran[slot] += 1;
            used[slot] += 1;
            if used[slot] == slice {
                used[slot] = 0;
                turns.passed(4, slot);
            }
        }
        assert_eq!(ran, [500, 500]);
    }

    #[test]
    fn nothing_ready_is_none() {
        let turns = Turns::new();
        assert_eq!(pick(&turns, &[None, None]), None);
        assert_eq!(pick(&turns, &[]), None);
    }
}
