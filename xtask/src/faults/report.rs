//! The campaign's reports: the tables printed at the end, and faults.csv, faults.json and
//! faults.html. The page is self-contained (no JavaScript, no external resources) so that it
//! can be archived or mailed as one file and still open years later.

use super::outcome::{Flavor, KINDS, Outcome, Record};
use crate::util::to_json;
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Outcome counts, indexed by `Outcome as usize` (the order of `Outcome::ALL`).
pub(super) type Counts = [usize; Outcome::ALL.len()];

/// Outcome counts per flavor: the comparison table printed at the end of a campaign, one column
/// per flavor present in `records`, then a summary line per flavor.
pub fn comparison_table(records: &[Record]) -> String {
    let counts = by_flavor(records);
    if counts.is_empty() {
        return "no injections recorded\n".to_owned();
    }
    let mut lines = vec![row("outcome", counts.keys().map(|f| (f.name(), *f)))];
    for outcome in Outcome::ALL {
        let cells = counts.iter().map(|(f, c)| (c[outcome as usize].to_string(), *f));
        lines.push(row(outcome.describe(), cells));
    }
    lines.push(row("total", counts.iter().map(|(f, c)| (total(c).to_string(), *f))));
    lines.push(String::new());
    lines.extend(counts.iter().map(|(f, c)| summary_line(*f, c)));
    lines.iter().map(|line| format!("{}\n", line.trim_end())).collect()
}

/// One line of the comparison table; each column is as wide as its flavor's name.
fn row<T: std::fmt::Display>(label: &str, cells: impl Iterator<Item = (T, Flavor)>) -> String {
    let mut line = format!("{label:<32}");
    for (cell, flavor) in cells {
        let width = flavor.name().len().max(5);
        let _ = write!(line, "  {cell:>width$}");
    }
    line
}

/// E.g. "micro: 97.5% recovered without reboot, 0 kernel crashes, 0 corrupted".
pub(super) fn summary_line(flavor: Flavor, counts: &Counts) -> String {
    let recovered: usize =
        Outcome::ALL.iter().filter(|o| o.recovered()).map(|o| counts[*o as usize]).sum();
    let crashes = counts[Outcome::KernelCrash as usize];
    format!(
        "{}: {:.1}% recovered without reboot, {crashes} kernel {}, {} corrupted",
        flavor.name(),
        100.0 * recovered as f64 / total(counts).max(1) as f64,
        if crashes == 1 { "crash" } else { "crashes" },
        counts[Outcome::DataCorrupted as usize],
    )
}

/// A short column heading for each outcome, for the per-kind table.
fn abbreviation(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Transparent => "ok",
        Outcome::VisibleError => "error",
        Outcome::ServiceLost => "lost",
        Outcome::Hang => "hang",
        Outcome::KernelCrash => "crash",
        Outcome::DataCorrupted => "corrupt",
    }
}

/// The same counts broken down per fault kind: a row per kind, a group of outcome columns per
/// flavor, a total row, and a key to the abbreviations.
pub fn per_kind_table(records: &[Record]) -> String {
    let flavors: Vec<Flavor> = by_flavor(records).into_keys().collect();
    if flavors.is_empty() {
        return "no injections recorded\n".to_owned();
    }
    // Each cell is " {:>7}", so a flavor's group is 8 columns per outcome after " |".
    let group_width = 8 * Outcome::ALL.len() - 1;
    let mut lines = vec![format!("{:<12}", "")];
    let mut headings = format!("{:<12}", "kind");
    for flavor in &flavors {
        let _ = write!(lines[0], " | {:<group_width$}", flavor.name());
        headings.push_str(" |");
        for outcome in Outcome::ALL {
            let _ = write!(headings, " {:>7}", abbreviation(outcome));
        }
    }
    lines.push(headings);
    let cells = |label: &str, counts: &BTreeMap<Flavor, Counts>| {
        let mut line = format!("{label:<12}");
        for flavor in &flavors {
            line.push_str(" |");
            let c = counts.get(flavor).copied().unwrap_or_default();
            for n in c {
                let _ = write!(line, " {n:>7}");
            }
        }
        line
    };
    for (kind, counts) in by_kind(records) {
        lines.push(cells(kind, &counts));
    }
    lines.push(cells("total", &by_flavor(records)));
    lines.push(String::new());
    let key: Vec<String> =
        Outcome::ALL.iter().map(|o| format!("{} = {}", abbreviation(*o), o.describe())).collect();
    lines.extend(key.chunks(3).map(|chunk| chunk.join(", ")));
    lines.iter().map(|line| format!("{}\n", line.trim_end())).collect()
}

