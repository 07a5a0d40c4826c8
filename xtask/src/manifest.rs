//! The system manifest (`system.toml`, and `userland/tests.toml` for the test kernel).
//!
//! ```toml
//! [[task]]
//! name = "hello"        # unique; lowercase letters, digits, '-' and '_'; at most 16
//! binary = "hello"      # a crate under userland/
//! priority = 3          # 0 (most urgent) to 7
//! start = true          # started at boot (default true)
//! quiet = false         # drop its debug output (default false)
//! arg = "5"             # one word handed to the program (default "")
//! talks_to = ["log"]    # tasks it may send messages to (default none)
//! irqs = [8]            # interrupt lines it owns (default none)
//! ports = ["0x70-0x71"] # I/O port ranges it may use (default none)
//! privileges = ["restart", "faults"]  # privileged operations (default none)
//! ```
//!
//! xtask checks it here, on the host, with messages that name the task and field, then writes
//! it in the kernel's line format and checks that with the kernel's own parser
//! (`kernel/core/src/manifest.rs`), so the two can never disagree; `descriptors.rs` compiles
//! the checked lines into the kernel's static task table.

use crate::util::Failure;
use std::path::Path;

const LOWEST_PRIORITY: i64 = 7;
const MAX_NAME_LEN: usize = 16;
const MAX_ARG_LEN: usize = 256;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BootTask {
    pub name: String,
    pub binary: String,
    pub priority: u8,
    pub start: bool,
    pub quiet: bool,
    pub arg: String,
    pub talks_to: Vec<String>,
    pub irqs: Vec<i64>,
    pub ports: Vec<String>,
    pub privileges: Vec<String>,
}

pub fn read(path: &Path) -> Result<Vec<BootTask>, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::new(format!("reading {}: {e}", path.display())))?;
    let tasks =
        parse(&text).map_err(|message| Failure::new(format!("{}: {message}", path.display())))?;
    check_with_kernel_parser(&tasks)
        .map_err(|message| Failure::new(format!("{}: {message}", path.display())))?;
    Ok(tasks)
}

/// Runs the kernel's manifest check on the generated lines, naming the task on error.
fn check_with_kernel_parser(tasks: &[BootTask]) -> Result<(), String> {
    let text = kernel_format(tasks, "check");
    kernel_core::manifest::check(&text).map(|_| ()).map_err(|error| {
        // Line 1 is the comment; task i is on line i + 2.
        let line = error_line(&error);
        let task = line.checked_sub(2).and_then(|i| tasks.get(i)).map_or("?", |t| t.name.as_str());
        format!("task {task}: {}", error.to_string().split_once(": ").map_or("", |(_, m)| m))
    })
}

fn error_line(error: &kernel_core::manifest::ManifestError) -> usize {
    use kernel_core::manifest::ManifestError::*;
    match *error {
        UnknownEntry { line }
        | UnknownField { line, .. }
        | MissingField { line, .. }
        | BadValue { line, .. }
        | DuplicateName { line, .. }
        | UnknownPeer { line, .. }
        | IrqTaken { line, .. }
        | PeerOutOfReach { line, .. } => line,
    }
}

pub fn parse(text: &str) -> Result<Vec<BootTask>, String> {
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| e.to_string())?;
    if let Some(key) = table.keys().find(|k| *k != "task" && *k != "programs") {
        return Err(format!("unknown top-level key `{key}` (expected [[task]] entries, programs)"));
    }
    let Some(entries) = table.get("task") else { return Ok(Vec::new()) };
    let entries = entries.as_array().ok_or("`task` must be an array of tables: [[task]]")?;
    let mut tasks: Vec<BootTask> = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        let entry = entry.as_table().ok_or(format!("task #{}: not a table", index + 1))?;
        let task = parse_task(entry).map_err(|e| format!("task #{}: {e}", index + 1))?;
        if tasks.iter().any(|t| t.name == task.name) {
            return Err(format!("task #{}: the name `{}` is used twice", index + 1, task.name));
        }
        tasks.push(task);
    }
    Ok(tasks)
}

/// The top-level `programs` list: crates built and put on the data disk under `/BIN`, from
/// where the shell runs them. Each name becomes an 8.3 file name, so at most 8 characters.
pub fn programs(path: &Path) -> Result<Vec<String>, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::new(format!("reading {}: {e}", path.display())))?;
    parse_programs(&text).map_err(|message| Failure::new(format!("{}: {message}", path.display())))
}

