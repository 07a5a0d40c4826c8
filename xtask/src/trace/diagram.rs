//! A trace drawn as a sequence diagram in SVG: a lifeline per task (a restarted server keeps
//! its name's lifeline, and the new id is marked where it starts), then one row per event
//! from top to bottom, in the order the kernel recorded them. Messages are arrows, replies
//! dashed; interrupts come from the kernel's lifeline; faults and ends are crosses. Hovering
//! over a row shows the trace line it was drawn from.

use super::ops;
use super::parse::{Event, Party};
use std::fmt::Write as _;

/// Left margin, where the time column is.
const LEFT: usize = 120;
/// Between two lifelines.
const COLUMN: usize = 180;
/// From the top to the first event's row.
const TOP: usize = 110;
/// Between two events.
const ROW: usize = 26;
const BOTTOM: usize = 40;

/// What each kind of event looks like: its colour, and the line's dash pattern.
fn style(kind: &str) -> (&'static str, &'static str) {
    match kind {
        "call" | "send" => ("#1f5fbf", ""),
        "reply" => ("#2e7d32", "6 4"),
        "notify" => ("#7b1fa2", "2 3"),
        "interrupt" => ("#e65100", ""),
        "error" => ("#c62828", "6 4"),
        "kill" | "fault" => ("#c62828", ""),
        _ => ("#333333", ""),
    }
}

/// The lifelines: the kernel first, then each task name in the order it first appears.
fn lifelines(events: &[Event]) -> Vec<String> {
    let mut names = vec!["kernel".to_owned()];
    for party in events.iter().flat_map(|e| [&e.from, &e.to]) {
        if !names.contains(&party.name) {
            names.push(party.name.clone());
        }
    }
    names
}

/// The SVG document for `events`, titled `title`.
pub fn draw(title: &str, events: &[Event]) -> String {
    let lines = lifelines(events);
    let x_of = |party: &Party| {
        let column = lines.iter().position(|name| *name == party.name).unwrap_or(0);
        LEFT + COLUMN / 2 + column * COLUMN
    };
    let width = LEFT + lines.len() * COLUMN + 20;
    let bottom = TOP + events.len() * ROW;
    let height = bottom + BOTTOM;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">
<defs>
"##
    );
    for colour in ["#1f5fbf", "#2e7d32", "#7b1fa2", "#e65100", "#c62828", "#333333"] {
        let id = &colour[1..];
        let _ = writeln!(
            svg,
            r#"<marker id="head-{id}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>"#
        );
    }
    let _ = writeln!(
        svg,
        r##"</defs>
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="16" y="26" font-size="16" font-weight="bold">{}</text>
<text x="16" y="46" fill="#555555">{} events; time in time-stamp counter ticks since tracing began. Calls solid, replies dashed, notifications dotted, interrupts orange, faults red.</text>"##,
        escape(title),
        events.len()
    );
    for (column, name) in lines.iter().enumerate() {
        let x = LEFT + COLUMN / 2 + column * COLUMN;
        let ids = ids_of(events, name);
        let _ = writeln!(
            svg,
            r##"<g><rect x="{}" y="60" width="{}" height="34" rx="4" fill="#eef2f8" stroke="#1f3b66"/><text x="{x}" y="76" text-anchor="middle" font-weight="bold">{}</text><text x="{x}" y="89" text-anchor="middle" font-size="10" fill="#555555">{}</text><line x1="{x}" y1="94" x2="{x}" y2="{bottom}" stroke="#9aa5b1" stroke-dasharray="4 4"/></g>"##,
            x - COLUMN / 2 + 12,
            COLUMN - 24,
            escape(name),
            escape(&ids),
        );
    }
    for (row, event) in events.iter().enumerate() {
        let y = TOP + row * ROW;
        let _ = write!(
            svg,
            r##"<g><title>{}</title><text x="{}" y="{}" text-anchor="end" font-size="10" fill="#777777">{}</text>"##,
            escape(&line_of(event)),
            LEFT - 8,
            y + 4,
            event.time
        );
        draw_event(&mut svg, event, y, x_of(&event.from), x_of(&event.to));
        svg.push_str("</g>\n");
    }
    svg.push_str("</svg>\n");
    svg
}

fn draw_event(svg: &mut String, event: &Event, y: usize, from: usize, to: usize) {
    let (colour, dash) = style(&event.kind);
    let head = &colour[1..];
    match event.kind.as_str() {
        "fault" | "end" => {
            let _ = write!(
                svg,
                r#"<path d="M{} {} l12 12 M{} {} l-12 12" stroke="{colour}" stroke-width="3"/><text x="{}" y="{}" fill="{colour}">{} {}</text>"#,
                from - 6,
                y - 6,
                from + 6,
                y - 6,
                from + 12,
                y + 4,
                escape(&event.kind),
                escape(&event.details),
            );
        }
        "start" => {
            let _ = write!(
                svg,
                r##"<line x1="{from}" y1="{y}" x2="{}" y2="{y}" stroke="{colour}" stroke-width="1.5" marker-end="url(#head-{head})"/><rect x="{}" y="{}" width="84" height="18" rx="9" fill="#e8f5e9" stroke="#2e7d32"/><text x="{to}" y="{}" text-anchor="middle" font-size="11">start {}</text>"##,
                toward(from, to, 42),
                to - 42,
                y - 9,
                y + 4,
                escape(&event.to.id),
            );
        }
        _ => {
            let label = label_of(event);
            let _ = write!(
                svg,
                r#"<line x1="{from}" y1="{y}" x2="{}" y2="{y}" stroke="{colour}" stroke-width="1.5" stroke-dasharray="{dash}" marker-end="url(#head-{head})"/><text x="{}" y="{}" text-anchor="middle" font-size="11" fill="{colour}">{}</text>"#,
                toward(from, to, 0),
                (from + to) / 2,
                y - 4,
                escape(&label),
            );
        }
    }
}

