//! The client side of the restart contract. A server is named, not numbered: `Server` looks
//! its task id up by name, and when a call finds the server dead (the kernel answers
//! `DeadTask`), it looks the name up again. A request that is safe to repeat is then sent once
//! more; any other reports `RESTARTED`, because the first attempt may or may not have taken
//! effect.

use core::cell::Cell;
use libipc::SyscallError;
use libipc::TaskId;
use libipc::abi::{FOREVER, Lease};
// LAB 5 BEGIN: what waiting for a restart needs: a task's state, to tell a live one
use libipc::abi::STATE_EXITED;
// LAB 5 STUB
// LAB 5 END
use libipc::sys::{self, IpcError, Message};
use service_api::leases::intact;
use service_api::status::{DAMAGED_REPLY, DENIED, OK, RESTARTED, TIMED_OUT, UNAVAILABLE};

/// Timer ticks a client waits for a dead server to come back before giving up on a request.
pub const RESTART_PATIENCE: u64 = 50;

/// A server, by name.
pub struct Server {
    name: &'static str,
    task: Cell<Option<TaskId>>,
    /// Ticks a call waits for the answer before it gives up with `TIMED_OUT`.
    patience: u64,
    /// Whether its replies carry a seal (`service_api::leases::words`) to check.
    sealed: bool,
}

/// Whether a request may be sent again when the server died while handling it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retry {
    /// Repeating it gives the same result (reads, writes at an offset).
    Safe,
    /// It might already have taken effect (remove, rename).
    Unsafe,
}

impl Server {
    /// A server whose answers are awaited as long as they take (a console read waits for
    /// the user).
    pub const fn new(name: &'static str) -> Self {
        Server { name, task: Cell::new(None), patience: FOREVER, sealed: false }
    }

    /// A server whose answer is given up on after `ticks`, so a server that stopped
    /// answering costs its clients an error, not their life.
    pub const fn answering_within(name: &'static str, ticks: u64) -> Self {
        Server { name, task: Cell::new(None), patience: ticks, sealed: false }
    }

    /// The same server, whose replies are sealed: one that fails its seal was damaged on its
    /// way and is not believed. A request safe to repeat is asked again; any other reports
    /// `DAMAGED_REPLY`, since it may have taken effect.
    pub const fn sealed(self) -> Self {
        Server { sealed: true, ..self }
    }

    /// Calls the server; returns the reply's payload if its status word is `OK`, and the
    /// status otherwise (a server's error, or `RESTARTED`, `UNAVAILABLE`, `DENIED`,
    /// `TIMED_OUT`, `DAMAGED_REPLY`).
    pub fn call(
        &self,
        op: u32,
        payload: [u64; 4],
        leases: &[Lease],
        retry: Retry,
    ) -> Result<[u64; 4], u64> {
        let attempts = if retry == Retry::Safe { 2 } else { 1 };
        for attempt in 0..attempts {
            let task = self.task().ok_or(UNAVAILABLE)?;
            match sys::call_within(task, &Message::new(op, payload), leases, self.patience) {
                Ok(reply) if self.sealed && !intact(reply.message.payload) => {
                    if attempt + 1 == attempts {
                        return Err(DAMAGED_REPLY);
                    }
                }
                Ok(reply) if reply.message.payload[0] == OK => return Ok(reply.message.payload),
                Ok(reply) => return Err(reply.message.payload[0]),
                Err(IpcError::Dead { .. }) => {
                    // LAB 5 BEGIN: the server died holding the request: forget its id, and if another attempt is allowed, wait for its restart (the loop then sends the request again)
                    self.task.set(None);
                    if attempt + 1 < attempts {
                        self.wait_for_restart();
                    }
                    // LAB 5 STUB
                    // // Forget it, so the next call finds the new one; this request is lost.
                    // let _ = attempt;
                    // self.task.set(None);
                    // return Err(RESTARTED);
                    // LAB 5 END
                }
                Err(IpcError::Failed(SyscallError::Denied)) => return Err(DENIED),
                Err(IpcError::Failed(SyscallError::TimedOut)) => return Err(TIMED_OUT),
                Err(IpcError::Failed(_)) => {
                    self.task.set(None);
                    return Err(UNAVAILABLE);
                }
            }
        }
        Err(RESTARTED)
    }

    // LAB 5 BEGIN: wait (at most RESTART_PATIENCE ticks, a tick at a time) until a task of this name is alive again
    /// Waits (at most `RESTART_PATIENCE` ticks) until a task of this name is alive again. The
    /// supervisor runs first and usually restarts a server at once, but a backoff policy makes
    /// it wait a little.
    fn wait_for_restart(&self) {
        for _ in 0..RESTART_PATIENCE {
            let alive = sys::lookup(self.name)
                .ok()
                .and_then(|task| sys::task_status(task.index).ok())
                .is_some_and(|status| status.state < STATE_EXITED);
            if alive {
                return;
            }
            sys::sleep(1);
        }
    }
    // LAB 5 STUB
    // LAB 5 END

    fn task(&self) -> Option<TaskId> {
        if self.task.get().is_none() {
            self.task.set(sys::lookup(self.name).ok());
        }
        self.task.get()
    }
}

/// Raises notification `bits` on the task named `name` (`cached` is its id, if known),
/// looking the name up again once if the task was restarted; returns the id that worked.
pub fn notify_by_name(name: &str, cached: Option<TaskId>, bits: u64) -> Option<TaskId> {
    let mut task = cached.or_else(|| sys::lookup(name).ok())?;
    if sys::notify(task, bits).is_err() {
        task = sys::lookup(name).ok()?;
        sys::notify(task, bits).ok()?;
    }
    Some(task)
}