fn parse_programs(text: &str) -> Result<Vec<String>, String> {
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| e.to_string())?;
    let Some(list) = table.get("programs") else { return Ok(Vec::new()) };
    let list = list.as_array().ok_or("`programs` must be a list of names")?;
    list.iter()
        .map(|name| match name.as_str() {
            Some(name)
                if (1..=8).contains(&name.len())
                    && name.chars().all(|c| c.is_ascii_alphanumeric()) =>
            {
                Ok(name.to_owned())
            }
            _ => Err(format!("programs: {name} is not a name of 1 to 8 letters and digits")),
        })
        .collect()
}

fn parse_task(entry: &toml::Table) -> Result<BootTask, String> {
    const FIELDS: [&str; 10] = [
        "name",
        "binary",
        "priority",
        "start",
        "quiet",
        "arg",
        "talks_to",
        "irqs",
        "ports",
        "privileges",
    ];
    if let Some(key) = entry.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(format!("unknown field `{key}` (fields: {})", FIELDS.join(", ")));
    }
    let string = |field: &str| -> Result<Option<String>, String> {
        match entry.get(field) {
            None => Ok(None),
            Some(value) => value
                .as_str()
                .map(|s| Some(s.to_owned()))
                .ok_or(format!("`{field}` must be a string")),
        }
    };
    let boolean = |field: &str, default: bool| -> Result<bool, String> {
        match entry.get(field) {
            None => Ok(default),
            Some(value) => value.as_bool().ok_or(format!("`{field}` must be true or false")),
        }
    };
    let name = string("name")?.ok_or("missing `name`")?;
    let valid = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_';
    if name.is_empty() || name.len() > MAX_NAME_LEN || !name.chars().all(valid) {
        return Err(format!(
            "name {name:?}: use 1 to {MAX_NAME_LEN} lowercase letters, digits, '-' or '_'"
        ));
    }
    let binary = string("binary")?.ok_or(format!("{name}: missing `binary`"))?;
    if binary.is_empty() || !binary.chars().all(valid) {
        return Err(format!("{name}: binary {binary:?} is not a crate name under userland/"));
    }
    let priority = entry.get("priority").ok_or(format!("{name}: missing `priority`"))?;
    let priority = priority
        .as_integer()
        .filter(|p| (0..=LOWEST_PRIORITY).contains(p))
        .ok_or(format!("{name}: `priority` must be an integer from 0 to {LOWEST_PRIORITY}"))?;
    let arg = string("arg")?.unwrap_or_default();
    if arg.len() > MAX_ARG_LEN || arg.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("{name}: `arg` must be one word of at most {MAX_ARG_LEN} bytes"));
    }
    let strings = |field: &str| -> Result<Vec<String>, String> {
        let Some(value) = entry.get(field) else { return Ok(Vec::new()) };
        let items =
            value.as_array().ok_or(format!("{name}: `{field}` must be a list of strings"))?;
        items
            .iter()
            .map(|item| {
                item.as_str()
                    .filter(|s| !s.is_empty() && !s.contains([',', ' ']))
                    .map(str::to_owned)
                    .ok_or(format!("{name}: `{field}` must be a list of single words"))
            })
            .collect()
    };
    let irqs = match entry.get("irqs") {
        None => Vec::new(),
        Some(value) => value
            .as_array()
            .and_then(|items| {
                items.iter().map(toml::Value::as_integer).collect::<Option<Vec<i64>>>()
            })
            .ok_or(format!("{name}: `irqs` must be a list of interrupt line numbers"))?,
    };
    Ok(BootTask {
        start: boolean("start", true)?,
        quiet: boolean("quiet", false)?,
        talks_to: strings("talks_to")?,
        ports: strings("ports")?,
        privileges: strings("privileges")?,
        irqs,
        priority: priority as u8,
        name,
        binary,
        arg,
    })
}

