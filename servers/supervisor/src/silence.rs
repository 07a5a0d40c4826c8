//! Servers that stopped answering without running: the pings of each look
//! (`service_api::supervisor::liveness`), and which of the silent ones to kill.

use crate::{WATCHED, Watched};
use libipc::abi::{STATE_AWAITING_REPLY, STATE_SENDING};
use libipc::sys::{self, IpcError, Message};
use libipc::{SyscallError, TaskId};
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

/// The servers found silent at one look. One blocked in a call (sending, or awaiting the
/// reply) may only be waiting on another silent one: the console on a stalled serial driver,
/// the file server on a stalled disk driver. So those blocked on nothing go first, and the
/// callers, woken with `DeadTask`, answer the next ping; only when every silent server is
/// blocked in a call (a cycle, or a wait on a task nobody watches) are they all killed.
pub struct Silent<'a> {
    found: [Option<(&'a str, TaskId, u8, bool)>; WATCHED],
    count: usize,
}

impl<'a> Silent<'a> {
    pub fn new() -> Self {
        Silent { found: [None; WATCHED], count: 0 }
    }

    pub fn add(&mut self, name: &'a str, id: TaskId, looks: u8, state: u64) {
        let in_a_call = state == STATE_SENDING || state == STATE_AWAITING_REPLY;
        if let Some(slot) = self.found.get_mut(self.count) {
            *slot = Some((name, id, looks, in_a_call));
            self.count += 1;
        }
    }

    pub fn kill(&self) {
        let found = || self.found.iter().flatten();
        let all_in_calls = found().all(|&(.., in_a_call)| in_a_call);
        for &(name, id, looks, in_a_call) in found() {
            if in_a_call && !all_in_calls {
                continue; // its turn comes at the next look, if it is still silent then
            }
            println!(
                "{name} ({id}) has not waited for work in {looks} looks and took no ping: \
                 stopped answering; killing it"
            );
            let _ = sys::kill(id);
        }
    }
}
