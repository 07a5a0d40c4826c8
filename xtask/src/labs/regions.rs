//! Lab regions: the parts of the solution a student writes, marked in the source, and the
//! student tree made from them.
//!
//! A region is marked in any `.rs` file of the tree:
//!
//! ```text
//! // LAB 2 BEGIN: copy the counts out to the caller's buffer
//! ...the solution...
//! // LAB 2 STUB
//! // SyscallError::UnknownSyscall.into()
//! // LAB 2 END
//! ```
//!
//! The lines between `STUB` and `END` are the stub, written commented out so the solution
//! compiles as it is. The student tree for lab N keeps the solution of every lab before N and,
//! for lab N and every lab after it, replaces the solution with the stub (uncommented), so the
//! tree still builds and the lab's tests fail until the student writes the code. The markers
//! stay, so a student sees where to write and what is asked (the text after `BEGIN:`).
//! (After JOS's `#if LAB >= N` and the seL4 tutorials' one source rendered two ways.)

/// One marked region of a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Region {
    pub lab: u32,
    /// What the student is asked to write (the text after `BEGIN:`).
    pub task: String,
    /// 1-based line of the `BEGIN` marker.
    pub line: usize,
}

/// Why a file's markers cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MarkerError {
    pub line: usize,
    pub problem: &'static str,
}

impl std::fmt::Display for MarkerError {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.problem)
    }
}

enum Marker {
    Begin(u32, String),
    Stub(u32),
    End(u32),
}

fn marker(line: &str) -> Option<Marker> {
    let rest = line.trim_start().strip_prefix("// LAB ")?;
    let (number, rest) = rest.split_once(' ')?;
    let lab = number.parse().ok()?;
    if let Some(task) = rest.strip_prefix("BEGIN") {
        return Some(Marker::Begin(lab, task.trim_start_matches(':').trim().to_string()));
    }
    match rest.trim() {
        "STUB" => Some(Marker::Stub(lab)),
        "END" => Some(Marker::End(lab)),
        _ => None,
    }
}

/// Where a line is, as the file is read top to bottom.
#[derive(Clone, Copy, PartialEq)]
enum Part {
    Outside,
    Solution(u32),
    Stub(u32),
}

/// The regions of `text`, checked: every `BEGIN` has one `STUB` and one `END` of the same lab,
/// regions do not nest, and stub lines are comments.
pub fn regions(text: &str) -> Result<Vec<Region>, MarkerError> {
    let mut found = Vec::new();
    let mut part = Part::Outside;
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let error = |problem| Err(MarkerError { line: number, problem });
        match (marker(line), part) {
            (Some(Marker::Begin(lab, task)), Part::Outside) => {
                found.push(Region { lab, task, line: number });
                part = Part::Solution(lab);
            }
            (Some(Marker::Begin(..)), _) => return error("a lab region begins inside another"),
            (Some(Marker::Stub(lab)), Part::Solution(open)) if lab == open => {
                part = Part::Stub(lab)
            }
            (Some(Marker::Stub(_)), _) => return error("`STUB` without its `BEGIN`"),
            (Some(Marker::End(lab)), Part::Stub(open)) if lab == open => part = Part::Outside,
            (Some(Marker::End(_)), Part::Solution(_)) => {
                return error("a region needs a `STUB` before its `END`");
            }
            (Some(Marker::End(_)), _) => return error("`END` without its `BEGIN`"),
            (None, Part::Stub(_)) if !line.trim_start().starts_with("//") => {
                return error("stub lines must be comments (`// `) in the solution");
            }
            (None, _) => {}
        }
    }
    match part {
        Part::Outside => Ok(found),
        _ => Err(MarkerError { line: text.lines().count(), problem: "a lab region is not closed" }),
    }
}

