//! Reading the text form of the kernel's IPC trace (`kernel_core::trace`) back into events:
//! `TIME KIND FROM -> TO  DETAILS`, where a party is `kernel` or `name#index.generation`.
//! Lines of any other shape (the command's echo, the prompt) are not events and are skipped.

/// One side of an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Party {
    /// The task's name, or `kernel`.
    pub name: String,
    /// `index.generation`; empty for the kernel.
    pub id: String,
}

impl Party {
    fn parse(word: &str) -> Option<Party> {
        if word == "kernel" {
            return Some(Party { name: word.to_owned(), id: String::new() });
        }
        let (name, id) = word.split_once('#')?;
        let (index, generation) = id.split_once('.')?;
        let numbers = [index, generation].iter().all(|n| n.parse::<u16>().is_ok());
        (!name.is_empty() && numbers).then(|| Party { name: name.to_owned(), id: id.to_owned() })
    }

    pub fn is_kernel(&self) -> bool {
        self.id.is_empty()
    }

    /// As the trace writes it.
    pub fn label(&self) -> String {
        if self.is_kernel() { self.name.clone() } else { format!("{}#{}", self.name, self.id) }
    }
}

/// One line of the trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// Time-stamp counter ticks since tracing began.
    pub time: u64,
    /// `call`, `send`, `reply`, `notify`, `interrupt`, `error`, `start`, `kill`, `fault`, `end`.
    pub kind: String,
    pub from: Party,
    pub to: Party,
    /// What follows the parties: `op 1 [2048 0], 512 bytes`, `irq 14`, `page fault`.
    pub details: String,
}

/// What a message's details say: `op N [FIRST SECOND]`, then `, B bytes` if any were lent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Message {
    pub op: u64,
    pub words: [u64; 2],
    pub bytes: u64,
}

impl Event {
    /// The operation, payload words and bytes of a call, send or reply.
    pub fn message(&self) -> Option<Message> {
        let rest = self.details.strip_prefix("op ")?;
        let (op, rest) = rest.split_once(" [")?;
        let (words, rest) = rest.split_once(']')?;
        let (first, second) = words.split_once(' ')?;
        let bytes = match rest.strip_prefix(", ") {
            Some(lent) => lent.strip_suffix(" bytes")?.parse().ok()?,
            None if rest.is_empty() => 0,
            None => return None,
        };
        let words = [first.parse().ok()?, second.parse().ok()?];
        Some(Message { op: op.parse().ok()?, words, bytes })
    }
}

/// The kinds of event the kernel records.
pub const KINDS: [&str; 10] =
    ["call", "send", "reply", "notify", "interrupt", "error", "start", "kill", "fault", "end"];

/// The events in `text`, in order.
pub fn events(text: &str) -> Vec<Event> {
    text.lines().filter_map(event).collect()
}

/// The event on `line`, if it is one.
pub fn event(line: &str) -> Option<Event> {
    let mut words = line.split_whitespace();
    let time = words.next()?.parse().ok()?;
    let kind = words.next().filter(|kind| KINDS.contains(kind))?.to_owned();
    let from = Party::parse(words.next()?)?;
    if words.next()? != "->" {
        return None;
    }
    let to = Party::parse(words.next()?)?;
    let details = words.collect::<Vec<_>>().join(" ");
    Some(Event { time, kind, from, to, details })
}

/// One expected event: its kind and the names of its two parties.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    pub kind: &'static str,
    pub from: &'static str,
    pub to: &'static str,
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "{} {} -> {}", self.kind, self.from, self.to)
    }
}

/// The first of `steps` not found in `events` after the previous one (other events may come
/// between), if any.
pub fn missing_step(events: &[Event], steps: &[Step]) -> Option<Step> {
    let mut rest = events.iter();
    steps.iter().copied().find(|step| {
        !rest.any(|e| e.kind == step.kind && e.from.name == step.from && e.to.name == step.to)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "moat> trace show
   1253330 call      shell#3.0 -> fs#6.0  op 1 [0 0], 10 bytes
   7054710 call      fs#6.0 -> block#5.0  op 1 [2048 0], 512 bytes
   9729097 interrupt kernel -> block#5.0  irq 14
  11978019 reply     block#5.0 -> fs#6.0  op 0 [0 1]
  12000000 fault     fs#6.0 -> kernel  page fault
  12000001 start     supervisor#0.0 -> fs#6.1
moat> ";

    #[test]
    fn lines_become_events_and_the_rest_is_skipped() {
        let events = events(SAMPLE);
        assert_eq!(events.len(), 6);
        let irq = &events[2];
        assert_eq!(
            (irq.time, irq.kind.as_str(), irq.details.as_str()),
            (9729097, "interrupt", "irq 14")
        );
        assert!(irq.from.is_kernel());
        assert_eq!(irq.to, Party { name: "block".into(), id: "5.0".into() });
        assert_eq!(events[0].details, "op 1 [0 0], 10 bytes");
        let message = |op, words, bytes| Some(Message { op, words, bytes });
        assert_eq!(events[1].message(), message(1, [2048, 0], 512));
        assert_eq!(events[3].message(), message(0, [0, 1], 0));
        assert_eq!(irq.message(), None);
        assert_eq!(events[5].to.label(), "fs#6.1");
        assert_eq!(events[4].to.label(), "kernel");
    }

    #[test]
    fn malformed_lines_are_not_events() {
        for line in [
            "12 call shell#3.0 fs#6.0",
            "12 jump shell#3.0 -> fs#6.0",
            "x call shell#3.0 -> fs#6.0",
            "12 call shell#3 -> fs#6.0",
            "12 call #3.0 -> fs#6.0",
            "12 call shell#3.0 -> fs#70000.0",
            "(3 earlier events overwritten)",
        ] {
            assert_eq!(event(line), None, "{line}");
        }
    }

    #[test]
    fn steps_must_come_in_order() {
        let events = events(SAMPLE);
        let step = |kind, from, to| Step { kind, from, to };
        let read = [step("call", "shell", "fs"), step("interrupt", "kernel", "block")];
        assert_eq!(missing_step(&events, &read), None);
        let backwards = [step("interrupt", "kernel", "block"), step("call", "shell", "fs")];
        assert_eq!(missing_step(&events, &backwards), Some(backwards[1]));
        let absent = [step("reply", "fs", "shell")];
        assert_eq!(missing_step(&events, &absent), Some(absent[0]));
    }
}