/// The kernel's line format: `task name=.. image=bin/.. priority=.. start=.. quiet=.. arg=..`
pub fn kernel_format(tasks: &[BootTask], source: &str) -> String {
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    let mut text = format!("# generated by xtask from {source}\n");
    for task in tasks {
        text.push_str(&format!(
            "task name={} image=bin/{} priority={} start={} quiet={} arg={} talks_to={} irqs={} ports={} privileges={}\n",
            task.name,
            task.binary,
            task.priority,
            yes_no(task.start),
            yes_no(task.quiet),
            task.arg,
            task.talks_to.join(","),
            task.irqs.iter().map(i64::to_string).collect::<Vec<_>>().join(","),
            task.ports.join(","),
            task.privileges.join(","),
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tasks_with_defaults_become_kernel_lines() {
        let tasks = parse(
            "[[task]]\nname = \"hello\"\nbinary = \"hello\"\npriority = 3\n\n\
             [[task]]\nname = \"f\"\nbinary = \"fault\"\npriority = 2\nstart = false\narg = \"cli\"\n",
        )
        .unwrap();
        assert_eq!(tasks.len(), 2);
        assert!(tasks[0].start && !tasks[0].quiet && tasks[0].arg.is_empty());
        assert_eq!(
            kernel_format(&tasks, "x.toml"),
            "# generated by xtask from x.toml\n\
             task name=hello image=bin/hello priority=3 start=yes quiet=no arg= talks_to= irqs= ports= privileges=\n\
             task name=f image=bin/fault priority=2 start=no quiet=no arg=cli talks_to= irqs= ports= privileges=\n"
        );
    }

    #[test]
    fn mistakes_are_named() {
        let error = |text: &str| parse(text).unwrap_err();
        assert!(error("[[task]]\nbinary = \"a\"\npriority = 1").contains("missing `name`"));
        assert!(
            error("[[task]]\nname = \"A\"\nbinary = \"a\"\npriority = 1").contains("lowercase")
        );
        assert!(error("[[task]]\nname = \"a\"\nbinary = \"a\"\npriority = 9").contains("0 to 7"));
        assert!(
            error("[[task]]\nname = \"a\"\nbinary = \"a\"\npriority = 1\ncolour = 2")
                .contains("unknown field `colour`")
        );
        assert!(
            error("[[task]]\nname = \"a\"\nbinary = \"a\"\npriority = 1\narg = \"two words\"")
                .contains("one word")
        );
        let twice = "[[task]]\nname = \"a\"\nbinary = \"a\"\npriority = 1\n[[task]]\nname = \"a\"\nbinary = \"b\"\npriority = 1";
        assert!(error(twice).contains("used twice"));
        assert!(error("tasks = 1").contains("unknown top-level key"));
        assert!(error("[[task]\n").len() > 0, "TOML syntax errors are passed on");
    }

    #[test]
    fn resources_are_checked_by_the_kernel_parser() {
        let base = "[[task]]\nname = \"rtc\"\nbinary = \"rtc\"\npriority = 1\n";
        let tasks = parse(&format!(
            "{base}irqs = [8]\nports = [\"0x70-0x71\"]\nprivileges = [\"faults\"]\n"
        ))
        .unwrap();
        assert!(check_with_kernel_parser(&tasks).is_ok());
        assert!(kernel_format(&tasks, "x").contains("irqs=8 ports=0x70-0x71 privileges=faults"));
        let timer = parse(&format!("{base}irqs = [0]\n")).unwrap();
        assert_eq!(
            check_with_kernel_parser(&timer).unwrap_err(),
            "task rtc: bad value \"0\" for `irqs`"
        );
        let stranger = parse(&format!("{base}talks_to = [\"nobody\"]\n")).unwrap();
        assert!(check_with_kernel_parser(&stranger).unwrap_err().contains("`nobody`"));
        assert!(
            parse(&format!("{base}irqs = [\"eight\"]\n"))
                .unwrap_err()
                .contains("interrupt line numbers")
        );
    }

    #[test]
    fn the_shipped_manifests_are_valid() {
        let root = crate::util::workspace_root();
        for file in ["system.toml", "userland/tests.toml", "userland/bench.toml"] {
            let tasks = read(&root.join(file)).unwrap();
            assert!(!tasks.is_empty(), "{file} lists no task");
            for task in &tasks {
                let found = crate::userland::program_dir(&task.binary);
                assert!(found.is_some(), "{file}: no crate for program {}", task.binary);
            }
        }
    }
}
