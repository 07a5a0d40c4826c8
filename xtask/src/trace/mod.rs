//! `cargo xtask trace`: boot the system, run one shell command with the kernel's IPC trace
//! on, and write what it recorded as text and as a sequence diagram under `target/trace/`.
//!
//! The boot runs under `-icount shift=0`, so the trace's times are guest instructions and
//! the same command gives the same trace each time. Commands given with `--before` run first,
//! untraced (an `inject` whose fault then fires inside the traced command, for example).

mod browser;
pub mod checks;
mod diagram;
mod ops;
pub mod parse;

use crate::faults::session::{Session, Wait};
use crate::images::{self, BuildOptions, Flavor, Images, KernelKind};
use crate::qemu::{self, Firmware, RunOptions};
use crate::util::{Failure, workspace_root};
use parse::Event;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug)]
pub struct TraceArgs {
    pub flavor: Flavor,
    /// The shell command to trace.
    pub command: String,
    /// Shell commands to run first, untraced.
    pub before: Vec<String>,
    pub release: bool,
    /// Render the diagram in a headless browser and check it shows something.
    pub check_render: bool,
    /// How long one shell command may take.
    pub patience: Duration,
}

/// A command's trace, written out.
pub struct Recorded {
    pub events: Vec<Event>,
    pub text: PathBuf,
    pub diagram: PathBuf,
}

pub fn run(args: &TraceArgs) -> Result<(), Failure> {
    if args.command.trim().is_empty() {
        return Err(Failure::new(
            "name the shell command to trace, e.g. `cargo xtask trace -- cat README.TXT`",
        ));
    }
    let options = BuildOptions { release: args.release, flavor: args.flavor };
    let images = images::build(KernelKind::System, options)?;
    qemu::ensure_installed(Firmware::Bios)?;
    let out = workspace_root().join("target/trace");
    let recorded = record(&images, args.flavor, &args.before, &args.command, &out, args.patience)?;
    println!("{}", summary(&recorded.events));
    println!("text:    {}", recorded.text.display());
    println!("diagram: {} (open it in a browser)", recorded.diagram.display());
    if args.check_render {
        println!("{}", browser::check(&recorded.diagram)?);
    }
    Ok(())
}

/// Boots `images` on a fresh data disk, runs `before`, then `trace COMMAND` and `trace show`;
/// writes the trace's text and diagram into `out`, named after the flavour and the commands.
pub fn record(
    images: &Images,
    flavor: Flavor,
    before: &[String],
    command: &str,
    out: &Path,
    patience: Duration,
) -> Result<Recorded, Failure> {
    std::fs::create_dir_all(out).map_err(|e| Failure::new(format!("{}: {e}", out.display())))?;
    let commands: Vec<&str> = before.iter().map(String::as_str).chain([command]).collect();
    let name = format!("{}-{}", flavor.name(), slug(&commands.join(" ")));
    let disk = out.join(format!("{name}.disk.img"));
    crate::disk::create(&disk, &images.programs)?;
    let options = RunOptions {
        data_disk: Some(disk.clone()),
        icount: true,
        // Kernel log lines on the console would land among the trace's.
        ..RunOptions::captured(Firmware::Bios, "klog=warn".into())
    };
    let socket = out.join(format!("{name}.monitor"));
    let (mut session, first) = Session::boot(&images.bios, &options, &socket, patience * 6)?;
    seen(first, "the boot to the shell's prompt")?;
    for line in before {
        seen(session.command(line, patience), &format!("`{line}`"))?;
    }
    seen(session.command(&format!("trace {command}"), patience), &format!("`trace {command}`"))?;
    let shown = seen(session.command("trace show", patience), "`trace show`")?;
    drop(session);
    let _ = std::fs::remove_file(&disk);
    let events = parse::events(&shown);
    if events.is_empty() {
        return Err(Failure::new(format!(
            "the trace of `{command}` holds no events; `trace show` printed:\n{shown}"
        )));
    }
    let text = out.join(format!("{name}.txt"));
    let lines: String =
        shown.lines().filter(|l| parse::event(l).is_some()).map(|l| format!("{l}\n")).collect();
    write(&text, &lines)?;
    let diagram = out.join(format!("{name}.svg"));
    let title = match before {
        [] => format!("`{command}` on the {} flavour", flavor.name()),
        _ => format!("`{command}` after `{}` on the {} flavour", before.join("; "), flavor.name()),
    };
    write(&diagram, &diagram::draw(&title, &events))?;
    Ok(Recorded { events, text, diagram })
}

/// What the guest printed up to the prompt, or why it did not get there.
fn seen(wait: Wait, what: &str) -> Result<String, Failure> {
    match wait {
        Wait::Seen(text) => Ok(text),
        Wait::Exited(code, text) => Err(Failure::new(format!(
            "QEMU exited {} during {what}; the last output:\n{}",
            qemu::describe_exit(code),
            tail(&text)
        ))),
        Wait::TimedOut(text) => Err(Failure::new(format!(
            "no prompt after {what} (raise --timeout on a loaded machine); the last output:\n{}",
            tail(&text)
        ))),
    }
}

fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

fn write(path: &Path, contents: &str) -> Result<(), Failure> {
    std::fs::write(path, contents).map_err(|e| Failure::new(format!("{}: {e}", path.display())))
}

/// A file name for `command`: its letters and digits, lower case, the rest as `-`.
fn slug(command: &str) -> String {
    let words: Vec<String> = command
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    let slug = words.join("-");
    slug.chars().take(64).collect()
}

/// One line on what the trace holds.
fn summary(events: &[Event]) -> String {
    let count = |kinds: &[&str]| events.iter().filter(|e| kinds.contains(&e.kind.as_str())).count();
    let mut tasks: Vec<&str> = events
        .iter()
        .flat_map(|e| [&e.from, &e.to])
        .filter(|p| !p.is_kernel())
        .map(|p| p.name.as_str())
        .collect();
    tasks.sort_unstable();
    tasks.dedup();
    format!(
        "{} events: {} messages and {} replies between {} tasks ({}), {} interrupts, {} faults",
        events.len(),
        count(&["call", "send", "notify"]),
        count(&["reply"]),
        tasks.len(),
        tasks.join(", "),
        count(&["interrupt"]),
        count(&["fault"]),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_come_from_the_command() {
        assert_eq!(slug("cat README.TXT"), "cat-readme-txt");
        assert_eq!(slug("  ls /DOCS  "), "ls-docs");
        assert_eq!(slug(&"x".repeat(100)).len(), 64);
    }

    #[test]
    fn the_summary_counts_kinds_and_tasks() {
        let events = parse::events(
            "1 call shell#3.0 -> fs#6.0  op 1 [0 0]\n2 interrupt kernel -> block#5.0  irq 14\n\
             3 reply fs#6.0 -> shell#3.0  op 0 [0 8]\n",
        );
        assert_eq!(
            summary(&events),
            "3 events: 1 messages and 1 replies between 3 tasks (block, fs, shell), 1 interrupts, 0 faults"
        );
    }
}
