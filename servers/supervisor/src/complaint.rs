//! Complaints (`service_api::supervisor::COMPLAIN`): a client that sees its server fail every
//! request, while the server runs and answers, reports it, and the server is stopped and
//! restarted as if it had crashed. Neither watchdog can see such a server: it uses no more
//! CPU than it should and takes every ping.

use crate::{WATCHED, Watched};
use libipc::TaskId;
use libipc::sys::{self, Message, Received};
use service_api::status::{BUSY, NOT_FOUND, OK};
use service_api::supervisor::COMPLAINT_GRACE_TICKS;
use ulib::println;

/// `COMPLAIN` from `request.sender` about the task in word 0.
pub fn handle(watched: &[Option<Watched>; WATCHED], request: &Received) -> Message {
    let answer = |status| Message::new(0, [status, 0, 0, 0]);
    // Both names from the kernel, each id checked against its slot's current task.
    let watched_name = |id: TaskId| {
        let status = sys::task_status(id.index).ok().filter(|s| s.id == id.to_raw())?;
        let server = watched.iter().flatten().find(|w| w.policy.name == status.name())?;
        Some(server)
    };
    let target = TaskId::from_raw(request.message.payload[0]);
    let (Some(complainer), Some(target)) = (watched_name(request.sender), target) else {
        return answer(NOT_FOUND);
    };
    let Some(server) = watched_name(target).filter(|s| s.policy.name != complainer.policy.name)
    else {
        return answer(NOT_FOUND);
    };
    if sys::uptime().saturating_sub(server.last_start()) < COMPLAINT_GRACE_TICKS {
        return answer(BUSY);
    }
    println!(
        "{} complains that {} ({target}) fails every request: stopping it",
        complainer.policy.name, server.policy.name
    );
    let _ = sys::kill(target);
    answer(OK)
}
