//! A task's life: started from an image, woken by the clock, ended by exit, fault or kill.
//!
//! Ending a task is the one place its resources go: memory, interrupt lines, the tasks
//! waiting on it (woken with `DeadTask`), and its id (the generation moves on, so old ids
//! stop working at once). Supervisors hear of every end through `TASK_ENDED_BIT`.

use crate::arch::paging;
use crate::delivery::wake_with_error;
use crate::loader::{self, LoadError};
use crate::sched::QUANTUM_TICKS;
use crate::state::{self, Event, Kernel, MAX_TASKS};
use crate::task::{FaultRecord, Task, TaskName, TaskState};
use crate::{bootfs, time};
use kernel_core::manifest::TaskSpec;
use libipc::{SyscallError, TaskId};
// LAB 3 BEGIN: what telling the others takes: raising a notification, and the supervisors' bit
use crate::delivery::raise_notification;
use libipc::abi::TASK_ENDED_BIT;
// LAB 3 STUB
// LAB 3 END

/// Starts the boot task `spec` from its image in the ramdisk, logging (not panicking) when
/// it cannot.
pub fn start_boot_task(k: &mut Kernel, spec: &TaskSpec<'static>) -> Option<TaskId> {
    let Some(image) = bootfs::file(spec.image) else {
        log::error!("task {}: image {} is not in the ramdisk", spec.name, spec.image);
        return None;
    };
    match spawn(k, spec, image) {
        Ok(id) => {
            log::info!(
                "task {} ({id}) loaded from {}, priority {}",
                spec.name,
                spec.image,
                spec.priority
            );
            Some(id)
        }
        Err(error) => {
            log::error!("task {}: {error}", spec.name);
            None
        }
    }
}

/// Creates a task from `spec` and its ELF `image`, ready to run, in a free slot.
pub fn spawn(k: &mut Kernel, spec: &TaskSpec<'static>, image: &[u8]) -> Result<TaskId, LoadError> {
    let slot = k.tasks.iter().position(|t| !t.state.is_alive());
    spawn_into(k, slot, spec, image, TaskName::new(spec.name), spec.arg)
}

/// Creates a task in `slot` (which must hold an ended task: a restart), or in a new slot,
/// named `name`, started with `argument`.
pub fn spawn_into(
    k: &mut Kernel,
    slot: Option<usize>,
    spec: &TaskSpec<'static>,
    image: &[u8],
    name: TaskName,
    argument: &str,
) -> Result<TaskId, LoadError> {
    if slot.is_none() && k.tasks.len() == MAX_TASKS {
        return Err(LoadError::TableFull);
    }
    let loaded = loader::load(image, argument)?;
    // A reused slot keeps its generation, which went up when its last task ended.
    let id = slot.map_or(TaskId::new(k.tasks.len() as u16, 0), |s| k.tasks[s].id);
    let mut task = Task {
        quantum_left: QUANTUM_TICKS,
        saved: loaded.frame,
        space: Some(loaded.space),
        ..Task::new(id, spec, name, TaskState::Ready)
    };
    task.research.data = loaded.data;
    task.research.code = loaded.code;
    let index = match slot {
        Some(index) => {
            k.tasks[index] = task;
            index
        }
        None => k.add_task(task),
    };
    k.irqs.claim(index, spec.irqs);
    k.sched.make_ready(&mut k.tasks, index);
    Ok(k.tasks[index].id)
}

/// Ends the task in slot `index` if it is alive: `kill`, `restart`, and the tests.
pub fn kill(k: &mut Kernel, index: usize) {
    if k.tasks.get(index).is_some_and(|t| t.state.is_alive()) {
        end_task(k, index, TaskState::Killed);
    }
}

/// The running task caused a CPU exception: stop it and keep the record.
pub fn fault_current(record: FaultRecord) {
    state::with(|k| {
        let current = k.sched.current;
        end_task(k, current, TaskState::Faulted(record));
    });
}

