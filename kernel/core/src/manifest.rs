//! The boot manifest: which tasks the kernel starts, from which image, at which priority.
//!
//! Users edit `system.toml`; xtask checks it and writes this simpler form into the ramdisk, one
//! task per line, so the kernel needs no TOML parser:
//!
//! ```text
//! # comment
//! task name=hello image=bin/hello priority=3 start=yes quiet=no arg=
//! ```
//!
//! Every error names its line, so a bad manifest is a clear boot error, not a panic.

/// Lowest priority number allowed; 0 is the most urgent.
pub const LOWEST_PRIORITY: u8 = 7;
pub const MAX_NAME_LEN: usize = 16;

/// One boot task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TaskSpec<'a> {
    pub name: &'a str,
    /// Path of the ELF file in the ramdisk.
    pub image: &'a str,
    /// 0 (most urgent) to `LOWEST_PRIORITY`.
    pub priority: u8,
    /// Started at boot (`yes`), or only on request (`no`; tests start such tasks).
    pub start: bool,
    /// Drop the task's `debug_write` output (it is still checked and counted).
    pub quiet: bool,
    /// One word handed to the task at start, in `rdi`; empty when absent.
    pub arg: &'a str,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ManifestError<'a> {
    /// A line that is neither blank, a comment, nor `task ...`.
    UnknownEntry {
        line: usize,
    },
    UnknownField {
        line: usize,
        field: &'a str,
    },
    MissingField {
        line: usize,
        field: &'static str,
    },
    BadValue {
        line: usize,
        field: &'static str,
        value: &'a str,
    },
    DuplicateName {
        line: usize,
        name: &'a str,
    },
}

/// The tasks of a manifest, in order, each parsed or the reason it could not be. Duplicate
/// names are reported by `check`.
pub fn tasks(text: &str) -> impl Iterator<Item = Result<TaskSpec<'_>, ManifestError<'_>>> {
    text.lines().enumerate().filter_map(|(index, line)| {
        let line_number = index + 1;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            return None;
        }
        Some(match line.strip_prefix("task ") {
            Some(fields) => parse_task(line_number, fields),
            None => Err(ManifestError::UnknownEntry { line: line_number }),
        })
    })
}

/// Parses every line and checks that names are unique; returns the number of tasks.
pub fn check(text: &str) -> Result<usize, ManifestError<'_>> {
    let mut count = 0;
    for (i, task) in tasks(text).enumerate() {
        let task = task?;
        if tasks(text).take(i).any(|earlier| earlier.is_ok_and(|e| e.name == task.name)) {
            let line = line_of(text, i);
            return Err(ManifestError::DuplicateName { line, name: task.name });
        }
        count += 1;
    }
    Ok(count)
}

/// The line number of the `index`-th task line.
fn line_of(text: &str, index: usize) -> usize {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.trim().starts_with("task "))
        .nth(index)
        .map_or(0, |(i, _)| i + 1)
}

fn parse_task(line: usize, fields: &str) -> Result<TaskSpec<'_>, ManifestError<'_>> {
    let mut name = None;
    let mut image = None;
    let mut priority = None;
    let mut start = true;
    let mut quiet = false;
    let mut arg = "";
    for word in fields.split_ascii_whitespace() {
        let (field, value) = word.split_once('=').unwrap_or((word, ""));
        match field {
            "name" => name = Some(check_name(line, value)?),
            "image" if !value.is_empty() => image = Some(value),
            "image" => return Err(ManifestError::BadValue { line, field: "image", value }),
            "priority" => priority = Some(parse_priority(line, value)?),
            "start" => start = parse_bool(line, "start", value)?,
            "quiet" => quiet = parse_bool(line, "quiet", value)?,
            "arg" => arg = value,
            _ => return Err(ManifestError::UnknownField { line, field }),
        }
    }
    Ok(TaskSpec {
        name: name.ok_or(ManifestError::MissingField { line, field: "name" })?,
        image: image.ok_or(ManifestError::MissingField { line, field: "image" })?,
        priority: priority.ok_or(ManifestError::MissingField { line, field: "priority" })?,
        start,
        quiet,
        arg,
    })
}

