//! The campaign's reports: the tables printed at the end, and faults.csv, faults.json and
//! faults.html. The page is self-contained (no JavaScript, no external resources) so that it
//! can be archived or mailed as one file and still open years later.

use super::outcome::{Flavor, KINDS, Outcome, Record};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Outcome counts, indexed by `Outcome as usize` (the order of `Outcome::ALL`).
type Counts = [usize; Outcome::ALL.len()];

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
fn summary_line(flavor: Flavor, counts: &Counts) -> String {
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
    let contents = [csv(records), json(records), html(command, records)];
    for (path, text) in paths.iter().zip(&contents) {
        std::fs::write(path, text).map_err(naming(path))?;
    }
    Ok(paths)
}

fn by_flavor(records: &[Record]) -> BTreeMap<Flavor, Counts> {
    let mut counts: BTreeMap<Flavor, Counts> = BTreeMap::new();
    for r in records {
        counts.entry(r.injection.flavor).or_default()[r.outcome as usize] += 1;
    }
    counts
}

/// Counts per fault kind and flavor: the kinds in `KINDS` order, any others after them by name.
fn by_kind(records: &[Record]) -> Vec<(&str, BTreeMap<Flavor, Counts>)> {
    let mut kinds: BTreeMap<(usize, &str), BTreeMap<Flavor, Counts>> = BTreeMap::new();
    for r in records {
        let kind = r.injection.kind.as_str();
        let rank = KINDS.iter().position(|k| *k == kind).unwrap_or(KINDS.len());
        let flavors = kinds.entry((rank, kind)).or_default();
        flavors.entry(r.injection.flavor).or_default()[r.outcome as usize] += 1;
    }
    kinds.into_iter().map(|((_, kind), counts)| (kind, counts)).collect()
}

fn total(counts: &Counts) -> usize {
    counts.iter().sum()
}

