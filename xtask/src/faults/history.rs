//! What a campaign reads back from its own history: the injections of a boot from the last
//! report (`--replay-boot`), and a restart the supervisor has put off, from a boot's log.

use super::outcome::Injection;
use crate::util::Failure;
use std::path::Path;

/// The injection `id` and those before it in the same boot, in order, from the report at
/// `report` (`faults.json` of the last campaign).
pub fn boot_history(report: &Path, id: &str) -> Result<Vec<Injection>, Failure> {
    #[derive(serde::Deserialize)]
    struct Row {
        id: String,
        job: usize,
        boot: usize,
    }
    #[derive(serde::Deserialize)]
    struct Report {
        records: Vec<Row>,
    }
    let text = std::fs::read_to_string(report).map_err(|e| {
        Failure::new(format!("--replay-boot needs the last campaign's {}: {e}", report.display()))
    })?;
    let rows = serde_json::from_str::<Report>(&text)
        .map_err(|e| Failure::new(format!("{}: not a campaign report: {e}", report.display())))?
        .records;
    let Some(at) = rows.iter().position(|r| r.id == id) else {
        return Err(Failure::new(format!(
            "--replay-boot {id}: no such injection in {}",
            report.display()
        )));
    };
    let flavor = |r: &Row| r.id.split('-').next().map(str::to_owned);
    let same_boot = |r: &&Row| {
        r.job == rows[at].job && r.boot == rows[at].boot && flavor(r) == flavor(&rows[at])
    };
    rows[..=at]
        .iter()
        .filter(same_boot)
        .map(|r| {
            Injection::parse_id(&r.id).ok_or_else(|| {
                Failure::new(format!("{}: {} is not an injection id", report.display(), r.id))
            })
        })
        .collect()
}

/// The server whose restart the supervisor put off last, and by how many ticks, if the
/// restart has not been made yet (`log` is everything the guest printed).
pub fn restart_due(log: &str) -> Option<(String, u64)> {
    let at = log.rfind("supervisor: restarting ")?;
    let line = log[at..].lines().next()?;
    let rest = line.strip_prefix("supervisor: restarting ")?;
    let (name, delay) = rest.split_once(" in ")?;
    let ticks = delay.strip_suffix(" ticks")?.parse().ok()?;
    let done = log[at..].contains(&format!("supervisor: restarted {name} as"));
    (!done).then(|| (name.to_owned(), ticks))
}

#[cfg(test)]
mod tests {
    use super::restart_due;

    #[test]
    fn a_restart_put_off_is_due_until_it_is_made() {
        let put_off = "moat> stress 1\nsupervisor: restarting block in 128 ticks\nstress: 1 files";
        assert_eq!(restart_due(put_off), Some(("block".to_owned(), 128)));
        let made = format!("{put_off}\nsupervisor: restarted block as 5.8\n");
        assert_eq!(restart_due(&made), None);
        assert_eq!(restart_due("supervisor: restarted fs as 6.2\n"), None);
        assert_eq!(restart_due("supervisor: restarting fs in soon\n"), None);
    }
}