fn check_name(line: usize, value: &str) -> Result<&str, ManifestError<'_>> {
    let valid_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_';
    if value.is_empty() || value.len() > MAX_NAME_LEN || !value.chars().all(valid_char) {
        return Err(ManifestError::BadValue { line, field: "name", value });
    }
    Ok(value)
}

fn parse_priority(line: usize, value: &str) -> Result<u8, ManifestError<'_>> {
    match value.parse::<u8>() {
        Ok(p) if p <= LOWEST_PRIORITY => Ok(p),
        _ => Err(ManifestError::BadValue { line, field: "priority", value }),
    }
}

fn parse_bool<'a>(
    line: usize,
    field: &'static str,
    value: &'a str,
) -> Result<bool, ManifestError<'a>> {
    match value {
        "yes" => Ok(true),
        "no" => Ok(false),
        _ => Err(ManifestError::BadValue { line, field, value }),
    }
}

impl core::fmt::Display for ManifestError<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        match self {
            ManifestError::UnknownEntry { line } => write!(f, "line {line}: expected `task ...`"),
            ManifestError::UnknownField { line, field } => {
                write!(f, "line {line}: unknown field `{field}`")
            }
            ManifestError::MissingField { line, field } => {
                write!(f, "line {line}: missing field `{field}`")
            }
            ManifestError::BadValue { line, field, value } => {
                write!(f, "line {line}: bad value {value:?} for `{field}`")
            }
            ManifestError::DuplicateName { line, name } => {
                write!(f, "line {line}: a task named `{name}` is already listed")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "\
# boot tasks
task name=hello image=bin/hello priority=3

task name=fault-cli image=bin/fault priority=2 start=no quiet=yes arg=cli
";

    #[test]
    fn parses_tasks_with_defaults() {
        let tasks: Vec<_> = tasks(GOOD).collect::<Result<_, _>>().unwrap();
        assert_eq!(tasks.len(), 2);
        assert_eq!(
            tasks[0],
            TaskSpec {
                name: "hello",
                image: "bin/hello",
                priority: 3,
                start: true,
                quiet: false,
                arg: ""
            }
        );
        assert_eq!(tasks[1].arg, "cli");
        assert!(!tasks[1].start && tasks[1].quiet);
        assert_eq!(check(GOOD), Ok(2));
    }

    #[test]
    fn errors_name_the_line() {
        let cases: [(&str, ManifestError); 7] = [
            ("tusk name=a", ManifestError::UnknownEntry { line: 1 }),
            (
                "\ntask name=a image=x priority=1 colour=red",
                ManifestError::UnknownField { line: 2, field: "colour" },
            ),
            ("task image=x priority=1", ManifestError::MissingField { line: 1, field: "name" }),
            ("task name=a priority=1", ManifestError::MissingField { line: 1, field: "image" }),
            (
                "task name=a image=x priority=8",
                ManifestError::BadValue { line: 1, field: "priority", value: "8" },
            ),
            (
                "task name=A image=x priority=1",
                ManifestError::BadValue { line: 1, field: "name", value: "A" },
            ),
            (
                "task name=a image=x priority=1 start=maybe",
                ManifestError::BadValue { line: 1, field: "start", value: "maybe" },
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(check(text), Err(expected), "{text:?}");
        }
    }

    #[test]
    fn duplicate_names_are_refused() {
        let text = "task name=a image=x priority=1\n# c\ntask name=a image=y priority=2\n";
        assert_eq!(check(text), Err(ManifestError::DuplicateName { line: 3, name: "a" }));
    }

    #[test]
    fn long_names_are_refused() {
        let text = "task name=abcdefghijklmnopq image=x priority=1";
        assert!(matches!(check(text), Err(ManifestError::BadValue { field: "name", .. })));
    }

    extern crate std;
    use std::vec::Vec;
}
