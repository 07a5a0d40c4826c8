//! The scheduler's side of services built into the kernel (the monolithic flavour, see
//! `services`): each has a task slot in state `InKernel`, so `lookup`, `ps`, `kill` and
//! `inject` treat it like a server, but a `call` to it runs the service right here, in ring 0,
//! instead of waking a task. A call the service answers later (a console read waiting for a
//! line) leaves the caller in `AwaitingReply`, exactly as a ring-3 server would.

use super::Scheduler;
use super::ipc::Outcome;
use crate::arch::TrapFrame;
use crate::services::{self, Answer, Kernel, KernelLeases};
use crate::task::{Task, TaskName, TaskState};
use kernel_core::manifest::TaskSpec;
use libipc::abi::{pack_target, unpack_target};
use libipc::{SyscallError, TaskId};

impl Scheduler {
    /// Gives the built-in service `spec` names a slot, in manifest order like any task.
    #[cfg_attr(feature = "guest-tests", allow(dead_code))] // the system starts them, not tests
    pub fn add_builtin(&mut self, spec: &TaskSpec<'static>) -> TaskId {
        let id = TaskId::new(self.tasks.len() as u16, 0);
        self.tasks.push(Task::new(id, spec, TaskName::new(spec.name), TaskState::InKernel));
        id
    }

    /// A `call` from the running task to the built-in service in slot `service` (kept out of
    /// line: the message path of the microkernel never comes here).
    #[inline(never)]
    pub(super) fn call_builtin(
        &mut self,
        service: usize,
        live: &mut TrapFrame,
        wants_reply: bool,
    ) -> Outcome {
        let me = self.current;
        if !wants_reply {
            return SyscallError::InvalidArgument.into(); // a service only answers calls
        }
        self.tasks[service].stats.syscalls += 1; // `ps` shows requests served
        let (service_id, name) = (self.tasks[service].id, self.tasks[service].name);
        let caller = self.tasks[me].id;
        let (_, op) = unpack_target(live.rdi);
        let payload = [live.rsi, live.rdx, live.r10, live.r8];
        let answer = services::call(name.as_bytes(), self, caller, op, payload);
        self.end_stopped_services();
        match answer {
            Answer::Now(words) => {
                self.tasks[me].lease_count = 0;
                write_reply(live, service_id, words);
                Outcome::Written
            }
            Answer::Later => {
                self.tasks[me].state = TaskState::AwaitingReply { from: service_id };
                self.switch_pending = true;
                Outcome::Blocked
            }
            // An injected `skip`: the caller's registers come back as they went in.
            Answer::Skipped => {
                self.tasks[me].lease_count = 0;
                Outcome::Written
            }
        }
    }

    /// An interrupt for a built-in driver; false when no built-in service has that line.
    pub(super) fn builtin_interrupt(&mut self, line: u8) -> bool {
        let handled = services::interrupt(line, self);
        self.end_stopped_services();
        handled
    }

    /// Ends the slots of services that stopped themselves (an injected `kill` that waited
    /// for its message), so callers see them gone.
    fn end_stopped_services(&mut self) {
        while let Some(name) = services::take_stopped() {
            if let Some(index) = self.builtin_slot(name.as_bytes()) {
                self.kill(index);
            }
        }
    }

    fn builtin_slot(&self, name: &[u8]) -> Option<usize> {
        self.tasks.iter().position(|t| t.state == TaskState::InKernel && t.name.as_bytes() == name)
    }
}

impl Kernel for Scheduler {
    fn leases(&self, caller: TaskId) -> Option<KernelLeases<'_>> {
        let task = self.tasks.get(usize::from(caller.index)).filter(|t| t.id == caller)?;
        let space = task.space.as_ref()?;
        Some(KernelLeases::new(&task.leases[..task.lease_count], space))
    }

    fn awaits(&self, caller: TaskId, service: &[u8]) -> bool {
        let Some(slot) = self.builtin_slot(service) else { return false };
        let from = self.tasks[slot].id;
        self.tasks
            .get(usize::from(caller.index))
            .is_some_and(|t| t.id == caller && t.state == TaskState::AwaitingReply { from })
    }

    fn reply(&mut self, caller: TaskId, service: &[u8], words: [u64; 4]) {
        if !self.awaits(caller, service) {
            return; // it died, or was killed, while it waited
        }
        let from = self.tasks[self.builtin_slot(service).expect("awaits found it")].id;
        let index = usize::from(caller.index);
        write_reply(&mut self.tasks[index].saved, from, words);
        self.tasks[index].lease_count = 0;
        self.make_ready(index);
    }

    fn notify(&mut self, task: TaskId, bits: u64) {
        if let Ok(index) = self.resolve(task) {
            self.raise_notification(index, bits);
        }
    }
}

/// A reply as `call` returns it: status 0, the service as sender (operation 0), the four
/// payload words, no leases.
fn write_reply(registers: &mut TrapFrame, service: TaskId, words: [u64; 4]) {
    registers.rax = 0;
    registers.rdi = pack_target(service, 0);
    (registers.rsi, registers.rdx, registers.r10, registers.r8) =
        (words[0], words[1], words[2], words[3]);
    registers.r9 = 0;
}
