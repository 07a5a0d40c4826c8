//! Small helpers shared by the commands: the error type and running child processes.
//! Also the one way the reports under `target/` are written as JSON.

use std::fmt;
use std::path::PathBuf;
use std::process::Command;

/// A failure to report to the user: one message, then a non-zero exit.
#[derive(Debug)]
pub struct Failure(String);

impl Failure {
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Runs `command` with inherited output and fails unless it exits successfully.
pub fn run_status(command: &mut Command, what: &str) -> Result<(), Failure> {
    let status = command.status().map_err(|e| {
        let program = command.get_program().to_string_lossy();
        Failure::new(format!("{what}: could not start {program}: {e}"))
    })?;
    if status.success() { Ok(()) } else { Err(Failure::new(format!("{what} failed ({status})"))) }
}

/// `value` as pretty-printed JSON with a final newline, for the reports under `target/`.
pub fn to_json(value: &impl serde::Serialize) -> String {
    // The reports are plain structs of numbers and strings, and maps with string keys: they
    // always serialise.
    let mut json =
        serde_json::to_string_pretty(value).expect("a report of plain data serialises to JSON");
    json.push('\n');
    json
}

/// The workspace root (the parent of this crate's folder).
pub fn workspace_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().expect("xtask lives in the workspace").to_path_buf()
}

/// Installs Debian packages with apt-get when running as root on a system that has it;
/// otherwise fails with the exact command to run (and `elsewhere`, hints for other systems).
pub fn install_packages(packages: &[&str], elsewhere: &str) -> Result<(), Failure> {
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0");
    let has_apt = Command::new("apt-get").arg("--version").output().is_ok();
    if !(is_root && has_apt) {
        return Err(Failure::new(format!(
            "{} not installed. Install it, then run this again:\n  \
             Debian/Ubuntu: sudo apt-get install {}\n  {elsewhere}",
            packages.join(" and "),
            packages.join(" ")
        )));
    }
    eprintln!("xtask: installing {} with apt-get", packages.join(" "));
    let apt = |args: &[&str]| {
        let mut command = Command::new("apt-get");
        command.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        command
    };
    run_status(&mut apt(&["update", "-q"]), "apt-get update")?;
    let mut install = apt(&["install", "-y", "-q"]);
    install.args(packages);
    run_status(&mut install, "apt-get install")
}