fn csv(records: &[Record]) -> String {
    let mut out =
        String::from("id,flavor,index,target,kind,after,seed,outcome,boot,seconds,detail\n");
    for r in records {
        let i = &r.injection;
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{:#x},{},{},{:.3},{}",
            csv_field(&i.id()),
            i.flavor.name(),
            i.index,
            csv_field(&i.target),
            csv_field(&i.kind),
            i.after,
            i.seed,
            r.outcome.name(),
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

fn json(records: &[Record]) -> String {
    let mut out = String::from("{\n  \"records\": [");
    for (n, r) in records.iter().enumerate() {
        let i = &r.injection;
        // Non-finite numbers are not JSON.
        let seconds =
            if r.seconds.is_finite() { format!("{:.3}", r.seconds) } else { "null".to_owned() };
        // The seed is a hex string, as in the id: a u64 does not fit a JSON reader's double.
        let _ = write!(
            out,
            "{}\n    {{\"id\": {}, \"flavor\": \"{}\", \"index\": {}, \"target\": {}, \
             \"kind\": {}, \"after\": {}, \"seed\": \"{:#x}\", \"outcome\": \"{}\", \"boot\": {}, \
             \"seconds\": {seconds}, \"detail\": {}}}",
            if n == 0 { "" } else { "," },
            json_string(&i.id()),
            i.flavor.name(),
            i.index,
            json_string(&i.target),
            json_string(&i.kind),
            i.after,
            i.seed,
            r.outcome.name(),
            r.boot,
            json_string(&r.detail),
        );
    }
    out.push_str("\n  ],\n  \"summary\": {");
    for (n, (flavor, counts)) in by_flavor(records).iter().enumerate() {
        let fields: Vec<String> = Outcome::ALL
            .iter()
            .map(|o| format!("\"{}\": {}", o.name(), counts[*o as usize]))
            .collect();
        let _ = write!(
            out,
            "{}\n    \"{}\": {{{}, \"total\": {}}}",
            if n == 0 { "" } else { "," },
            flavor.name(),
            fields.join(", "),
            total(counts)
        );
    }
    out.push_str("\n  }\n}\n");
    out
}

fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c < ' ' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// One fixed colour per outcome: greens for recovered, grey, orange, red, purple.
fn colour(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Transparent => "#2e7d32",
        Outcome::VisibleError => "#9ccc65",
        Outcome::ServiceLost => "#9e9e9e",
        Outcome::Hang => "#fb8c00",
        Outcome::KernelCrash => "#d32f2f",
        Outcome::DataCorrupted => "#7b1fa2",
    }
}

/// Text colour that stays readable on `colour(outcome)`.
fn ink(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::VisibleError | Outcome::ServiceLost | Outcome::Hang => "#000",
        _ => "#fff",
    }
}

/// Escapes text for HTML content and attribute values. Control characters other than
/// whitespace (serial logs carry ANSI escapes) are not allowed in HTML, so they become U+FFFD.
fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

fn swatch(outcome: Outcome) -> String {
    format!("<span class=\"swatch\" style=\"background:{}\"></span>", colour(outcome))
}

const STYLE: &str = "\
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
tfoot td { font-weight: bold; }
.swatch { display: inline-block; width: 0.9em; height: 0.9em; margin-right: 0.4em;
  vertical-align: -0.1em; border: 1px solid #0003; }
ul.legend { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 1.2em; }
code { font-size: 0.95em; }
svg text { font-family: system-ui, sans-serif; font-size: 12px; }
";

fn html(command: &str, records: &[Record]) -> String {
    let counts = by_flavor(records);
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>Moat fault-injection campaign</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n\
         <h1>Moat fault-injection campaign</h1>\n<p>command: <code>{}</code></p>\n\
         <p>{} injections.</p>\n",
        html_escape(command),
        records.len()
    );

    out.push_str("<h2>Outcomes</h2>\n<ul class=\"legend\">\n");
    for outcome in Outcome::ALL {
        let _ = writeln!(out, "<li>{}{}</li>", swatch(outcome), outcome.describe());
    }
    out.push_str("</ul>\n<table>\n<thead><tr><th>outcome</th>");
    for flavor in counts.keys() {
        let _ = write!(out, "<th>{}</th>", flavor.name());
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for outcome in Outcome::ALL {
        let _ = write!(out, "<tr><td>{}{}</td>", swatch(outcome), outcome.describe());
        for c in counts.values() {
            let _ = write!(out, "<td class=\"n\">{}</td>", c[outcome as usize]);
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n<tfoot><tr><td>total</td>");
    for c in counts.values() {
        let _ = write!(out, "<td class=\"n\">{}</td>", total(c));
    }
    out.push_str("</tr></tfoot>\n</table>\n<ul>\n");
    for (flavor, c) in &counts {
        let _ = writeln!(out, "<li>{}</li>", html_escape(&summary_line(*flavor, c)));
    }
    out.push_str("</ul>\n");

    out.push_str("<h2>Outcomes per system</h2>\n");
    let rows: Vec<Bar> =
        counts.iter().map(|(f, c)| Bar { group: "", label: f.name(), counts: *c }).collect();
    out.push_str(&bar_chart("outcome counts per system", &rows));

    out.push_str("<h2>Outcomes per fault kind</h2>\n");
    let per_kind = by_kind(records);
    let mut rows = Vec::new();
    for (kind, by_flavor) in &per_kind {
        for flavor in counts.keys() {
            let c = by_flavor.get(flavor).copied().unwrap_or_default();
            rows.push(Bar { group: kind, label: flavor.name(), counts: c });
        }
    }
    out.push_str(&bar_chart("outcome counts per fault kind and system", &rows));

    out.push_str(
        "<h2>Every injection</h2>\n<table>\n<thead><tr><th>replay id</th><th>system</th>\
         <th>target</th><th>kind</th><th>after</th><th>outcome</th><th>boot</th>\
         <th>seconds</th><th>detail</th></tr></thead>\n<tbody>\n",
    );
    for r in records {
        let i = &r.injection;
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td>\
             <td>{}{}</td><td class=\"n\">{}</td><td class=\"n\">{:.1}</td><td>{}</td></tr>",
            html_escape(&i.id()),
            i.flavor.name(),
            html_escape(&i.target),
            html_escape(&i.kind),
            i.after,
            swatch(r.outcome),
            r.outcome.describe(),
            r.boot,
            r.seconds,
            html_escape(&r.detail),
        );
    }
    out.push_str("</tbody>\n</table>\n</body>\n</html>\n");
    out
}

/// One horizontal bar of a chart: its outcome counts stacked left to right, best first.
struct Bar<'a> {
    /// Bars with the same group are drawn together, the group named once; "" for no groups.
    group: &'a str,
    label: &'a str,
    counts: Counts,
}

/// An inline SVG of stacked horizontal bars, all on one scale (the longest bar's total).
fn bar_chart(title: &str, bars: &[Bar]) -> String {
    const ROW: usize = 22;
    const BAR: usize = 16;
    const GAP: usize = 8; // between groups
    const LENGTH: f64 = 560.0; // of the longest bar
    const CHAR: usize = 9; // a generous 12px character width, to size the label columns
    let group_width = bars
        .iter()
        .filter(|b| !b.group.is_empty())
        .map(|b| b.group.len() * CHAR + 12)
        .max()
        .unwrap_or(0);
    let label_width = bars.iter().map(|b| b.label.len() * CHAR + 12).max().unwrap_or(0);
    let x0 = group_width + label_width;
    let longest = bars.iter().map(|b| total(&b.counts)).max().unwrap_or(0).max(1);
    let scale = LENGTH / longest as f64;

    let mut body = String::new();
    let mut y = 4;
    for (n, bar) in bars.iter().enumerate() {
        let first_of_group = n == 0 || bars[n - 1].group != bar.group;
        if n > 0 && first_of_group {
            y += GAP;
        }
        let text_y = y + BAR / 2 + 4;
        if first_of_group && !bar.group.is_empty() {
            let _ = writeln!(
                body,
                "<text x=\"0\" y=\"{text_y}\" font-weight=\"bold\">{}</text>",
                html_escape(bar.group)
            );
        }
        let _ = writeln!(
            body,
            "<text x=\"{group_width}\" y=\"{text_y}\">{}</text>",
            html_escape(bar.label)
        );
        // Hover text: browsers show an SVG <title> as a tooltip, no script needed.
        let name = if bar.group.is_empty() {
            html_escape(bar.label)
        } else {
            html_escape(&format!("{} {}", bar.group, bar.label))
        };
        let mut x = x0 as f64;
        for outcome in Outcome::ALL {
            let count = bar.counts[outcome as usize];
            if count == 0 {
                continue;
            }
            let width = count as f64 * scale;
            let _ = writeln!(
                body,
                "<rect x=\"{x:.1}\" y=\"{y}\" width=\"{width:.1}\" height=\"{BAR}\" fill=\"{}\">\
                 <title>{name}: {count} {}</title></rect>",
                colour(outcome),
                outcome.describe()
            );
            // A count goes inside its segment only where it fits.
            let digits = count.to_string().len();
            if width >= (digits * CHAR + 4) as f64 {
                let _ = writeln!(
                    body,
                    "<text x=\"{:.1}\" y=\"{text_y}\" text-anchor=\"middle\" fill=\"{}\">\
                     {count}</text>",
                    x + width / 2.0,
                    ink(outcome)
                );
            }
            x += width;
        }
        let _ = writeln!(
            body,
            "<text x=\"{:.1}\" y=\"{text_y}\">{}</text>",
            x + 4.0,
            total(&bar.counts)
        );
        y += ROW;
    }
    let width = x0 + LENGTH as usize + 48;
    let height = y + 4;
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{}\">\n<title>{}</title>\n\
         {body}</svg>\n",
        html_escape(title),
        html_escape(title)
    )
}

#[cfg(test)]
mod tests {
    use super::super::outcome::Injection;
    use super::*;

    fn record(flavor: Flavor, index: usize, kind: &str, outcome: Outcome, detail: &str) -> Record {
        Record {
            injection: Injection {
                flavor,
                index,
                target: "fs".into(),
                kind: kind.into(),
                after: 2,
                seed: 0xbeef + index as u64,
            },
            outcome,
            detail: detail.into(),
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
        assert_eq!(lines[0], "id,flavor,index,target,kind,after,seed,outcome,boot,seconds,detail");
        assert_eq!(
            lines[3],
            "micro-2-fs-flipmem-2-0xbef1,micro,2,fs,flipmem,2,0xbef1,visible-error,1,1.250,\
             \"cat: error, \"\"fs\"\" said <EIO>\""
        );
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
    }

    /// Brackets balance outside strings, and strings close.
    fn balanced(json: &str) -> bool {
        let mut stack = Vec::new();
        let mut chars = json.chars();
        while let Some(c) = chars.next() {
            match c {
                '"' => loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => {
                            chars.next();
                        }
                        Some(c) if c < ' ' => return false,
                        Some(_) => {}
                        None => return false,
                    }
                },
                '{' | '[' => stack.push(c),
                '}' if stack.pop() != Some('{') => return false,
                ']' if stack.pop() != Some('[') => return false,
                _ => {}
            }
        }
        stack.is_empty()
    }

    #[test]
    fn json_is_balanced_and_complete() {
        let records = records();
        let json = json(&records);
        assert!(balanced(&json), "{json}");
        for r in &records {
            assert!(json.contains(&format!("\"id\": \"{}\"", r.injection.id())));
        }
        assert!(json.contains(r#""detail": "cat: error, \"fs\" said <EIO>""#));
        assert!(json.contains(r#""detail": "KERNEL PANIC\\ at \u001b[31m\n""#));
        assert!(json.contains(
            "\"micro\": {\"transparent\": 2, \"visible-error\": 1, \"service-lost\": 0, \
             \"hang\": 0, \"kernel-crash\": 1, \"data-corrupted\": 0, \"total\": 4}"
        ));
        assert!(balanced(&super::json(&[])));
        assert!(!balanced("{\"a\": [1}"));
    }

    #[test]
    fn html_has_charts_and_every_outcome() {
        let records = records();
        let html = html("cargo xtask faults --runs 4 --note \"<x>\"", &records);
        assert_eq!(html.matches("<svg").count(), 2);
        assert_eq!(html.matches("</svg>").count(), 2);
        for outcome in Outcome::ALL {
            assert!(html.contains(outcome.describe()), "{}", outcome.describe());
            assert!(html.contains(colour(outcome)));
        }
        for r in &records {
            assert!(html.contains(&format!("<code>{}</code>", r.injection.id())));
        }
        assert!(html.contains("--note &quot;&lt;x&gt;&quot;"));
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
        std::fs::remove_dir_all(dir.parent().unwrap()).unwrap();
    }
}
