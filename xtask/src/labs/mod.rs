//! `cargo xtask lab`: the course labs (`labs/NN-name/`), and the student trees made from the
//! one solution this repository is (`regions.rs`).

pub mod check;
pub mod grade;
pub mod regions;
pub mod rubrics;
mod whole;

use crate::util::{Failure, workspace_root};
use std::path::{Path, PathBuf};
use std::process::Command;

/// One lab: its number, its folder under `labs/`, and the title of its handout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lab {
    pub number: u32,
    pub folder: String,
    pub title: String,
}

/// The file a student tree carries to say which lab it was made for.
pub const STUDENT_MARK: &str = ".lab";

/// The labs of `labs/`, in order: folders named `NN-name` holding a `README.md` whose first
/// line is its title.
pub fn catalogue(root: &Path) -> Result<Vec<Lab>, Failure> {
    let folder = root.join("labs");
    let entries = std::fs::read_dir(&folder)
        .map_err(|e| Failure::new(format!("{}: {e}", folder.display())))?;
    let mut labs = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        let Some(number) = name.split('-').next().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        let handout = entry.path().join("README.md");
        let Ok(text) = std::fs::read_to_string(&handout) else { continue };
        let title = text.lines().next().unwrap_or("").trim_start_matches('#').trim().to_string();
        labs.push(Lab { number, folder: name, title });
    }
    labs.sort_by_key(|lab| lab.number);
    Ok(labs)
}

/// The files of the tree as git knows them (tracked, and new ones it does not ignore).
fn tree_files(root: &Path) -> Result<Vec<PathBuf>, Failure> {
    let output = Command::new("git")
        .current_dir(root)
        .args(["ls-files", "-z", "--cached", "--others", "--exclude-standard"])
        .output()
        .map_err(|e| Failure::new(format!("running git ls-files: {e}")))?;
    if !output.status.success() {
        return Err(Failure::new("git ls-files failed: a lab tree is made from a git checkout"));
    }
    Ok(output
        .stdout
        .split(|&b| b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| PathBuf::from(String::from_utf8_lossy(p).to_string()))
        .filter(|p| root.join(p).is_file())
        .collect())
}

/// How many regions each lab has in the tree, and the first marker problem, if any.
fn count_regions(root: &Path) -> Result<std::collections::BTreeMap<u32, usize>, Failure> {
    let mut counts = std::collections::BTreeMap::new();
    for file in tree_files(root)?.iter().filter(|f| f.extension().is_some_and(|e| e == "rs")) {
        let text = std::fs::read_to_string(root.join(file)).unwrap_or_default();
        if !text.contains("// LAB ") {
            continue;
        }
        let found = regions::regions(&text)
            .map_err(|error| Failure::new(format!("{}: {error}", file.display())))?;
        for region in found {
            *counts.entry(region.lab).or_default() += 1;
        }
    }
    Ok(counts)
}

/// `cargo xtask lab list`.
pub fn list() -> Result<(), Failure> {
    let root = workspace_root();
    let counts = count_regions(&root)?;
    let labs = catalogue(&root)?;
    if labs.is_empty() {
        return Err(Failure::new(
            "no labs under labs/ (each is a folder NN-name with a README.md)",
        ));
    }
    for lab in &labs {
        let regions = counts.get(&lab.number).copied().unwrap_or(0);
        println!(
            "{:>2}  {:<28} {} ({regions} region(s) to write)",
            lab.number, lab.folder, lab.title
        );
    }
    println!("\nStart one with `cargo xtask lab start N [DIR]`; docs/labs.md is the index.");
    Ok(())
}

/// `cargo xtask lab start N [DIR]`: writes the student tree for lab `number` into `dir`
/// (default `../moat-lab-N`), with its own git history starting at the handed-out state.
pub fn start(number: u32, dir: Option<PathBuf>) -> Result<(), Failure> {
    let root = workspace_root();
    let labs = catalogue(&root)?;
    let Some(lab) = labs.iter().find(|lab| lab.number == number) else {
        let known: Vec<String> = labs.iter().map(|l| l.number.to_string()).collect();
        return Err(Failure::new(format!(
            "there is no lab {number}; the labs are {}",
            known.join(", ")
        )));
    };
    if root.join(STUDENT_MARK).exists() {
        return Err(Failure::new(
            "this is a student tree already; start labs from the solution tree",
        ));
    }
    let dir = dir.unwrap_or_else(|| root.join(format!("../moat-lab-{number}")));
    if dir.exists() && std::fs::read_dir(&dir).is_ok_and(|mut d| d.next().is_some()) {
        return Err(Failure::new(format!(
            "{} exists and is not empty; name another folder",
            dir.display()
        )));
    }
    let committed = write_student_tree(&root, number, &dir)?;
    println!("{}: the student tree is in {}", lab.title, dir.display());
    println!("The handout is labs/{}/README.md there.", lab.folder);
    if committed {
        println!("Its git history starts at the tree as handed out (`git diff` shows your work).");
    }
    Ok(())
}

/// Writes the student tree for lab `number` of the solution at `root` into `dir`, and starts
/// its git history; returns whether the first commit was made (git may lack a user setup).
pub(super) fn write_student_tree(root: &Path, number: u32, dir: &Path) -> Result<bool, Failure> {
    for file in tree_files(root)? {
        let from = root.join(&file);
        let to = dir.join(&file);
        let fail = |e: std::io::Error| Failure::new(format!("{}: {e}", to.display()));
        std::fs::create_dir_all(to.parent().expect("a file has a folder")).map_err(fail)?;
        let is_rust = file.extension().is_some_and(|e| e == "rs");
        match std::fs::read_to_string(&from) {
            Ok(text) if is_rust && text.contains("// LAB ") => {
                let student = regions::student_text(&text, number)
                    .map_err(|error| Failure::new(format!("{}: {error}", file.display())))?;
                std::fs::write(&to, student).map_err(fail)?;
            }
            _ => {
                std::fs::copy(&from, &to).map_err(fail)?;
            }
        }
    }
    std::fs::write(dir.join(STUDENT_MARK), format!("{number}\n"))
        .map_err(|e| Failure::new(format!("{}: {e}", dir.display())))?;
    let git = |args: &[&str]| Command::new("git").current_dir(dir).args(args).output();
    Ok(git(&["init", "-q"]).is_ok_and(|o| o.status.success())
        && git(&["add", "-A"]).is_ok_and(|o| o.status.success())
        && git(&[
            "-c",
            "user.name=Moat",
            "-c",
            "user.email=moat@localhost",
            "commit",
            "-qm",
            &format!("Lab {number}: the tree as handed out"),
        ])
        .is_ok_and(|o| o.status.success()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_lab_has_a_handout_and_well_formed_regions_to_write() {
        let root = workspace_root();
        let counts = count_regions(&root).expect("every lab marker in the tree is well formed");
        let labs = catalogue(&root).unwrap();
        assert!(!labs.is_empty(), "labs/ holds the labs");
        for lab in &labs {
            assert!(lab.title.starts_with(&format!("Lab {}:", lab.number)), "{}", lab.title);
            assert!(
                counts.get(&lab.number).is_some_and(|&n| n > 0),
                "lab {} has no region",
                lab.number
            );
        }
        for lab in counts.keys() {
            assert!(
                labs.iter().any(|l| l.number == *lab),
                "regions of lab {lab}, which has no handout"
            );
        }
        let graded = grade::graded_labs();
        for lab in &labs {
            assert!(graded.contains(&lab.number), "lab {} has no grader", lab.number);
        }
    }
}
