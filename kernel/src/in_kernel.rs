//! The kernel's side of services built into it (the monolithic flavour, see `services`):
//! each has a task slot in state `InKernel`, so `lookup`, `ps`, `kill` and `inject` treat it
//! like a server, but a `call` to it runs the service right here, in ring 0, instead of
//! waking a task. A call the service answers later (a console read waiting for a line)
//! leaves the caller in `AwaitingReply`, exactly as a ring-3 server would.

use crate::delivery::{Lent, raise_notification, write_message};
use crate::lifecycle::kill;
use crate::services::{self, Answer, Host, KernelLeases};
use crate::state::Kernel;
use crate::syscalls::outcome::Outcome;
use crate::task::{Task, TaskName, TaskState};
use crate::trace;
use kernel_core::manifest::{Service as BuiltinService, TaskSpec};
use kernel_core::trace::Kind;
use libipc::{SyscallError, TaskId};

/// Gives the built-in service `spec` names a slot, in manifest order like any task.
#[cfg_attr(feature = "guest-tests", allow(dead_code))] // the system starts them, not tests
pub fn add_service(k: &mut Kernel, spec: &TaskSpec<'static>) -> TaskId {
    let id = TaskId::new(k.tasks.len() as u16, 0);
    let name = TaskName::new(spec.name);
    k.add_task(Task::new(id, spec, name, TaskState::InKernel));
    id
}

/// A `call` from `caller` to the built-in service in slot `service`
/// (kept out of line: the message path of the microkernel never comes here).
#[inline(never)]
pub fn call(
    k: &mut Kernel,
    caller: usize,
    service: usize,
    wants_reply: bool,
) -> Outcome {
    if !wants_reply {
        return SyscallError::InvalidArgument.into(); // a service only answers calls
    }
    k.tasks[service].stats.syscalls += 1; // `ps` shows requests served
    let service_id = k.tasks[service].id;
    let Some(which) = k.tasks[service].in_kernel_service() else {
        return SyscallError::InvalidArgument.into(); // callers come here only for `InKernel`
    };
    let caller_id = k.tasks[caller].id;
    let args = k.tasks[caller].saved.ipc_args();
    let (_, op) = args.target();
    trace::message(&k.tasks, Kind::Call, caller, service, op, &args.payload());
    let answer = services::call(which, k, caller_id, op, args.payload());
    end_stopped_services(k);
    match answer {
        Answer::Now(words) => {
            trace::message(&k.tasks, Kind::Reply, service, caller, 0, &words);
            k.tasks[caller].lease_count = 0;
            write_message(&mut k.tasks[caller].saved, service_id, 0, words, Lent::NONE);
            Outcome::Written
        }
        Answer::Later => {
            let deadline = crate::state::deadline(args.timeout());
            let waiting = TaskState::AwaitingReply { from: service_id, deadline };
            k.sched.park(&mut k.tasks, caller, waiting);
            k.sched.switch_away();
            Outcome::Blocked
        }
        // An injected `skip`: the caller's registers come back as they went in.
        Answer::Skipped => {
            k.tasks[caller].lease_count = 0;
            Outcome::Written
        }
    }
}

/// An interrupt for a built-in driver; false when no built-in service has that line.
pub fn interrupt(k: &mut Kernel, line: u8) -> bool {
    let handled = services::interrupt(line, k);
    end_stopped_services(k);
    handled
}

/// Ends the slots of services that stopped themselves (an injected `kill` that waited
/// for its message), so callers see them gone.
fn end_stopped_services(k: &mut Kernel) {
    while let Some(service) = services::take_stopped() {
        if let Some(index) = service_slot(k, service) {
            kill(k, index);
        }
    }
}

fn service_slot(k: &Kernel, service: BuiltinService) -> Option<usize> {
    k.tasks.iter().position(|t| t.in_kernel_service() == Some(service))
}

impl Host for Kernel {
    fn leases(&self, caller: TaskId) -> Option<KernelLeases<'_>> {
        let task = self.tasks.get(usize::from(caller.index)).filter(|t| t.id == caller)?;
        let space = task.space.as_ref()?;
        Some(KernelLeases::new(&task.leases[..task.lease_count], space))
    }

    fn awaits(&self, caller: TaskId, service: BuiltinService) -> bool {
        let Some(slot) = service_slot(self, service) else { return false };
        let from = self.tasks[slot].id;
        self.tasks
            .get(usize::from(caller.index))
            .is_some_and(|t| t.id == caller && t.state.awaits_reply_from(from))
    }

    fn reply(&mut self, caller: TaskId, service: BuiltinService, words: [u64; 4]) {
        if !self.awaits(caller, service) {
            return; // it died, or was killed, while it waited
        }
        let slot = service_slot(self, service).expect("awaits found it");
        let (from, index) = (self.tasks[slot].id, usize::from(caller.index));
        trace::message(&self.tasks, Kind::Reply, slot, index, 0, &words);
        write_message(&mut self.tasks[index].saved, from, 0, words, Lent::NONE);
        self.tasks[index].lease_count = 0;
        self.sched.make_ready(&mut self.tasks, index);
    }

    fn notify(&mut self, task: TaskId, bits: u64) {
        if let Ok(index) = self.resolve(task) {
            raise_notification(self, index, bits);
        }
    }
}