/// Records how the task ended, frees its memory and interrupt lines, bumps its generation,
/// wakes every task waiting on it with `DeadTask`, and tells the observer.
pub fn end_task(k: &mut Kernel, index: usize, state: TaskState) {
    let task = &k.tasks[index];
    log_end(task, &state);
    crate::trace::ended(task, &state);
    if let Some(service) = task.in_kernel_service() {
        crate::services::stop(service);
    }
    k.sched.park(&mut k.tasks, index, state);
    let task = &mut k.tasks[index];
    task.lease_count = 0;
    let old_id = task.id;
    task.id = old_id.next_generation();
    let new_id = task.id;
    if let Some(space) = task.space.take() {
        if index == k.sched.current {
            // Its page tables are the active ones; never free those while in CR3.
            paging::activate_kernel();
        }
        space.destroy();
    }
    k.irqs.release(index);
    if index == k.sched.current {
        k.sched.on_cpu = false;
        k.sched.switch_away();
    }
    tell_the_others(k, old_id, new_id);
    crate::trace::end_told(&k.tasks, libipc::abi::TASK_ENDED_BIT);
    k.observe(Event::TaskEnded(index));
}

/// After task `old_id` ended (its slot now holds `new_id`): nobody may wait on it forever, and
/// whoever looks after tasks must hear of it.
fn tell_the_others(k: &mut Kernel, old_id: TaskId, new_id: TaskId) {
    // LAB 3 BEGIN: wake every task blocked on the dead one (sending to it, waiting for its reply, receiving only from it) with DeadTask and the new id; raise TASK_ENDED_BIT at every living task with the `faults` privilege
    for other in 0..k.tasks.len() {
        let waits_on_it = match k.tasks[other].state {
            TaskState::Sending { to, .. } => to == old_id,
            TaskState::AwaitingReply { from, .. } => from == old_id,
            TaskState::Receiving { from: Some(from), .. } => from == old_id,
            _ => false,
        };
        if waits_on_it {
            wake_with_error(k, other, SyscallError::DeadTask, new_id.to_raw());
        }
        if k.tasks[other].spec.privileges.faults && k.tasks[other].state.is_alive() {
            raise_notification(k, other, TASK_ENDED_BIT);
        }
    }
    // LAB 3 STUB
    // let _ = (k, old_id, new_id); // nobody is told
    // LAB 3 END
}

/// Called by the timer interrupt, from ring 3 or from the idle loop: wakes sleepers, times
/// out waits, and charges the tick to the running task's turn.
pub fn timer_tick(from_user: bool) {
    state::with(|k| {
        let now = time::ticks();
        for index in 0..k.tasks.len() {
            match k.tasks[index].state {
                TaskState::Sleeping { until } if until <= now => {
                    k.sched.make_ready(&mut k.tasks, index)
                }
                TaskState::Sending { deadline, .. }
                | TaskState::Receiving { deadline, .. }
                | TaskState::AwaitingReply { deadline, .. }
                    if deadline <= now =>
                {
                    wake_with_error(k, index, SyscallError::TimedOut, 0)
                }
                _ => {}
            }
        }
        if from_user && k.sched.on_cpu {
            k.sched.charge_tick(&mut k.tasks);
        }
        k.observe(Event::Tick);
    });
}

fn log_end(task: &Task, state: &TaskState) {
    let (name, id) = (task.name, task.id);
    match state {
        TaskState::Faulted(record) => log::warn!(
            "task {name} ({id}) killed: {} at rip {:#x}, error code {:#x}, address {:#x}",
            record.kind.name(),
            record.rip,
            record.error_code,
            record.address
        ),
        TaskState::Killed => log::info!("task {name} ({id}) killed"),
        TaskState::Exited { code } => log::info!("task {name} ({id}) exited with code {code}"),
        _ => {}
    }
}