/// Writes faults.csv, faults.json and faults.html into `dir` (created if missing) and returns
/// their paths in that order. `command` is the command line that ran the campaign, shown on the
/// page so that it can be repeated.
pub fn write_reports(
    dir: &Path,
    command: &str,
    records: &[Record],
) -> std::io::Result<[PathBuf; 3]> {
    // io::Error does not say which path failed, and the caller could not tell otherwise.
    let naming = |path: &Path| {
        let path = path.display().to_string();
        move |e: std::io::Error| std::io::Error::new(e.kind(), format!("{path}: {e}"))
    };
    std::fs::create_dir_all(dir).map_err(naming(dir))?;
    let paths = [dir.join("faults.csv"), dir.join("faults.json"), dir.join("faults.html")];
    let contents = [csv(records), json(records), super::html::page(command, records)];
    for (path, text) in paths.iter().zip(&contents) {
        std::fs::write(path, text).map_err(naming(path))?;
    }
    Ok(paths)
}

pub(super) fn by_flavor(records: &[Record]) -> BTreeMap<Flavor, Counts> {
    let mut counts: BTreeMap<Flavor, Counts> = BTreeMap::new();
    for r in records {
        counts.entry(r.injection.flavor).or_default()[r.outcome as usize] += 1;
    }
    counts
}

/// Counts per fault kind and flavor: the kinds in `KINDS` order, any others after them by name.
pub(super) fn by_kind(records: &[Record]) -> Vec<(&str, BTreeMap<Flavor, Counts>)> {
    let mut kinds: BTreeMap<(usize, &str), BTreeMap<Flavor, Counts>> = BTreeMap::new();
    for r in records {
        let kind = r.injection.kind.as_str();
        let rank = KINDS.iter().position(|k| *k == kind).unwrap_or(KINDS.len());
        let flavors = kinds.entry((rank, kind)).or_default();
        flavors.entry(r.injection.flavor).or_default()[r.outcome as usize] += 1;
    }
    kinds.into_iter().map(|((_, kind), counts)| (kind, counts)).collect()
}

pub(super) fn total(counts: &Counts) -> usize {
    counts.iter().sum()
}

fn csv(records: &[Record]) -> String {
    let mut out =
        String::from("id,flavor,index,target,kind,moment,seed,outcome,job,boot,seconds,detail\n");
    for r in records {
        let i = &r.injection;
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{:#x},{},{},{},{:.3},{}",
            csv_field(&i.id()),
            i.flavor.name(),
            i.index,
            csv_field(&i.target),
            csv_field(&i.kind),
            i.moment,
            i.seed,
            r.outcome.name(),
            r.job,
            r.boot,
            r.seconds,
            csv_quote(&r.detail),
        );
    }
    out
}

/// Quotes a field only when it needs it (RFC 4180).
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) { csv_quote(s) } else { s.to_owned() }
}

fn csv_quote(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// faults.json: every record, then the outcome counts per flavor.
#[derive(Serialize)]
struct JsonReport<'a> {
    records: Vec<JsonRecord<'a>>,
    summary: Summary,
}

#[derive(Serialize)]
struct JsonRecord<'a> {
    id: String,
    flavor: &'static str,
    index: usize,
    target: &'a str,
    kind: &'a str,
    /// `3` (at the third wait) or `@1234` (midway, after that many instructions).
    moment: String,
    /// A hex string, as in the id: a u64 does not fit a JSON reader's double.
    seed: String,
    outcome: &'static str,
    job: usize,
    boot: usize,
    /// Null if not finite (not a JSON number).
    seconds: Option<f64>,
    detail: &'a str,
}

/// Per flavor name, the count of each outcome (in `Outcome::ALL` order) and a total.
struct Summary(BTreeMap<Flavor, Counts>);

impl Serialize for Summary {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(
            self.0.iter().map(|(flavor, counts)| (flavor.name(), OutcomeCounts(counts))),
        )
    }
}

/// One flavor's counts, keyed by outcome name; a map rather than a struct so that the keys
/// follow `Outcome::ALL`.
struct OutcomeCounts<'a>(&'a Counts);

impl Serialize for OutcomeCounts<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(Outcome::ALL.len() + 1))?;
        for outcome in Outcome::ALL {
            map.serialize_entry(outcome.name(), &self.0[outcome as usize])?;
        }
        map.serialize_entry("total", &total(self.0))?;
        map.end()
    }
}

fn json(records: &[Record]) -> String {
    let records_out = records
        .iter()
        .map(|r| {
            let i = &r.injection;
            JsonRecord {
                id: i.id(),
                flavor: i.flavor.name(),
                index: i.index,
                target: &i.target,
                kind: &i.kind,
                moment: i.moment.to_string(),
                seed: format!("{:#x}", i.seed),
                outcome: r.outcome.name(),
                job: r.job,
                boot: r.boot,
                // Three decimals, as in the CSV.
                seconds: r.seconds.is_finite().then(|| (r.seconds * 1e3).round() / 1e3),
                detail: &r.detail,
            }
        })
        .collect();
    to_json(&JsonReport { records: records_out, summary: Summary(by_flavor(records)) })
}

