//! Whom to kill among the servers found silent at one look (`liveness`). A silent server
//! blocked in a call may only be waiting on another: the console on a serial driver that
//! stalled, the file server on a disk driver. So:
//!
//! 1. those blocked on nothing go first; a caller woken with `DeadTask` answers the next ping;
//! 2. when every silent server is in a call, one whose callee waits for work is the callee's
//!    victim: the callee took the call and went back to waiting without answering, or waits
//!    for someone else and never takes it (a server left running with damaged state, as a code
//!    mutation leaves it), so the callee goes;
//! 3. when none of them has such a callee (a cycle of calls, or a wait on a task nobody
//!    watches), they all go.
//!
//! Ids are `TaskId::to_raw` values.

/// A server found silent: its id, and the task it is blocked on in a call (sending to it, or
/// waiting for its reply), if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Silent {
    pub id: u64,
    pub blocked_on: Option<u64>,
}

/// Why a server is killed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Blame {
    /// It stopped answering itself.
    Silent,
    /// It waits for work while the silent server with this id waits on it in a call.
    Holds(u64),
}

/// Calls `kill` once for each server to kill at this look; `waits_for_work(id)` says whether a
/// watched server was seen waiting for a message at this look.
pub fn judge(
    silent: &[Silent],
    waits_for_work: impl Fn(u64) -> bool,
    mut kill: impl FnMut(u64, Blame),
) {
    if silent.iter().any(|s| s.blocked_on.is_none()) {
        silent.iter().filter(|s| s.blocked_on.is_none()).for_each(|s| kill(s.id, Blame::Silent));
        return;
    }
    let mut killed_a_callee = false;
    for (i, caller) in silent.iter().enumerate() {
        let Some(callee) = caller.blocked_on.filter(|&callee| waits_for_work(callee)) else {
            continue;
        };
        // Two callers of one server: it goes once.
        if !silent[..i].iter().any(|earlier| earlier.blocked_on == Some(callee)) {
            kill(callee, Blame::Holds(caller.id));
            killed_a_callee = true;
        }
    }
    if !killed_a_callee {
        silent.iter().for_each(|s| kill(s.id, Blame::Silent));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::vec::Vec;

    const CONSOLE: u64 = 2;
    const SERIAL: u64 = 1;
    const FS: u64 = 6;
    const BLOCK: u64 = 5;

    fn judged(silent: &[Silent], waiting: &[u64]) -> Vec<(u64, Blame)> {
        let mut killed = Vec::new();
        judge(silent, |id| waiting.contains(&id), |id, blame| killed.push((id, blame)));
        killed
    }

    fn calling(id: u64, callee: u64) -> Silent {
        Silent { id, blocked_on: Some(callee) }
    }

    fn stuck(id: u64) -> Silent {
        Silent { id, blocked_on: None }
    }

    #[test]
    fn a_silent_server_blocked_on_nothing_goes_first_and_alone() {
        let silent = [calling(CONSOLE, SERIAL), stuck(SERIAL)];
        assert_eq!(judged(&silent, &[]), [(SERIAL, Blame::Silent)]);
    }

    #[test]
    fn a_server_that_waits_for_work_while_its_caller_waits_on_it_goes_instead_of_the_caller() {
        // The serial driver took the console's write and went back to waiting: the console is
        // silent, the driver looks idle, and the driver is the one that broke.
        let silent = [calling(CONSOLE, SERIAL)];
        assert_eq!(judged(&silent, &[SERIAL, FS]), [(SERIAL, Blame::Holds(CONSOLE))]);
    }

    #[test]
    fn two_callers_of_one_server_kill_it_once() {
        let silent = [calling(CONSOLE, BLOCK), calling(FS, BLOCK)];
        assert_eq!(judged(&silent, &[BLOCK]), [(BLOCK, Blame::Holds(CONSOLE))]);
    }

    #[test]
    fn a_cycle_of_calls_or_a_wait_on_a_busy_task_kills_every_caller() {
        let cycle = [calling(CONSOLE, SERIAL), calling(SERIAL, CONSOLE)];
        assert_eq!(judged(&cycle, &[]), [(CONSOLE, Blame::Silent), (SERIAL, Blame::Silent)]);
        // Blocked on a task that is not waiting for work (running, or not watched).
        assert_eq!(judged(&[calling(FS, 40)], &[BLOCK]), [(FS, Blame::Silent)]);
    }

    #[test]
    fn nothing_silent_kills_nothing() {
        assert_eq!(judged(&[], &[SERIAL]), []);
    }
}
