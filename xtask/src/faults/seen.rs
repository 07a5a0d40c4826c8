//! What the campaign sees of one injection: the shell's answers to the workload, read for
//! crashes, hangs, errors and wrong data, and the system let come to rest before its disk is
//! judged.

use super::history::restart_due;
use super::session::{PROMPT, Session, Wait};
use crate::qemu;
use std::time::Duration;

/// Text that means the kernel itself went down.
const CRASH_SIGNS: [&str; 3] = ["KERNEL PANIC", "EXCEPTION: ", "double fault"];

/// What one step of the workload showed.
#[derive(Default)]
pub(super) struct Seen {
    pub(super) crashed: bool,
    pub(super) hung: bool,
    pub(super) corrupted: bool,
    pub(super) errors: usize,
    pub(super) fired: bool,
    pub(super) notes: Vec<String>,
}

impl Seen {
    /// Whether the system can still be asked something (it neither crashed nor hung); what
    /// came in since the last wait is taken in first, since it belongs to this injection too
    /// (a fault's log line).
    fn ready_to_ask(&mut self, session: &mut Session) -> bool {
        if self.crashed || self.hung {
            return false;
        }
        let earlier = session.take_pending();
        self.look(&earlier);
        true
    }

    /// Runs `line` at the shell; `good` is what its output must contain.
    pub(super) fn command(
        &mut self,
        session: &mut Session,
        line: &str,
        good: &str,
        patience: Duration,
    ) -> bool {
        if !self.ready_to_ask(session) {
            return false;
        }
        let text = match session.command(line, patience) {
            Wait::Seen(text) => text,
            Wait::Exited(code, text) => {
                self.look(&text);
                self.crashed = true;
                self.notes
                    .push(format!("QEMU exited {} during `{line}`", qemu::describe_exit(code)));
                return false;
            }
            Wait::TimedOut(text) => {
                self.look(&text);
                if self.crashed {
                    return false;
                }
                // No prompt: the system may be stuck, or only the prompt's bytes were lost
                // (a serial driver that died with them queued).
                if self.still_answers(session, &format!("`{line}`"), patience) {
                    self.errors += 1;
                    self.notes.push(format!("`{line}`: output lost"));
                }
                return false;
            }
        };
        self.look(&text);
        if self.crashed {
            return false;
        }
        if text.contains("read back wrong") {
            self.corrupted = true;
            self.notes.push(format!("`{line}`: a checksum did not match"));
        }
        if text.contains(good) {
            return true;
        }
        self.errors += 1;
        let said =
            text.lines().rfind(|l| !l.trim().is_empty() && !l.starts_with(PROMPT.trim_end()));
        self.notes.push(format!("`{line}`: {}", said.unwrap_or("no answer").trim()));
        false
    }

    /// Types `echo WORD` on the PS/2 keyboard and checks the shell ran it.
    pub(super) fn keyboard_echo(
        &mut self,
        session: &mut Session,
        word: &str,
        patience: Duration,
    ) -> bool {
        if !self.ready_to_ask(session) {
            return false;
        }
        let mut keys = vec!["e", "c", "h", "o", "spc"];
        keys.extend(word.split("").filter(|k| !k.is_empty()));
        keys.push("ret");
        session.press_keys(&keys);
        let answer = format!("\n{word}\n");
        // Keys echo within a fraction of a second; a driver that lost them will not echo later.
        match session.wait_for(&answer, patience / 2) {
            Wait::Seen(text) => {
                self.look(&text);
                if let Wait::Seen(text) = session.wait_for(PROMPT, patience) {
                    self.look(&text);
                }
                return true;
            }
            Wait::Exited(_, text) => {
                self.look(&text);
                self.crashed = true;
            }
            Wait::TimedOut(text) => {
                self.look(&text);
                if !self.crashed {
                    self.errors += 1;
                    self.notes.push(format!("`echo {word}` typed on the keyboard: no answer"));
                    // Ctrl-U drops whatever part of the line got through.
                    session.type_serial("\x15");
                    self.still_answers(session, "the keys", patience);
                }
            }
        }
        false
    }

    /// Types an empty line: a prompt in answer shows the system still runs; none means it is
    /// hung (or crashed), after `what`.
    pub(super) fn still_answers(
        &mut self,
        session: &mut Session,
        what: &str,
        patience: Duration,
    ) -> bool {
        match session.command("", patience / 2) {
            Wait::Seen(more) => {
                self.look(&more);
                true
            }
            Wait::Exited(_, more) | Wait::TimedOut(more) => {
                self.look(&more);
                self.hung = !self.crashed;
                self.notes.push(format!("no prompt after {what}"));
                false
            }
        }
    }

    pub(super) fn look(&mut self, text: &str) {
        if CRASH_SIGNS.iter().any(|sign| text.contains(sign)) {
            self.crashed = true;
            self.notes.push("kernel crash".into());
        }
        if text.contains("injected fault")
            && (text.contains("fired") || text.contains("fires in ring 0"))
        {
            self.fired = true;
        }
        if text.contains(" killed") || text.contains("was killed") {
            self.fired = true;
        }
        // The shell announces the fault, then arms it; a refusal comes after.
        if text.contains(": not armed: ") {
            self.notes.push("the fault could not be armed".into());
        }
    }
}

/// Lets the system come to rest before its disk is judged: a restart the supervisor put off
/// (a backoff) is waited for, and then one listing sent to the file server, which first
/// repairs what the dead server's last request left (a write it gave up on while the block
/// driver was away can leave the FAT's two copies different until then).
pub(super) fn settle(session: &mut Session, seen: &mut Seen, patience: Duration) {
    let Some((name, ticks)) = restart_due(&session.log) else { return };
    let wait = Duration::from_millis(ticks * 10) + patience;
    match session.wait_for(&format!("supervisor: restarted {name} as"), wait) {
        Wait::Seen(text) | Wait::TimedOut(text) | Wait::Exited(_, text) => seen.look(&text),
    }
    if let Wait::Seen(text) = session.command("ls", patience) {
        seen.look(&text);
    }
}
