//! `inject`: arm a fault in another task, for fault-isolation experiments (what an armed
//! fault does when it fires is in `research`).

use super::outcome::Outcome;
use super::tasks::managed_target;
use crate::lifecycle::kill;
use crate::research::inject::is_kind;
use crate::research::mutate;
use crate::research::record::Injection;
use crate::research::{hooks, midway};
use crate::state::Kernel;
use crate::task::TaskState;
use crate::usercopy::{UserSlice, copy_from_user};
use libipc::SyscallError;
use libipc::abi::{INJECT_KILL, InjectMoment, MUTATION_MAX, inject_moment};

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

/// `inject(task, INJECT_MUTATE, at, bytes, length)`: writes the caller's `length` bytes
/// over the task's code at `at` (`research::mutate`), at once. Needs the `inject`
/// privilege. `InvalidArgument` for a length of 0 or more than `MUTATION_MAX`, or bytes not
/// all in the task's code; `BadAddress` for a `bytes` the caller cannot lend.
pub fn mutate(
    k: &mut Kernel,
    caller: usize,
    task: u64,
    at: u64,
    bytes: u64,
    length: u64,
) -> Outcome {
    let privileged = k.tasks[caller].spec.privileges.inject;
    let (index, id) = match managed_target(k, caller, task, privileged) {
        Ok(target) => target,
        Err(refusal) => return refusal,
    };
    if length == 0 || length > MUTATION_MAX as u64 {
        return SyscallError::InvalidArgument.into();
    }
    let mut buffer = [0u8; MUTATION_MAX];
    let patch = &mut buffer[..length as usize];
    if let Err(error) = copy_from_user(k.space_of(caller), UserSlice::new(bytes, length), patch) {
        return error.into();
    }
    let target = &k.tasks[index];
    let written = match (target.in_kernel_service(), target.space.as_ref()) {
        (Some(_), _) => mutate::into_kernel(at, patch),
        (None, Some(space)) => mutate::into_task(space, target.research.code.clone(), at, patch),
        (None, None) => Err(SyscallError::InvalidArgument),
    };
    if let Err(error) = written {
        return error.into();
    }
    mutate::watch(target.in_kernel_service().is_none().then_some(id), at);
    log::info!(
        "task {} ({id}): injected fault mutate: {length} bytes of its code at {at:#x} \
         changed by {}; they do their damage when that code runs",
        target.name,
        k.tasks[caller].name
    );
    Outcome::Value(0)
}
