//! `cargo xtask lab check [N...]`: the graders tested both ways. The solution (this tree)
//! must score full marks, and a fresh student tree must build and earn nothing on any test of
//! its lab: a test that passes on the stubs cannot tell a student's work from none, and a
//! stub that passes one leaks the answer. The tree a student has when the lab is done (its
//! code solved, the later labs' still stubbed) must score full marks: a later lab's stub must
//! not break an earlier lab. Where a lab has a fragile solution (`FRAGILE`), it must lose
//! points exactly where its robustness part looks.

use super::grade::{self, Report};
use super::rubrics::{FRAGILE, Fragile};
use super::{STUDENT_MARK, start, write_student_tree};
use crate::util::{Failure, workspace_root};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The build outputs a student tree can start from: their dependencies (the `bootloader`
/// crate's boot stages above all) are the same in both trees, so cargo reuses them and
/// rebuilds only the workspace's own crates.
const WARM_OUTPUTS: [&str; 4] = ["image-builder", "x86_64-unknown-none", "user", "debug"];

/// `cargo xtask lab check [--quick] [N...]`. `quick` keeps the two checks every lab needs (its
/// solution, its fresh student tree) and runs the costlier ones (the finished tree, a fragile
/// solution) for one lab only, chosen by the commit, so that CI covers every lab over a few
/// commits in a fraction of the time.
pub fn run(labs: &[u32], quick: bool, timeout: Duration) -> Result<(), Failure> {
    let root = workspace_root();
    if root.join(STUDENT_MARK).exists() {
        return Err(Failure::new("run `lab check` in the solution tree, not in a student tree"));
    }
    let graded = grade::graded_labs();
    let labs = if labs.is_empty() { graded.clone() } else { labs.to_vec() };
    let thorough = if quick { rotating(&labs, &commit_of(&root)) } else { None };
    if let (true, Some(lab)) = (quick, thorough) {
        println!(
            "== quick: the finished-tree and fragile-solution checks run for lab {lab} at this \
             commit (`cargo xtask lab check` runs them for every lab)"
        );
    }
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
        let dir = fresh_dir(&root, &format!("lab-{lab}"))?;
        start(lab, Some(dir.clone()))?;
        let student = grade_tree(&root, &dir, lab, timeout)?;
        problems.extend(student_problems(&student));
        if quick && thorough != Some(lab) {
            continue;
        }
        if graded.iter().any(|&later| later > lab) {
            println!(
                "== lab {lab}: finished, with the later labs' stubs, it must score full marks"
            );
            let dir = fresh_dir(&root, &format!("lab-{lab}-finished"))?;
            write_student_tree(&root, lab + 1, &dir)?;
            let finished = grade_tree(&root, &dir, lab, timeout)?;
            if finished.score < finished.max {
                problems.push(format!(
                    "lab {lab}: the student tree with lab {lab} solved scored {} of {}: a later \
                     lab's stub breaks it",
                    finished.score, finished.max
                ));
            }
        }
        for fragile in FRAGILE.iter().filter(|f| f.lab == lab) {
            println!("== lab {lab}: a fragile solution must lose points on {}", fragile.weak_test);
            let dir = fresh_dir(&root, &format!("lab-{lab}-fragile"))?;
            write_fragile_tree(&root, fragile, &dir)?;
            let graded = grade_tree(&root, &dir, lab, timeout)?;
            problems.extend(fragile_problems(&graded, fragile.weak_test));
        }
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

/// The lab whose costlier checks a quick run makes: the commit picks it, so the same commit
/// always checks the same lab and consecutive commits spread over all of them.
fn rotating(labs: &[u32], commit: &str) -> Option<u32> {
    let value = u64::from_str_radix(commit.get(..8)?, 16).ok()?;
    labs.get((value % labs.len() as u64) as usize).copied()
}

/// The tree's commit (`git rev-parse HEAD`), or an empty string outside git.
fn commit_of(root: &Path) -> String {
    Command::new("git")
        .current_dir(root)
        .args(["rev-parse", "HEAD"])
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_string())
        .unwrap_or_default()
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

/// What is wrong with a fragile solution's grade: it must lose points on `weak_test`, where
/// its weakness shows, and nowhere else.
fn fragile_problems(report: &Report, weak_test: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for verdict in &report.tests {
        let weak = verdict.test == weak_test;
        if weak && verdict.points == verdict.max {
            problems.push(format!(
                "lab {}: a fragile solution earns full marks on {weak_test}: the test cannot \
                 see what it is meant to",
                report.lab
            ));
        } else if !weak && verdict.points < verdict.max {
            problems.push(format!(
                "lab {}: the fragile solution (weak only where {weak_test} looks) lost points \
                 on {}: {}",
                report.lab, verdict.test, verdict.reason
            ));
        }
    }
    problems
}

/// An empty folder `target/lab-check/NAME`.
fn fresh_dir(root: &Path, name: &str) -> Result<PathBuf, Failure> {
    let dir = root.join("target/lab-check").join(name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir)
            .map_err(|e| Failure::new(format!("{}: {e}", dir.display())))?;
    }
    Ok(dir)
}

/// The whole solution (every region solved) in `dir`, with the fragile piece put in.
fn write_fragile_tree(root: &Path, fragile: &Fragile, dir: &Path) -> Result<(), Failure> {
    write_student_tree(root, u32::MAX, dir)?;
    let path = dir.join(fragile.file);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| Failure::new(format!("{}: {e}", path.display())))?;
    if !text.contains(fragile.solution) {
        return Err(Failure::new(format!(
            "{}: the piece the fragile solution of lab {} replaces is not there any more",
            fragile.file, fragile.lab
        )));
    }
    std::fs::write(&path, text.replace(fragile.solution, fragile.fragile))
        .map_err(|e| Failure::new(format!("{}: {e}", path.display())))
}

