//! `inject`: arm a fault in another task, for fault-isolation experiments (what an armed
//! fault does when it fires is in `research`).

use super::outcome::Outcome;
use super::tasks::managed_target;
use crate::lifecycle::kill;
use crate::research::{hooks, midway};
use crate::research::inject::is_kind;
use crate::research::record::Injection;
use crate::state::Kernel;
use crate::task::TaskState;
use libipc::SyscallError;
use libipc::abi::{INJECT_KILL, InjectMoment, inject_moment};

/// `inject(task, kind, detail)`: arm a fault in a task, to fire at its next message after
/// `detail`'s count of waits (`INJECT_KILL` with no count ends it now), or midway, after
/// `detail`'s count of its instructions (`inject_detail_midway`). Needs the `inject` privilege.
pub fn inject(k: &mut Kernel, caller: usize, task: u64, kind: u64, detail: u64) -> Outcome {
    let privileged = k.tasks[caller].spec.privileges.inject;
    let (index, id) = match managed_target(k, caller, task, privileged) {
        Ok(target) => target,
        Err(refusal) => return refusal,
    };
    log::info!(
        "task {} ({id}): fault {kind} injected by {}",
        k.tasks[index].name,
        k.tasks[caller].name
    );
    if !is_kind(kind) {
        return SyscallError::InvalidArgument.into();
    }
    let (after, seed) = match inject_moment(detail) {
        (InjectMoment::Wait(after), seed) => (after, seed),
        (InjectMoment::Midway(instructions), seed) => {
            return arm_midway(k, index, Injection { kind, after: 0, seed }, instructions);
        }
    };
    let mut injection = Injection { kind, after, seed };
    let kill_now = kind == INJECT_KILL && injection.after == 0;
    if let (Some(service), false) = (k.tasks[index].in_kernel_service(), kill_now) {
        // Built into the kernel: the service fires it itself, in ring 0.
        crate::services::arm(service, injection);
    } else if kill_now {
        kill(k, index);
    } else if matches!(k.tasks[index].state, TaskState::Receiving { .. }) {
        // Already waiting: the message it waits for is the first one.
        if injection.after == 0 {
            let _ = hooks::fire(k, index, injection, "at its receive"); // never `kill` here
        } else {
            injection.after -= 1;
            k.tasks[index].research.arm_injection(injection);
        }
    } else {
        // It fires when the task next waits in `receive`.
        k.tasks[index].research.arm_injection(injection);
    }
    Outcome::Value(0)
}

/// Arms a fault in the task in `index` to fire after `instructions` (at least 1) more of its
/// own instructions: counted by single-stepping a ring-3 task (`research::midway`), or the
/// built-in service's code in ring 0.
fn arm_midway(k: &mut Kernel, index: usize, injection: Injection, instructions: u32) -> Outcome {
    if instructions == 0 {
        return SyscallError::InvalidArgument.into();
    }
    match k.tasks[index].in_kernel_service() {
        Some(service) => crate::services::arm_midway(service, injection, instructions),
        None => midway::arm(k, index, injection, instructions),
    }
    Outcome::Value(0)
}
