//! The boot manifest, compiled in: the static table of every task the system knows (from
//! `system.toml`, or the test and bench manifests), with its send mask, position, interrupt
//! lines, ports, privileges and built-in service worked out at build time by xtask.

include!(concat!(env!("OUT_DIR"), "/manifest.rs"));

/// The entry named `name`.
pub fn find(name: &str) -> Option<&'static TaskSpec<'static>> {
    TASKS.iter().find(|spec| spec.name == name)
}
