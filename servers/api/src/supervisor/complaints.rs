//! When a client complains of its server (`COMPLAIN`): after `FAILURES_BEFORE_COMPLAINT`
//! requests in a row that the server answered with a failure. Only answers count: a server
//! that is dead, restarting or silent is the supervisor's to see already. Writes and other
//! requests are counted apart, since a damaged driver may fail only its writes while reads
//! go well in between.

use super::FAILURES_BEFORE_COMPLAINT;
use crate::status::{RESTARTED, TIMED_OUT, UNAVAILABLE};
use core::cell::Cell;

/// A client's runs of failed requests to one server.
pub struct FailureRuns {
    /// Failed writes, and failed other requests, in a row.
    runs: [Cell<u32>; 2],
}

impl Default for FailureRuns {
    fn default() -> Self {
        Self::new()
    }
}

impl FailureRuns {
    pub const fn new() -> Self {
        FailureRuns { runs: [Cell::new(0), Cell::new(0)] }
    }

    /// A request (a write if `write`) came back `Ok`, or `Err` with a status. True when the
    /// client should complain now; both runs then start again.
    pub fn answered(&self, write: bool, result: Result<(), u64>) -> bool {
        let run = &self.runs[usize::from(write)];
        match result {
            Ok(()) => run.set(0),
            Err(RESTARTED | UNAVAILABLE | TIMED_OUT) => {}
            Err(_) => run.set(run.get() + 1),
        }
        if run.get() < FAILURES_BEFORE_COMPLAINT {
            return false;
        }
        self.runs.iter().for_each(|run| run.set(0));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::{BAD_REQUEST, DEVICE_ERROR};
    extern crate std;
    use std::vec::Vec;

    /// The answers after which the client complains, by position.
    fn complaints(answers: &[(bool, Result<(), u64>)]) -> Vec<usize> {
        let runs = FailureRuns::new();
        let said = answers.iter().map(|&(write, result)| runs.answered(write, result));
        said.enumerate().filter(|&(_, complain)| complain).map(|(at, _)| at).collect()
    }

    const READ_FAILED: (bool, Result<(), u64>) = (false, Err(DEVICE_ERROR));
    const WRITE_FAILED: (bool, Result<(), u64>) = (true, Err(DEVICE_ERROR));
    const READ_OK: (bool, Result<(), u64>) = (false, Ok(()));

    #[test]
    fn the_third_failure_in_a_row_is_complained_of() {
        assert_eq!(complaints(&[READ_FAILED, READ_FAILED]), []);
        assert_eq!(complaints(&[READ_FAILED; 3]), [2]);
        // The runs start again after a complaint.
        assert_eq!(complaints(&[READ_FAILED; 6]), [2, 5]);
    }

    #[test]
    fn an_answer_that_worked_ends_the_run() {
        assert_eq!(complaints(&[READ_FAILED, READ_FAILED, READ_OK, READ_FAILED]), []);
    }

    #[test]
    fn failed_writes_count_across_reads_that_work() {
        let answers = [WRITE_FAILED, READ_OK, WRITE_FAILED, READ_OK, WRITE_FAILED];
        assert_eq!(complaints(&answers), [4]);
    }

    #[test]
    fn a_server_that_is_not_answering_is_not_complained_of() {
        let gone = [RESTARTED, UNAVAILABLE, TIMED_OUT].map(|status| (false, Err(status)));
        assert_eq!(complaints(&[gone, gone].concat()), []);
        // Nor do they break a run of answers that failed.
        let answers = [READ_FAILED, gone[0], READ_FAILED, gone[2], (false, Err(BAD_REQUEST))];
        assert_eq!(complaints(&answers), [4]);
    }
}
