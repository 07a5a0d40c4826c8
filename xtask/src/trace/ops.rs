//! Names for what the numbers in a trace mean: a server's operations (`servers/api`) and its
//! replies' statuses, so the diagram says `READ` where the kernel only knows `op 2`.

use service_api::{block, console, fs, serial, status, supervisor};

/// The name of operation `op` of the server called `server`, if it is one of the system's.
pub fn operation(server: &str, op: u64) -> Option<&'static str> {
    let op = u32::try_from(op).ok()?;
    operations(server).iter().find(|(number, _)| *number == op).map(|(_, name)| *name)
}

/// Whether `name` is one of the system's servers, whose replies carry a status and a count.
pub fn is_server(name: &str) -> bool {
    !operations(name).is_empty()
}

fn operations(server: &str) -> &'static [(u32, &'static str)] {
    match server {
        "fs" => &[
            (fs::STAT, "STAT"),
            (fs::READ, "READ"),
            (fs::WRITE, "WRITE"),
            (fs::LIST, "LIST"),
            (fs::MAKE_DIRECTORY, "MAKE_DIRECTORY"),
            (fs::REMOVE, "REMOVE"),
            (fs::RENAME, "RENAME"),
            (fs::DROP_CACHE, "DROP_CACHE"),
        ],
        "block" => &[(block::READ, "READ"), (block::WRITE, "WRITE"), (block::INFO, "INFO")],
        "console" => &[(console::WRITE, "WRITE"), (console::READ_LINE, "READ_LINE")],
        "serial" => &[(serial::WRITE, "WRITE"), (serial::READ, "READ")],
        "supervisor" => &[(supervisor::SPAWN, "SPAWN"), (supervisor::STATUS, "STATUS")],
        _ => &[],
    }
}

/// A reply's status in words (`ok`, `not found`, ...).
pub fn status(code: u64) -> &'static str {
    status::describe(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_operations_have_names() {
        assert_eq!(operation("fs", 2), Some("READ"));
        assert_eq!(operation("block", 1), Some("READ"));
        assert_eq!(operation("console", 2), Some("READ_LINE"));
        assert_eq!(operation("fs", 99), None);
        assert_eq!(operation("echo", 1), None, "not a server of the system");
        assert!(is_server("fs") && !is_server("echo"));
        assert_eq!(status(0), "ok");
    }
}