#[cfg(test)]
mod tests {
    use super::super::outcome::Injection;
    use super::*;
    use crate::faults::outcome::Moment;

    fn record(flavor: Flavor, index: usize, kind: &str, outcome: Outcome, detail: &str) -> Record {
        Record {
            injection: Injection {
                flavor,
                index,
                target: "fs".into(),
                kind: kind.into(),
                moment: Moment::Wait(2),
                seed: 0xbeef + index as u64,
            },
            outcome,
            detail: detail.into(),
            job: 0,
            boot: index / 2,
            seconds: 1.25,
        }
    }

    fn records() -> Vec<Record> {
        use Flavor::{Micro, Monolithic};
        use Outcome::*;
        vec![
            record(Micro, 0, "kill", Transparent, "restarted"),
            record(Micro, 1, "kill", Transparent, "restarted"),
            record(Micro, 2, "flipmem", VisibleError, "cat: error, \"fs\" said <EIO>"),
            record(Micro, 3, "panic", KernelCrash, "KERNEL PANIC\\ at \u{1b}[31m\n"),
            record(Monolithic, 0, "kill", KernelCrash, "KERNEL PANIC"),
            record(Monolithic, 1, "kill", KernelCrash, "KERNEL PANIC"),
            record(Monolithic, 2, "flipmem", DataCorrupted, "checksum mismatch"),
            record(Monolithic, 3, "panic", Hang, "no prompt"),
        ]
    }

    /// The numbers at the end of the line that starts with `label`.
    fn numbers(table: &str, label: &str) -> Vec<usize> {
        let line = table.lines().find(|l| l.starts_with(label)).expect(label);
        line[label.len()..]
            .split(|c: char| c.is_whitespace() || c == '|')
            .filter(|w| !w.is_empty())
            .map(|w| w.parse().expect(w))
            .collect()
    }

    #[test]
    fn comparison_table_counts() {
        let table = comparison_table(&records());
        let header = table.lines().next().unwrap();
        assert!(header.starts_with("outcome") && header.ends_with("micro  monolithic"));
        assert_eq!(numbers(&table, "recovered transparently"), [2, 0]);
        assert_eq!(numbers(&table, "recovered with a visible error"), [1, 0]);
        assert_eq!(numbers(&table, "service lost"), [0, 0]);
        assert_eq!(numbers(&table, "hang"), [0, 1]);
        assert_eq!(numbers(&table, "kernel crash"), [1, 2]);
        assert_eq!(numbers(&table, "data corrupted"), [0, 1]);
        assert_eq!(numbers(&table, "total"), [4, 4]);
        assert!(
            table.contains("micro: 75.0% recovered without reboot, 1 kernel crash, 0 corrupted\n")
        );
        assert!(table.contains(
            "monolithic: 0.0% recovered without reboot, 2 kernel crashes, 1 corrupted\n"
        ));
        // Only the flavors that ran get a column and a summary line.
        let micro_only: Vec<Record> =
            records().into_iter().filter(|r| r.injection.flavor == Flavor::Micro).collect();
        let table = comparison_table(&micro_only);
        assert!(!table.contains("monolithic"));
        assert_eq!(numbers(&table, "total"), [4]);
        assert_eq!(comparison_table(&[]), "no injections recorded\n");
    }

