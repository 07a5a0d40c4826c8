//! What a server keeps with its supervisor across restarts (`service_api::supervisor::KEEP`
//! and `KEPT`): state it must not lose when it is killed and started afresh, handed back to
//! its successor. In a system without a supervisor (the benchmarks') there is nowhere to keep
//! anything, and keeping costs nothing.

use crate::client::{Retry, Server};
use libipc::abi::Lease;
use libipc::sys;
use service_api::supervisor::{KEEP, KEPT};

/// The supervisor, as the keeper of this server's state.
pub struct Keeper {
    supervisor: Option<Server>,
}

impl Keeper {
    /// Finds the supervisor, if the system has one.
    pub fn new() -> Self {
        let supervisor = sys::lookup("supervisor").is_ok().then(|| Server::new("supervisor"));
        Keeper { supervisor }
    }

    /// Keeps `state` in place of what was kept before. A supervisor that is not there (dead,
    /// or none in this system) is not waited for: the state is then not kept.
    pub fn keep(&self, state: &[u8]) {
        if let Some(supervisor) = &self.supervisor {
            let _ = supervisor.call(KEEP, [0; 4], &[Lease::read(state)], Retry::Unsafe);
        }
    }

    /// Copies what this server kept before into `into`; returns how many bytes (0 if none).
    pub fn kept(&self, into: &mut [u8]) -> usize {
        let Some(supervisor) = &self.supervisor else { return 0 };
        match supervisor.call(KEPT, [0; 4], &[Lease::write(into)], Retry::Unsafe) {
            Ok(reply) => (reply[1] as usize).min(into.len()),
            Err(_) => 0,
        }
    }
}

impl Default for Keeper {
    fn default() -> Self {
        Self::new()
    }
}
