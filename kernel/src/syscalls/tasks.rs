//! Task management: finding tasks, their status and fault records, killing and restarting
//! them. The privileged calls check what the manifest granted the caller.

use super::outcome::Outcome;
use crate::lifecycle::{self, spawn_into};
use crate::state::Kernel;
use crate::task::TaskState;
use crate::trace;
use crate::usercopy::{UserSlice, copy_from_user, copy_value_to_user};
use kernel_core::manifest::MAX_NAME_LEN;
use libipc::abi::{
    ANY_TASK, FaultInfo, STATE_AWAITING_REPLY, STATE_EXITED, STATE_FAULTED, STATE_IN_KERNEL,
    STATE_KILLED, STATE_READY, STATE_RECEIVING, STATE_SENDING, STATE_SLEEPING, TASK_EXITED,
    TASK_FAULTED, TASK_KILLED, TASK_RUNNING, TaskStatus,
};
use libipc::{SyscallError, TaskId};

/// `restart(task)`: kill the task in that slot if it still runs, and start it afresh from
/// its boot image under the next generation. Needs the `restart` privilege.
pub fn restart(k: &mut Kernel, caller: usize, task: u64) -> Outcome {
    if !k.tasks[caller].spec.privileges.restart {
        return SyscallError::Denied.into();
    }
    let Some(id) = TaskId::from_raw(task) else { return SyscallError::InvalidArgument.into() };
    let Some(slot) = k.tasks.get(usize::from(id.index)) else {
        return SyscallError::NoSuchTask.into();
    };
    // The id must name the slot's task now, or the one that just ended there (whose id
    // the kernel already moved to the next generation); an older id is stale.
    let ended_just_now =
        !slot.state.is_alive() && slot.id.generation == id.generation.wrapping_add(1);
    if slot.id != id && !ended_just_now {
        return (SyscallError::DeadTask, slot.id.to_raw()).into();
    }
    let index = usize::from(id.index);
    if let Err(refusal) = may_manage(k, caller, index) {
        return refusal;
    }
    if crate::services::built_in(&k.tasks[index].spec).is_some() {
        // Code inside the kernel cannot be started afresh: its state is the kernel's.
        return SyscallError::InvalidArgument.into();
    }
    let spec = k.tasks[index].spec;
    let Some(image) = crate::bootfs::file(spec.image) else {
        return SyscallError::NoSuchTask.into();
    };
    if k.tasks[index].state.is_alive() {
        trace::kill(&k.tasks, caller, index);
    }
    lifecycle::kill(k, index);
    let (name, restarts) = (k.tasks[index].name, k.tasks[index].restarts);
    match spawn_into(k, Some(index), &spec, image, name, spec.arg) {
        Ok(id) => {
            // The count belongs to this task's line of restarts; a new task in a reused slot
            // starts from 0.
            k.tasks[index].restarts = restarts + 1;
            trace::started(&k.tasks, caller, index);
            log::info!("task {} restarted as {id}", k.tasks[index].name);
            Outcome::Value(id.to_raw())
        }
        Err(error) => {
            log::error!("task {name}: restart failed: {error}");
            SyscallError::InvalidArgument.into()
        }
    }
}

/// `kill(task)`: end a live task at once. Needs the `restart` privilege; a task cannot
/// kill itself this way (it has `exit`).
pub fn kill(k: &mut Kernel, caller: usize, task: u64) -> Outcome {
    let privileged = k.tasks[caller].spec.privileges.restart;
    let (index, id) = match managed_target(k, caller, task, privileged) {
        Ok(target) => target,
        Err(refusal) => return refusal,
    };
    log::info!("task {} ({id}) killed on request of {}", k.tasks[index].name, k.tasks[caller].name);
    trace::kill(&k.tasks, caller, index);
    lifecycle::kill(k, index);
    Outcome::Value(0)
}

