//! Choosing the next task: fixed priorities, round robin among equals.
//!
//! A linear scan over the task table, as in Hubris: with tens of tasks it is short, has no
//! queues to keep consistent, and is easy to check. Lower numbers are more urgent.
//!
//! Round robin needs a memory of whose turn it is at each priority: `cursor[p]` is the slot
//! where the search among priority-`p` tasks starts. It moves past a task only when that task
//! uses up its time slice or yields (`Turns::passed`), not when a more urgent task merely
//! interrupts it, so a task that is preempted resumes its turn instead of losing it, and a
//! frequently waking urgent task cannot make one of two equal tasks starve the other.

/// Priorities run from 0 (most urgent) to `PRIORITIES - 1`.
pub const PRIORITIES: usize = 8;

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

    /// The slot to run next. `priority_of(i)` gives task `i`'s priority if it is ready to run,
    /// `None` otherwise. The most urgent priority with a ready task wins; within it, the first
    /// ready task at or after that priority's cursor (wrapping around).
    pub fn select_next(
        &self,
        count: usize,
        priority_of: impl Fn(usize) -> Option<u8>,
    ) -> Option<usize> {
        let best = (0..count).filter_map(&priority_of).min()?;
        let start = self.cursor[usize::from(best) % PRIORITIES];
        (0..count).map(|step| (start + step) % count).find(|&i| priority_of(i) == Some(best))
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
        turns.select_next(ready.len(), |i| ready[i])
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