/// Grades lab `lab` in the tree at `dir` with that tree's own xtask, started from this tree's
/// build outputs, and reads the report it wrote.
fn grade_tree(root: &Path, dir: &Path, lab: u32, timeout: Duration) -> Result<Report, Failure> {
    warm(root, dir);
    // The child is a fresh `cargo xtask`, as a student runs it: none of this process's cargo
    // or rustup settings, and the timeout already scaled.
    let status = Command::new("cargo")
        .current_dir(dir)
        .env_remove("RUSTUP_TOOLCHAIN")
        .env_remove("CARGO")
        .env_remove("CARGO_MANIFEST_DIR")
        .env("MOAT_TIMEOUT_SCALE", "1")
        .args(["xtask", "grade", &lab.to_string(), "--timeout"])
        .arg(format!("{}", timeout.as_secs_f64()))
        .status()
        .map_err(|e| Failure::new(format!("running cargo in {}: {e}", dir.display())))?;
    let path = grade::report_path(dir, lab);
    let text = std::fs::read_to_string(&path).map_err(|_| {
        Failure::new(format!(
            "the tree in {} wrote no grade for lab {lab} ({}): it does not build, or its \
             grader stopped early (exit status {status})",
            dir.display(),
            path.display()
        ))
    })?;
    let report: Report = serde_json::from_str(&text)
        .map_err(|e| Failure::new(format!("{}: not a grade report: {e}", path.display())))?;
    if status.success() != (report.score == report.max) {
        return Err(Failure::new(format!(
            "the grader in {} exited with {status} on a score of {}/{}",
            dir.display(),
            report.score,
            report.max
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
    fn a_fragile_solution_must_lose_points_where_it_is_weak_and_only_there() {
        let report = |a, b| Report {
            lab: 4,
            score: a + b,
            max: 4,
            tests: vec![verdict("works", a), verdict("weak", b)],
        };
        assert!(fragile_problems(&report(2, 0), "weak").is_empty());
        assert!(fragile_problems(&report(2, 2), "weak")[0].contains("cannot"));
        assert!(fragile_problems(&report(0, 0), "weak")[0].contains("lost points on works"));
    }

    #[test]
    fn a_quick_check_rotates_its_thorough_lab_with_the_commit() {
        let labs = [1, 2, 3, 4, 5, 6, 7];
        assert_eq!(rotating(&labs, "00000000ffff"), Some(1));
        assert_eq!(rotating(&labs, "0000000a"), Some(4), "10 % 7 = 3: the fourth lab");
        let chosen: std::collections::BTreeSet<_> =
            (0..70u32).filter_map(|n| rotating(&labs, &format!("{n:08x}"))).collect();
        assert_eq!(chosen.len(), 7, "every lab comes round");
        assert_eq!(rotating(&labs, "not hex"), None);
        assert_eq!(rotating(&labs, ""), None);
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
