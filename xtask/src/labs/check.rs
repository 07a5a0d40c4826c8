//! `cargo xtask lab check [N...]`: the graders tested both ways. The solution (this tree)
//! must score full marks, and a fresh student tree must build and earn nothing on any test of
//! its lab: a test that passes on the stubs cannot tell a student's work from none, and a
//! stub that passes one leaks the answer.

use super::grade::{self, Report};
use super::{STUDENT_MARK, start};
use crate::util::{Failure, workspace_root};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// The build outputs a student tree can start from: their dependencies (the `bootloader`
/// crate's boot stages above all) are the same in both trees, so cargo reuses them and
/// rebuilds only the workspace's own crates.
const WARM_OUTPUTS: [&str; 4] = ["image-builder", "x86_64-unknown-none", "user", "debug"];

pub fn run(labs: &[u32], timeout: Duration) -> Result<(), Failure> {
    let root = workspace_root();
    if root.join(STUDENT_MARK).exists() {
        return Err(Failure::new("run `lab check` in the solution tree, not in a student tree"));
    }
    let labs = if labs.is_empty() { grade::graded_labs() } else { labs.to_vec() };
    let mut problems = Vec::new();
    for &lab in &labs {
        println!("== lab {lab}: the solution must score full marks");
        let solution = grade::grade(lab, timeout)?;
        if solution.score < solution.max {
            problems.push(format!(
                "lab {lab}: the solution scored {} of {}",
                solution.score, solution.max
            ));
        }
        println!("== lab {lab}: a fresh student tree must earn nothing");
        let student = grade_student_tree(&root, lab, timeout)?;
        problems.extend(student_problems(&student));
    }
    if problems.is_empty() {
        let list: Vec<String> = labs.iter().map(u32::to_string).collect();
        println!("lab check: lab(s) {} graded both ways as they should be", list.join(", "));
        return Ok(());
    }
    for problem in &problems {
        println!("lab check: {problem}");
    }
    Err(Failure::new(format!("{} grader problem(s)", problems.len())))
}

/// What is wrong with a student tree's grade: any test that earned points.
fn student_problems(report: &Report) -> Vec<String> {
    report
        .tests
        .iter()
        .filter(|verdict| verdict.points > 0)
        .map(|verdict| {
            format!(
                "lab {}: the student tree as handed out passes {} (its stub leaks the answer, \
                 or the test cannot fail)",
                report.lab, verdict.test
            )
        })
        .collect()
}

/// Makes lab `lab`'s student tree under `target/lab-check/` and grades it with its own xtask.
fn grade_student_tree(root: &Path, lab: u32, timeout: Duration) -> Result<Report, Failure> {
    let dir = root.join(format!("target/lab-check/lab-{lab}"));
    if dir.exists() {
        std::fs::remove_dir_all(&dir)
            .map_err(|e| Failure::new(format!("{}: {e}", dir.display())))?;
    }
    start(lab, Some(dir.clone()))?;
    warm(root, &dir);
    // The child is a fresh `cargo xtask`, as a student runs it: none of this process's cargo
    // or rustup settings, and the timeout already scaled.
    let status = Command::new("cargo")
        .current_dir(&dir)
        .env_remove("RUSTUP_TOOLCHAIN")
        .env_remove("CARGO")
        .env_remove("CARGO_MANIFEST_DIR")
        .env("MOAT_TIMEOUT_SCALE", "1")
        .args(["xtask", "grade", &lab.to_string(), "--timeout"])
        .arg(format!("{}", timeout.as_secs_f64()))
        .status()
        .map_err(|e| Failure::new(format!("running cargo in {}: {e}", dir.display())))?;
    let path = grade::report_path(&dir, lab);
    let text = std::fs::read_to_string(&path).map_err(|_| {
        Failure::new(format!(
            "the lab {lab} student tree wrote no grade ({}): it does not build, or its \
             grader stopped early (exit status {status})",
            path.display()
        ))
    })?;
    let report: Report = serde_json::from_str(&text)
        .map_err(|e| Failure::new(format!("{}: not a grade report: {e}", path.display())))?;
    if status.success() != (report.score == report.max) {
        return Err(Failure::new(format!(
            "the lab {lab} student tree's grader exited with {status} on a score of {}/{}",
            report.score, report.max
        )));
    }
    Ok(report)
}

/// Copies this tree's build outputs into the student tree's `target/`, so its first build
/// takes seconds, not minutes. A failed copy only costs time.
fn warm(root: &Path, dir: &Path) {
    let target = dir.join("target");
    let _ = std::fs::create_dir_all(&target);
    for output in WARM_OUTPUTS {
        let from = root.join("target").join(output);
        if from.is_dir() {
            let _ = Command::new("cp").arg("-a").arg(&from).arg(&target).status();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labs::grade::Verdict;

    fn verdict(test: &str, points: u32) -> Verdict {
        Verdict { test: test.into(), points, max: 2, reason: String::new() }
    }

    #[test]
    fn a_student_tree_that_passes_any_test_is_a_problem() {
        let clean =
            Report { lab: 1, score: 0, max: 4, tests: vec![verdict("a", 0), verdict("b", 0)] };
        assert!(student_problems(&clean).is_empty());
        let leaky =
            Report { lab: 1, score: 2, max: 4, tests: vec![verdict("a", 0), verdict("b", 2)] };
        let problems = student_problems(&leaky);
        assert_eq!(problems.len(), 1);
        assert!(problems[0].contains("passes b"), "{}", problems[0]);
    }
}