/// `text` as the student tree for `lab` has it: regions of `lab` and later hold their stubs,
/// earlier ones their solutions. The markers stay.
pub fn student_text(text: &str, lab: u32) -> Result<String, MarkerError> {
    regions(text)?;
    let mut out = String::with_capacity(text.len());
    let mut part = Part::Outside;
    for line in text.split_inclusive('\n') {
        let keep = match (marker(line), part) {
            (Some(Marker::Begin(open, _)), _) => {
                part = Part::Solution(open);
                true
            }
            (Some(Marker::Stub(open)), _) => {
                part = Part::Stub(open);
                true
            }
            (Some(Marker::End(_)), _) => {
                part = Part::Outside;
                true
            }
            (None, Part::Solution(open)) => open < lab,
            (None, Part::Stub(open)) if open >= lab => {
                out.push_str(&uncomment(line));
                continue;
            }
            (None, _) => true,
        };
        if keep {
            out.push_str(line);
        }
    }
    Ok(out)
}

/// A stub line without its `// ` (the indentation before it stays).
fn uncomment(line: &str) -> String {
    let indent = line.len() - line.trim_start().len();
    let body = &line[indent..];
    let body = body.strip_prefix("// ").or_else(|| body.strip_prefix("//")).unwrap_or(body);
    format!("{}{body}", &line[..indent])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The markers are written `@@` here and turned into comments by `solution`, so that
    /// this file holds no real region (a student tree would stub it).
    const SOLUTION_TEXT: &str = "\
fn one() -> u32 {
    @@ LAB 1 BEGIN: return one
    1
    @@ LAB 1 STUB
    @@ 0
    @@ LAB 1 END
}
fn two() -> u32 {
    @@ LAB 2 BEGIN: return two
    let two = 2;
    two
    @@ LAB 2 STUB
    @@ todo_two()
    @@ LAB 2 END
}
";

    fn solution() -> String {
        SOLUTION_TEXT.replace("@@", "//")
    }

    fn marked(text: &str) -> String {
        text.replace("@@", "//")
    }

    #[test]
    fn regions_are_found_with_their_tasks() {
        let found = regions(&solution()).unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!((found[0].lab, found[0].task.as_str(), found[0].line), (1, "return one", 2));
        assert_eq!((found[1].lab, found[1].task.as_str()), (2, "return two"));
    }

    #[test]
    fn a_student_tree_solves_earlier_labs_and_stubs_the_rest() {
        let lab2 = student_text(&solution(), 2).unwrap();
        let solved = marked("    @@ LAB 1 BEGIN: return one\n    1\n    @@ LAB 1 STUB\n    @@ 0\n");
        assert!(lab2.contains(&solved), "earlier labs keep their solution and commented stub");
        let stubbed = marked(
            "    @@ LAB 2 BEGIN: return two\n    @@ LAB 2 STUB\n    todo_two()\n    @@ LAB 2 END\n",
        );
        assert!(lab2.contains(&stubbed), "the lab's own region holds its stub");
        assert!(!lab2.contains("let two"), "the lab's own solution is gone");
        let lab1 = student_text(&solution(), 1).unwrap();
        assert!(lab1.contains(&marked("    @@ LAB 1 STUB\n    0\n")) && !lab1.contains("let two"));
        assert_eq!(
            student_text(&solution(), 3).unwrap(),
            solution(),
            "past the last lab, all solved"
        );
    }

    #[test]
    fn broken_markers_are_named() {
        let unclosed = "@@ LAB 1 BEGIN: x\nbody\n@@ LAB 1 STUB\n@@ stub\n";
        assert_eq!(regions(&marked(unclosed)).unwrap_err().problem, "a lab region is not closed");
        let no_stub = "@@ LAB 1 BEGIN: x\nbody\n@@ LAB 1 END\n";
        assert_eq!(regions(&marked(no_stub)).unwrap_err().line, 3);
        let nested = "@@ LAB 1 BEGIN: x\n@@ LAB 2 BEGIN: y\n";
        assert_eq!(
            regions(&marked(nested)).unwrap_err().problem,
            "a lab region begins inside another"
        );
        let code_in_stub = "@@ LAB 1 BEGIN: x\n@@ LAB 1 STUB\nlet x = 1;\n@@ LAB 1 END\n";
        assert!(regions(&marked(code_in_stub)).unwrap_err().problem.contains("comments"));
        let mismatched = "@@ LAB 1 BEGIN: x\n@@ LAB 2 STUB\n@@ y\n@@ LAB 2 END\n";
        assert!(regions(&marked(mismatched)).is_err());
    }
}
