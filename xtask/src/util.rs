//! Small helpers shared by the commands: the error type and running child processes.

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
        Failure::new(format!("{what}: could not start {:?}: {e}", command.get_program()))
    })?;
    if status.success() { Ok(()) } else { Err(Failure::new(format!("{what} failed ({status})"))) }
}

/// The workspace root (the parent of this crate's folder).
pub fn workspace_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().expect("xtask lives in the workspace").to_path_buf()
}
