//! The HTML report: the tables and two bar charts as inline SVG, one page with no scripts
//! and no outside resources.

use super::outcome::{Outcome, Record};
use super::report::{Counts, by_flavor, by_kind, summary_line, total};
use std::fmt::Write as _;

/// One fixed colour per outcome: greens for recovered, grey, orange, red, purple.
pub(super) fn colour(outcome: Outcome) -> &'static str {
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

/// What the campaign did around each injection, how to repeat one, and the one exit that
/// needs explaining; docs/faults.md says the same at more length.
const HOW_TO_READ: &str = "\
<h2>How to read this page</h2>
<p>For each injection the campaign armed the fault with the shell's
<code>inject TARGET KIND AFTER SEED</code> (it fires at the target's AFTER+1-th message), then ran
the <b>workload</b> through it: <code>stress 2</code> (two files written, read back and compared
through the file server and the block driver), <code>echo probe-N</code> (a line through the
console and the serial driver) and <code>echo keys</code> typed on the PS/2 keyboard (the
keyboard driver). Then it <b>checked</b> the system: <code>stress 1</code>, an echo on the serial
line and one typed on the keyboard had to work, at the latest on the third try, 2 seconds apart.
Last, <code>fsck.fat -n</code> checked the disk.</p>
<p>Each injection has a <b>replay id</b>, <code>flavour-index-target-kind-moment-seed</code>, such
as <code>micro-17-fs-flipreg-3-0x9a1f22c0</code>. The <b>moment</b> is when the fault fired:
<code>3</code> at the server's fourth wait for a message, <code>@5210</code> midway, after 5,210
of its own instructions, wherever in a request that falls. <code>cargo xtask faults --replay ID</code>
repeats that injection exactly, on a fresh boot (the injections before it in the same boot are
not repeated). The <b>boot</b> column counts the boots of each flavour: several injections share
one while the system comes through them.</p>
<p>The monolithic <code>stack</code> fault ends in a double fault. The built-in service runs
on the kernel's own trap stack, so its pushes run down to the unmapped guard page under it. The
page fault there cannot be delivered on the full stack, so the CPU raises a double fault on a
stack of its own, and the kernel reports it and stops: a kernel crash. In the microkernel the
same fault runs into the unmapped page under the server's own stack, and the kernel stops only
the server.</p>
";

pub fn page(command: &str, records: &[Record]) -> String {
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

    out.push_str(HOW_TO_READ);
    out.push_str("<h2>Outcomes</h2>\n<dl>\n");
    for outcome in Outcome::ALL {
        let _ = writeln!(
            out,
            "<dt>{}{}</dt><dd>{}</dd>",
            swatch(outcome),
            outcome.describe(),
            html_escape(outcome.meaning())
        );
    }
    out.push_str("</dl>\n<ul class=\"legend\">\n");
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
         <th>target</th><th>kind</th><th>moment</th><th>outcome</th><th>boot</th>\
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
            i.moment,
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
