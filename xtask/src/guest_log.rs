//! Reading the in-guest test suite's serial markers (see `kernel/src/tests/mod.rs`).

/// What one guest run reported.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct GuestReport {
    /// How many tests the kernel said it would run.
    pub planned: Option<usize>,
    pub passed: Vec<String>,
    /// Name and reason of each failed test.
    pub failed: Vec<(String, String)>,
    /// A test that started but never finished: it crashed or hung the kernel.
    pub unfinished: Option<String>,
    /// The kernel's closing tally, if it got that far.
    pub done: Option<(usize, usize)>,
}

impl GuestReport {
    /// Tests that were planned but never started because an earlier one stopped the run.
    pub fn not_run(&self) -> usize {
        let started =
            self.passed.len() + self.failed.len() + usize::from(self.unfinished.is_some());
        self.planned.unwrap_or(started).saturating_sub(started)
    }

    /// Every failure, with tests that crashed or never ran counted as failed.
    pub fn failed_count(&self) -> usize {
        self.failed.len() + usize::from(self.unfinished.is_some()) + self.not_run()
    }

    /// True when the run finished, the tallies agree, and nothing failed.
    pub fn all_passed(&self) -> bool {
        self.failed_count() == 0
            && self.done == Some((self.passed.len(), 0))
            && self.planned == Some(self.passed.len())
    }
}

pub fn parse(serial: &str) -> GuestReport {
    let mut report = GuestReport::default();
    for line in serial.lines().map(str::trim_end) {
        if let Some(count) = line.strip_prefix("GUEST-TESTS PLAN ") {
            report.planned = count.trim().parse().ok();
        } else if let Some(name) = line.strip_prefix("TEST-START ") {
            report.unfinished = Some(name.to_owned());
        } else if let Some(name) = line.strip_prefix("TEST-PASS ") {
            report.unfinished = None;
            report.passed.push(name.to_owned());
        } else if let Some(rest) = line.strip_prefix("TEST-FAIL ") {
            report.unfinished = None;
            let (name, reason) = rest.split_once(": ").unwrap_or((rest, ""));
            report.failed.push((name.to_owned(), reason.to_owned()));
        } else if let Some(tally) = line.strip_prefix("GUEST-TESTS DONE ") {
            report.done = parse_tally(tally);
        }
    }
    report
}

/// `passed=N failed=M`
fn parse_tally(text: &str) -> Option<(usize, usize)> {
    let mut passed = None;
    let mut failed = None;
    for word in text.split_whitespace() {
        match word.split_once('=') {
            Some(("passed", n)) => passed = n.parse().ok(),
            Some(("failed", n)) => failed = n.parse().ok(),
            _ => {}
        }
    }
    Some((passed?, failed?))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLEAN: &str = "\
[    0.000] INFO  kernel: boot complete
GUEST-TESTS PLAN 2
TEST-START heap::a
TEST-PASS heap::a
TEST-START traps::b
[    0.120] DEBUG kernel: breakpoint
TEST-PASS traps::b
GUEST-TESTS DONE passed=2 failed=0
";

    #[test]
    fn clean_run_passes() {
        let report = parse(CLEAN);
        assert_eq!(report.passed, ["heap::a", "traps::b"]);
        assert_eq!(report.done, Some((2, 0)));
        assert!(report.all_passed());
    }

    #[test]
    fn failure_carries_its_reason() {
        let report = parse(
            "GUEST-TESTS PLAN 1\nTEST-START x\nTEST-FAIL x: a.rs:3: check failed: 1 == 2\n\
             GUEST-TESTS DONE passed=0 failed=1\n",
        );
        assert_eq!(report.failed, [("x".to_owned(), "a.rs:3: check failed: 1 == 2".to_owned())]);
        assert_eq!(report.failed_count(), 1);
        assert!(!report.all_passed());
    }

    #[test]
    fn crash_mid_test_counts_the_test_and_the_rest() {
        let report = parse(
            "GUEST-TESTS PLAN 4\nTEST-START a\nTEST-PASS a\nTEST-START b\nKERNEL PANIC at x.rs:1:1\n",
        );
        assert_eq!(report.unfinished.as_deref(), Some("b"));
        assert_eq!(report.not_run(), 2);
        assert_eq!(report.failed_count(), 3);
        assert!(!report.all_passed());
    }

    #[test]
    fn missing_done_line_is_not_a_pass() {
        let report = parse("GUEST-TESTS PLAN 1\nTEST-START a\nTEST-PASS a\n");
        assert!(!report.all_passed());
    }

    #[test]
    fn empty_output_is_not_a_pass() {
        assert!(!parse("").all_passed());
    }
}