/// `fault_info(task, buffer)`: writes how the task ended into the caller's `FaultInfo`.
/// `ANY_TASK` picks the next ended task not reported yet (`WouldBlock` if none). Needs the
/// `faults` privilege.
pub fn fault_info(k: &mut Kernel, caller: usize, task: u64, buffer: u64) -> Outcome {
    if !k.tasks[caller].spec.privileges.faults {
        return SyscallError::Denied.into();
    }
    let index = if task == ANY_TASK {
        match k.tasks.iter().position(|t| !t.state.is_alive() && !t.end_reported) {
            Some(index) => index,
            None => return SyscallError::WouldBlock.into(),
        }
    } else {
        match TaskId::from_raw(task).map(|id| usize::from(id.index)).filter(|&i| i < k.tasks.len())
        {
            Some(index) => index,
            None => return SyscallError::NoSuchTask.into(),
        }
    };
    let ended = &k.tasks[index];
    // A task that ended carries its next generation already; report the one that ended.
    let id = if ended.state.is_alive() {
        ended.id
    } else {
        TaskId::new(ended.id.index, ended.id.generation.wrapping_sub(1))
    };
    let mut info = FaultInfo { task: id.to_raw(), ..FaultInfo::default() };
    match ended.state {
        TaskState::Exited { code } => (info.state, info.code) = (TASK_EXITED, code),
        TaskState::Killed => info.state = TASK_KILLED,
        TaskState::Faulted(record) => {
            (info.state, info.code) = (TASK_FAULTED, record.kind.code());
            (info.error_code, info.rip, info.address) =
                (record.error_code, record.rip, record.address);
        }
        _ => info.state = TASK_RUNNING,
    }
    if let Err(error) = copy_value_to_user(k.space_of(caller), buffer, &info) {
        return error.into();
    }
    if !k.tasks[index].state.is_alive() {
        k.tasks[index].end_reported = true;
    }
    Outcome::Value(0)
}

/// `lookup(name, length)`: the current id of the task with that manifest name.
pub fn lookup(k: &mut Kernel, caller: usize, name: u64, length: u64) -> Outcome {
    if length > MAX_NAME_LEN as u64 {
        return SyscallError::NoSuchTask.into();
    }
    let mut buffer = [0u8; MAX_NAME_LEN];
    let bytes = &mut buffer[..length as usize];
    if let Err(error) = copy_from_user(k.space_of(caller), UserSlice::new(name, length), bytes) {
        return error.into();
    }
    match k.tasks.iter().find(|t| t.name.as_bytes() == bytes) {
        Some(task) => Outcome::Value(task.id.to_raw()),
        None => SyscallError::NoSuchTask.into(),
    }
}

/// `task_status(index, buffer)`: one task as `ps` shows it. Anyone may ask.
pub fn task_status(k: &mut Kernel, caller: usize, index: u64, buffer: u64) -> Outcome {
    let Some(task) = usize::try_from(index).ok().and_then(|i| k.tasks.get(i)) else {
        return SyscallError::NoSuchTask.into();
    };
    let state = match task.state {
        TaskState::Ready => STATE_READY,
        TaskState::Sleeping { .. } => STATE_SLEEPING,
        TaskState::Sending { .. } => STATE_SENDING,
        TaskState::AwaitingReply { .. } => STATE_AWAITING_REPLY,
        TaskState::Receiving { .. } => STATE_RECEIVING,
        TaskState::Exited { .. } => STATE_EXITED,
        TaskState::Faulted(_) => STATE_FAULTED,
        TaskState::Killed => STATE_KILLED,
        TaskState::InKernel => STATE_IN_KERNEL,
    };
    // An ended task's slot already holds the next generation; `ps` shows the id it ran under.
    let ran_as = if task.state.is_alive() { task.id } else { task.id.previous_generation() };
    let mut status = TaskStatus {
        id: ran_as.to_raw(),
        state,
        priority: u64::from(task.spec.priority),
        restarts: u64::from(task.restarts),
        syscalls: task.stats.syscalls,
        ticks: task.stats.ticks,
        name: [0; 16],
        partner: match task.state {
            TaskState::Sending { to, .. } => to.to_raw(),
            TaskState::AwaitingReply { from, .. } => from.to_raw(),
            _ => ANY_TASK,
        },
    };
    let name = task.name.as_bytes();
    status.name[..name.len().min(16)].copy_from_slice(&name[..name.len().min(16)]);
    match copy_value_to_user(k.space_of(caller), buffer, &status) {
        Ok(()) => Outcome::Value(0),
        Err(error) => error.into(),
    }
}

/// The live task `task` names, if `caller` (`privileged` for the operation) may manage it
/// (see `may_manage`).
pub fn managed_target(
    k: &Kernel,
    caller: usize,
    task: u64,
    privileged: bool,
) -> Result<(usize, TaskId), Outcome> {
    if !privileged {
        return Err(SyscallError::Denied.into());
    }
    let id = TaskId::from_raw(task).ok_or(Outcome::from(SyscallError::InvalidArgument))?;
    let index = k.resolve(id).map_err(Outcome::from)?;
    may_manage(k, caller, index)?;
    Ok((index, id))
}

/// Whether `caller` may kill, restart or inject into the task in `index`: never itself, and
/// never a supervisor (a task with the `faults` privilege) unless it is one too, so a shell
/// cannot take down the task that keeps the system alive.
fn may_manage(k: &Kernel, caller: usize, index: usize) -> Result<(), Outcome> {
    if index == caller {
        return Err(SyscallError::InvalidArgument.into());
    }
    if k.tasks[index].spec.privileges.faults && !k.tasks[caller].spec.privileges.faults {
        return Err(SyscallError::Denied.into());
    }
    Ok(())
}