    #[test]
    fn per_kind_table_counts() {
        let table = per_kind_table(&records());
        // ok error lost hang crash corrupt, micro then monolithic.
        assert_eq!(numbers(&table, "kill"), [2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0]);
        assert_eq!(numbers(&table, "flipmem"), [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        assert_eq!(numbers(&table, "total"), [2, 1, 0, 0, 1, 0, 0, 0, 0, 1, 2, 1]);
        // Kinds in KINDS order: kill, panic, ..., flipmem.
        let kill = table.find("\nkill").unwrap();
        assert!(kill < table.find("\npanic").unwrap());
        assert!(table.find("\npanic").unwrap() < table.find("\nflipmem").unwrap());
        assert!(table.contains("crash = kernel crash"));
    }

    #[test]
    fn csv_quotes_detail() {
        let csv = csv(&records());
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(
            lines[0],
            "id,flavor,index,target,kind,moment,seed,outcome,job,boot,seconds,detail"
        );
        assert_eq!(
            lines[3],
            "micro-2-fs-flipmem-2-0xbef1,micro,2,fs,flipmem,2,0xbef1,visible-error,0,1,1.250,\
             \"cat: error, \"\"fs\"\" said <EIO>\""
        );
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
    }

    #[test]
    fn json_parses_with_every_record_and_the_summary() {
        let mut records = records();
        records[1].seconds = f64::NAN;
        records[2].seconds = 12.34567;
        let json: serde_json::Value = serde_json::from_str(&json(&records)).unwrap();
        let out = json["records"].as_array().unwrap();
        assert_eq!(out.len(), records.len());
        for (r, o) in records.iter().zip(out) {
            assert_eq!(o["id"], r.injection.id());
            assert_eq!(o["detail"], r.detail.as_str());
        }
        let first = serde_json::json!({
            "id": "micro-0-fs-kill-2-0xbeef",
            "flavor": "micro",
            "index": 0,
            "target": "fs",
            "kind": "kill",
            "moment": "2",
            "seed": "0xbeef",
            "outcome": "transparent",
            "job": 0,
            "boot": 0,
            "seconds": 1.25,
            "detail": "restarted",
        });
        assert_eq!(out[0], first);
        assert!(out[1]["seconds"].is_null());
        assert_eq!(out[2]["seconds"], 12.346);
        assert_eq!(out[3]["outcome"], "kernel-crash");
        let micro = serde_json::json!({
            "transparent": 2, "visible-error": 1, "service-lost": 0, "hang": 0,
            "kernel-crash": 1, "data-corrupted": 0, "total": 4,
        });
        assert_eq!(json["summary"]["micro"], micro);
        assert_eq!(json["summary"]["monolithic"]["total"], 4);
        assert_eq!(json["summary"].as_object().unwrap().len(), 2);
        let empty: serde_json::Value = serde_json::from_str(&super::json(&[])).unwrap();
        assert_eq!(empty, serde_json::json!({"records": [], "summary": {}}));
    }

    #[test]
    fn json_keeps_the_order_of_outcomes_and_escapes_strings() {
        let text = json(&records());
        // Keys in Outcome::ALL order, then the total, as readers of the file have seen them.
        let names: Vec<&str> = Outcome::ALL.iter().map(|o| o.name()).collect();
        let mut at = text.find("\"micro\": {").unwrap();
        for key in names.iter().chain(&["total"]) {
            let found = text[at..].find(&format!("\"{key}\":")).expect(key);
            at += found;
        }
        assert!(text.contains(r#""detail": "cat: error, \"fs\" said <EIO>""#));
        assert!(text.contains(r#""detail": "KERNEL PANIC\\ at \u001b[31m\n""#));
        assert!(text.ends_with("}\n"));
    }

    #[test]
    fn html_has_charts_and_every_outcome() {
        let records = records();
        let html = super::super::html::page("cargo xtask faults --runs 4 --note \"<x>\"", &records);
        assert_eq!(html.matches("<svg").count(), 2);
        assert_eq!(html.matches("</svg>").count(), 2);
        for outcome in Outcome::ALL {
            assert!(html.contains(outcome.describe()), "{}", outcome.describe());
            assert!(html.contains(outcome.meaning()), "{outcome:?} is defined");
            assert!(html.contains(super::super::html::colour(outcome)));
        }
        for r in &records {
            assert!(html.contains(&format!("<code>{}</code>", r.injection.id())));
        }
        assert!(html.contains("--note &quot;&lt;x&gt;&quot;"));
        for explained in
            ["the <b>workload</b>", "<b>replay id</b>", "cargo xtask faults --replay ID"]
        {
            assert!(html.contains(explained), "{explained}");
        }
        assert!(html.contains("The monolithic <code>stack</code> fault ends in a double fault"));
        assert!(html.contains("&quot;fs&quot; said &lt;EIO&gt;"));
        assert!(!html.contains("<EIO>") && !html.contains('\u{1b}'));
        assert!(no_external(&html));
    }

    /// The only URL allowed is the SVG namespace, which is a name, not a fetch.
    fn no_external(html: &str) -> bool {
        html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "").matches("http").count() == 0
            && !html.contains("<script")
    }

    #[test]
    fn writes_three_files() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let dir = std::env::temp_dir()
            .join(format!("xtask-faults-report-{}-{nanos}", std::process::id()))
            .join("nested");
        let paths = write_reports(&dir, "cargo xtask faults", &records()).unwrap();
        let names: Vec<_> = paths.iter().map(|p| p.file_name().unwrap().to_owned()).collect();
        assert_eq!(names, ["faults.csv", "faults.json", "faults.html"]);
        for path in &paths {
            assert!(std::fs::metadata(path).unwrap().len() > 0, "{}", path.display());
        }
        let written: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&paths[1]).unwrap()).unwrap();
        assert_eq!(written["records"].as_array().unwrap().len(), records().len());
        std::fs::remove_dir_all(dir.parent().unwrap()).unwrap();
    }
}