/// `to`, or `gap` short of it on the side `from` comes from (for the start marker's box).
fn toward(from: usize, to: usize, gap: usize) -> usize {
    if from < to { to - gap } else { to + gap }
}

/// The words above an arrow. A message to or from one of the system's servers says what it
/// means (`READ [192 0] 202 B`, `reply ok, 192`); any other says what the trace says.
fn label_of(event: &Event) -> String {
    let Some(message) = event.message() else {
        return format!("{} {}", event.kind, event.details).trim_end().to_owned();
    };
    let [first, second] = message.words;
    let lent = match message.bytes {
        0 => String::new(),
        bytes => format!(" {bytes} B"),
    };
    if event.kind == "reply" {
        if ops::is_server(&event.from.name) {
            return format!("reply {}, {second}", ops::status(first));
        }
    } else if let Some(name) = ops::operation(&event.to.name, message.op) {
        return format!("{name} [{first} {second}]{lent}");
    }
    format!("{} op {} [{first} {second}]{lent}", event.kind, message.op)
}

/// The ids a lifeline's task had, in order: `6.0, 6.1` for a server restarted once.
fn ids_of(events: &[Event], name: &str) -> String {
    let mut ids: Vec<&str> = Vec::new();
    for party in events.iter().flat_map(|e| [&e.from, &e.to]) {
        if party.name == name && !party.is_kernel() && !ids.contains(&party.id.as_str()) {
            ids.push(&party.id);
        }
    }
    ids.join(", ")
}

/// The trace line an event was read from.
fn line_of(event: &Event) -> String {
    format!(
        "{} {} {} -> {}  {}",
        event.time,
        event.kind,
        event.from.label(),
        event.to.label(),
        event.details
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::super::parse::events;
    use super::*;

    const READ: &str = "\
   100 call      shell#3.0 -> fs#6.0  op 1 [0 0], 10 bytes
   200 call      fs#6.0 -> block#5.0  op 1 [2048 0], 512 bytes
   300 interrupt kernel -> block#5.0  irq 14
   400 reply     block#5.0 -> fs#6.0  op 0 [0 1]
   500 fault     fs#6.0 -> kernel  page fault
   600 start     supervisor#0.0 -> fs#6.1
   700 reply     fs#6.1 -> shell#3.0  op 0 [5 0]
   800 call      client#7.0 -> echo#8.0  op 3 [1 2]
";

    #[test]
    fn every_event_is_a_row_and_every_task_a_lifeline() {
        let events = events(READ);
        let svg = draw("cat <README> & more", &events);
        assert!(svg.starts_with("<?xml"));
        assert!(svg.contains("cat &lt;README&gt; &amp; more"), "the title is escaped");
        assert_eq!(svg.matches("<title>").count(), events.len());
        for name in ["kernel", "shell", "fs", "block", "supervisor", "client", "echo"] {
            assert!(svg.contains(&format!(r#"font-weight="bold">{name}</text>"#)), "{name}");
        }
        assert!(svg.contains(">6.0, 6.1</text>"), "the restarted server's ids on its lifeline");
        assert!(svg.contains(">STAT [0 0] 10 B</text>"), "a server's operation by name");
        assert!(svg.contains(">READ [2048 0] 512 B</text>"));
        assert!(svg.contains(">reply ok, 1</text>"), "a server's reply by its status");
        assert!(svg.contains(">reply no such file or directory, 0</text>"));
        assert!(svg.contains(">call op 3 [1 2]</text>"), "another task's message as it is");
        assert!(svg.contains(">fault page fault</text>"));
        assert!(svg.contains(">start 6.1</text>"));
        assert_eq!(svg.matches("<g>").count(), svg.matches("</g>").count());
    }

    #[test]
    fn arrows_run_between_the_right_lifelines() {
        let events = events(READ);
        let svg = draw("t", &events);
        // kernel, shell, fs, block, supervisor: x = 120 + 90 + column * 180.
        let (shell, fs, kernel, block) = (390, 570, 210, 750);
        assert!(svg.contains(&format!(r#"<line x1="{shell}" y1="110" x2="{fs}" y2="110""#)));
        assert!(svg.contains(&format!(r#"<line x1="{kernel}" y1="162" x2="{block}" y2="162""#)));
        assert!(svg.contains(&format!(r#"<line x1="{block}" y1="188" x2="{fs}" y2="188""#)));
        assert!(svg.contains(r#"stroke-dasharray="6 4""#), "a reply is dashed");
    }

    #[test]
    fn an_empty_trace_is_still_a_document() {
        let svg = draw("nothing", &[]);
        assert!(svg.contains("0 events"));
        assert!(svg.trim_end().ends_with("</svg>"));
    }
}
