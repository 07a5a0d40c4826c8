//! Servers that stopped answering without running: the pings of each look
//! (`service_api::supervisor::liveness`), and which of the silent ones to kill.

use crate::{WATCHED, Watched};
use libipc::abi::{STATE_AWAITING_REPLY, STATE_SENDING};
use libipc::sys::{self, IpcError, Message};
use libipc::{SyscallError, TaskId};
use service_api::supervisor::blame::{self, Blame};
use service_api::supervisor::liveness::{self, Next, Ping};
use ulib::println;

/// One liveness look at `server` (`id`), pinging it if it has been quiet too long; true when it
/// has stopped answering.
pub fn stopped_answering(server: &mut Watched, waiting: bool, id: TaskId) -> bool {
    if server.liveness.look(waiting) == Next::Nothing {
        return false;
    }
    let ping = Message::new(liveness::PING, [0; 4]);
    let answer = match sys::send(id, &ping, liveness::PING_WAIT) {
        Ok(()) => Ping::Taken,
        Err(IpcError::Failed(SyscallError::Denied)) => Ping::Refused,
        Err(IpcError::Dead { .. }) => return false, // its end is reported and handled anyway
        Err(_) => Ping::Missed,
    };
    server.liveness.pinged(answer)
}

/// The watched servers as one look saw them, and which of them were silent; `kill` decides
/// (`service_api::supervisor::blame`) and kills.
pub struct Silent<'a> {
    found: [Option<(&'a str, u8, blame::Silent)>; WATCHED],
    count: usize,
    /// Every watched server seen: name, id, and whether it waited for work.
    seen: [Option<(&'a str, u64, bool)>; WATCHED],
    seen_count: usize,
}

impl<'a> Silent<'a> {
    pub fn new() -> Self {
        Silent { found: [None; WATCHED], count: 0, seen: [None; WATCHED], seen_count: 0 }
    }

    /// A watched server as the look saw it.
    pub fn saw(&mut self, name: &'a str, id: TaskId, waiting: bool) {
        if let Some(slot) = self.seen.get_mut(self.seen_count) {
            *slot = Some((name, id.to_raw(), waiting));
            self.seen_count += 1;
        }
    }

    /// A server found silent, in state `state`, blocked on `partner` (`TaskStatus::partner`).
    pub fn add(&mut self, name: &'a str, id: TaskId, looks: u8, state: u64, partner: u64) {
        let in_a_call = state == STATE_SENDING || state == STATE_AWAITING_REPLY;
        let silent = blame::Silent { id: id.to_raw(), blocked_on: in_a_call.then_some(partner) };
        if let Some(slot) = self.found.get_mut(self.count) {
            *slot = Some((name, looks, silent));
            self.count += 1;
        }
    }

    pub fn kill(&self) {
        let mut found = [blame::Silent { id: 0, blocked_on: None }; WATCHED];
        self.found.iter().flatten().zip(&mut found).for_each(|(f, slot)| *slot = f.2);
        let found = &found[..self.count];
        let seen = || self.seen.iter().flatten();
        let waits_for_work = |id| seen().any(|&(_, seen, waiting)| seen == id && waiting);
        let name_of = |id| seen().find(|s| s.1 == id).map_or("?", |s| s.0);
        let looks_of = |id| self.found.iter().flatten().find(|f| f.2.id == id).map_or(0, |f| f.1);
        blame::judge(found, waits_for_work, |raw, why| {
            let Some(id) = TaskId::from_raw(raw) else { return };
            let name = name_of(raw);
            match why {
                Blame::Silent => println!(
                    "{name} ({id}) has not waited for work in {} looks and took no ping: \
                     stopped answering; killing it",
                    looks_of(raw)
                ),
                Blame::Holds(caller) => println!(
                    "{name} ({id}) waits for work while {} has waited on its call for {} \
                     looks: it holds the call and does not answer; killing it",
                    name_of(caller),
                    looks_of(caller)
                ),
            }
            let _ = sys::kill(id);
        });
    }
}
