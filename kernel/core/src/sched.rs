//! Choosing the next task: fixed priorities, round robin among equals.
//!
//! A linear scan over the task table, as in Hubris: with tens of tasks it is short, has no
//! queues to keep consistent, and is easy to check. Lower numbers are more urgent.

/// The index of the task to run next. `priority_of(i)` gives task `i`'s priority if it is
/// ready to run, `None` otherwise. The scan starts just after `previous`, so among ready tasks
/// of the best priority the one after `previous` wins and equals take turns.
pub fn select_next(
    count: usize,
    previous: usize,
    priority_of: impl Fn(usize) -> Option<u8>,
) -> Option<usize> {
    let mut best: Option<(u8, usize)> = None;
    for step in 1..=count {
        let index = (previous + step) % count;
        if let Some(priority) = priority_of(index) {
            if best.is_none_or(|(best_priority, _)| priority < best_priority) {
                best = Some((priority, index));
            }
        }
    }
    best.map(|(_, index)| index)
}

#[cfg(test)]
mod tests {
    use super::select_next;

    fn pick(ready: &[Option<u8>], previous: usize) -> Option<usize> {
        select_next(ready.len(), previous, |i| ready[i])
    }

    #[test]
    fn most_urgent_wins() {
        assert_eq!(pick(&[Some(3), Some(1), Some(2)], 0), Some(1));
        assert_eq!(pick(&[Some(3), None, Some(2)], 1), Some(2));
    }

    #[test]
    fn equals_take_turns() {
        let ready = [Some(2), None, Some(2), Some(2)];
        assert_eq!(pick(&ready, 0), Some(2));
        assert_eq!(pick(&ready, 2), Some(3));
        assert_eq!(pick(&ready, 3), Some(0));
    }

    #[test]
    fn the_only_ready_task_runs_again() {
        assert_eq!(pick(&[None, Some(5), None], 1), Some(1));
    }

    #[test]
    fn nothing_ready_is_none() {
        assert_eq!(pick(&[None, None], 0), None);
        assert_eq!(pick(&[], 0), None);
    }
}
