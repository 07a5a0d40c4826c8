//! Devices and task management: interrupts to drivers, I/O ports, restarts, fault records,
//! and finding tasks by name. Each operation checks what the manifest granted the caller.

use super::Scheduler;
use crate::arch;
use crate::task::{Injection, TaskState};
use crate::usercopy::{UserSlice, copy_from_user, copy_value_to_user};
use kernel_core::manifest::MAX_NAME_LEN;
use libipc::abi::{
    ANY_TASK, FaultInfo, INJECT_KILL, STATE_AWAITING_REPLY, STATE_EXITED, STATE_FAULTED,
    STATE_IN_KERNEL, STATE_KILLED, STATE_READY, STATE_RECEIVING, STATE_SENDING, STATE_SLEEPING,
    TASK_EXITED, TASK_FAULTED, TASK_KILLED, TASK_RUNNING, TaskStatus,
};
use libipc::{SyscallError, TaskId};

use super::Outcome;

impl Scheduler {
    /// Forwards interrupt `line` to its owner: mask the line (the caller sends the EOI), raise
    /// the owner's notification bit `line`. False when nobody owns it.
    pub(super) fn forward_interrupt(&mut self, line: u8) -> bool {
        let Some(owner) = self.irq_owner.get(usize::from(line)).copied().flatten() else {
            return false;
        };
        arch::mask_irq(line);
        self.irq_stats[usize::from(line)].delivered += 1;
        self.tasks[owner].interrupt_time = crate::arch::cpu::timestamp();
        self.raise_notification(owner, 1 << line);
        true
    }

    /// `irq_ack(line)`: the owner has handled the device; let the line interrupt again.
    pub fn irq_ack(&mut self, line: u64) -> Outcome {
        let line = match u8::try_from(line) {
            Ok(line) if usize::from(line) < super::IRQ_LINES => line,
            _ => return SyscallError::InvalidArgument.into(),
        };
        if self.irq_owner[usize::from(line)] != Some(self.current) {
            return SyscallError::Denied.into();
        }
        self.irq_stats[usize::from(line)].acknowledged += 1;
        arch::unmask_irq(line);
        Outcome::Value(0)
    }

    /// `port_read(port, width)` and `port_write(port, width, value)`, for ports the manifest
    /// gave the caller.
    pub fn port_io(&mut self, port: u64, width: u64, value: Option<u64>) -> Outcome {
        let (Ok(port), Ok(width @ (1 | 2 | 4))) = (u16::try_from(port), u8::try_from(width)) else {
            return SyscallError::InvalidArgument.into();
        };
        if !self.tasks[self.current].spec.ports.allows(port, u16::from(width)) {
            return SyscallError::Denied.into();
        }
        match value {
            Some(value) => {
                arch::port_write(port, width, value as u32);
                Outcome::Value(0)
            }
            None => Outcome::Value(u64::from(arch::port_read(port, width))),
        }
    }

    /// `restart(task)`: kill the task in that slot if it still runs, and start it afresh from
    /// its boot image under the next generation. Needs the `restart` privilege.
    pub fn restart(&mut self, task: u64) -> Outcome {
        if !self.tasks[self.current].spec.privileges.restart {
            return SyscallError::Denied.into();
        }
        let Some(id) = TaskId::from_raw(task) else { return SyscallError::InvalidArgument.into() };
        let Some(slot) = self.tasks.get(usize::from(id.index)) else {
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
        if let Err(refusal) = self.may_manage(index) {
            return refusal;
        }
        if crate::services::is_builtin(self.tasks[index].name.as_bytes()) {
            // Code inside the kernel cannot be started afresh: its state is the kernel's.
            return SyscallError::InvalidArgument.into();
        }
        let spec = self.tasks[index].spec;
        let Some(image) = crate::bootfs::file(spec.image) else {
            return SyscallError::NoSuchTask.into();
        };
        self.kill(index);
        let name = self.tasks[index].name;
        match self.spawn_into(Some(index), &spec, image, name, spec.arg) {
            Ok(id) => {
                self.tasks[index].restarts += 1;
                log::info!("task {} restarted as {id}", self.tasks[index].name);
                Outcome::Value(id.to_raw())
            }
            Err(error) => {
                log::error!("task {name}: restart failed: {error}");
                SyscallError::InvalidArgument.into()
            }
        }
    }

    /// `fault_info(task, buffer)`: writes how the task ended into the caller's `FaultInfo`.
    /// `ANY_TASK` picks the next ended task not reported yet (`WouldBlock` if none). Needs the
    /// `faults` privilege.
    pub fn fault_info(&mut self, task: u64, buffer: u64) -> Outcome {
        if !self.tasks[self.current].spec.privileges.faults {
            return SyscallError::Denied.into();
        }
        let index = if task == ANY_TASK {
            match self.tasks.iter().position(|t| !t.state.is_alive() && !t.end_reported) {
                Some(index) => index,
                None => return SyscallError::WouldBlock.into(),
            }
        } else {
            match TaskId::from_raw(task)
                .map(|id| usize::from(id.index))
                .filter(|&i| i < self.tasks.len())
            {
                Some(index) => index,
                None => return SyscallError::NoSuchTask.into(),
            }
        };
        let ended = &self.tasks[index];
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
        let space = self.tasks[self.current].space.as_ref().expect("the running task has memory");
        if let Err(error) = copy_value_to_user(space, buffer, &info) {
            return error.into();
        }
        if !self.tasks[index].state.is_alive() {
            self.tasks[index].end_reported = true;
        }
        Outcome::Value(0)
    }

    /// `lookup(name, length)`: the current id of the task with that manifest name.
    pub fn lookup(&mut self, name: u64, length: u64) -> Outcome {
        if length > MAX_NAME_LEN as u64 {
            return SyscallError::NoSuchTask.into();
        }
        let mut buffer = [0u8; MAX_NAME_LEN];
        let bytes = &mut buffer[..length as usize];
        let space = self.tasks[self.current].space.as_ref().expect("the running task has memory");
        if let Err(error) = copy_from_user(space, UserSlice::new(name, length), bytes) {
            return error.into();
        }
        match self.tasks.iter().find(|t| t.name.as_bytes() == bytes) {
            Some(task) => Outcome::Value(task.id.to_raw()),
            None => SyscallError::NoSuchTask.into(),
        }
    }
}

impl Scheduler {
    /// `kill(task)`: end a live task at once. Needs the `restart` privilege; a task cannot
    /// kill itself this way (it has `exit`).
    pub fn kill_task(&mut self, task: u64) -> Outcome {
        let privileged = self.tasks[self.current].spec.privileges.restart;
        let (index, id) = match self.managed_target(task, privileged) {
            Ok(target) => target,
            Err(refusal) => return refusal,
        };
        log::info!(
            "task {} ({id}) killed on request of {}",
            self.tasks[index].name,
            self.tasks[self.current].name
        );
        self.kill(index);
        Outcome::Value(0)
    }

    /// `task_status(index, buffer)`: one task as `ps` shows it. Anyone may ask.
    pub fn task_status(&mut self, index: u64, buffer: u64) -> Outcome {
        let Some(task) = usize::try_from(index).ok().and_then(|i| self.tasks.get(i)) else {
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
        let mut status = TaskStatus {
            id: task.id.to_raw(),
            state,
            priority: u64::from(task.spec.priority),
            restarts: u64::from(task.restarts),
            syscalls: task.stats.syscalls,
            ticks: task.stats.ticks,
            name: [0; 16],
        };
        let name = task.name.as_bytes();
        status.name[..name.len().min(16)].copy_from_slice(&name[..name.len().min(16)]);
        let space = self.tasks[self.current].space.as_ref().expect("the running task has memory");
        match copy_value_to_user(space, buffer, &status) {
            Ok(()) => Outcome::Value(0),
            Err(error) => error.into(),
        }
    }
}

impl Scheduler {
    /// `inject(task, kind)`: arm a fault in a task, to fire at its next message; `INJECT_KILL`
    /// ends it now. Needs the `inject` privilege.
    pub fn inject(&mut self, task: u64, kind: u64, detail: u64) -> Outcome {
        let privileged = self.tasks[self.current].spec.privileges.inject;
        let (index, id) = match self.managed_target(task, privileged) {
            Ok(target) => target,
            Err(refusal) => return refusal,
        };
        log::info!(
            "task {} ({id}): fault {kind} injected by {}",
            self.tasks[index].name,
            self.tasks[self.current].name
        );
        if !crate::inject::is_kind(kind) {
            return SyscallError::InvalidArgument.into();
        }
        let mut injection = Injection { kind, after: detail as u16, seed: detail >> 16 };
        let kill_now = kind == INJECT_KILL && injection.after == 0;
        if self.tasks[index].state == TaskState::InKernel && !kill_now {
            // Built into the kernel: the service fires it itself, in ring 0.
            crate::services::arm(self.tasks[index].name.as_bytes(), injection);
        } else if kill_now {
            self.kill(index);
        } else if matches!(self.tasks[index].state, TaskState::Receiving { .. }) {
            // Already waiting: the message it waits for is the first one.
            if injection.after == 0 {
                let mut saved = self.tasks[index].saved.clone();
                let _ = self.fire_injection(index, injection, &mut saved); // never `kill` here
                self.tasks[index].saved = saved;
            } else {
                injection.after -= 1;
                self.tasks[index].injected = Some(injection);
            }
        } else {
            // It fires when the task next waits in `receive`.
            self.tasks[index].injected = Some(injection);
        }
        Outcome::Value(0)
    }
}

impl Scheduler {
    /// The live task `task` names, if the running task (`privileged` for the operation) may
    /// manage it (see `may_manage`).
    fn managed_target(&self, task: u64, privileged: bool) -> Result<(usize, TaskId), Outcome> {
        if !privileged {
            return Err(SyscallError::Denied.into());
        }
        let id = TaskId::from_raw(task).ok_or(Outcome::from(SyscallError::InvalidArgument))?;
        let index = self.resolve(id).map_err(Outcome::from)?;
        self.may_manage(index)?;
        Ok((index, id))
    }

    /// Whether the running task may kill, restart or inject into the task in `index`: never
    /// itself, and never a supervisor (a task with the `faults` privilege) unless it is one
    /// too, so a shell cannot take down the task that keeps the system alive.
    fn may_manage(&self, index: usize) -> Result<(), Outcome> {
        if index == self.current {
            return Err(SyscallError::InvalidArgument.into());
        }
        let caller = self.tasks[self.current].spec.privileges;
        if self.tasks[index].spec.privileges.faults && !caller.faults {
            return Err(SyscallError::Denied.into());
        }
        Ok(())
    }
}
