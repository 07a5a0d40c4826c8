//! The fault-injection calls: arming a fault in a task, and changing its code.

use super::{IpcError, simple};
use crate::abi::{Sysnum, TaskId};

/// Makes `task` fault its next time it receives a message (`INJECT_*` kinds; privilege
/// `inject`). `INJECT_KILL` stops it at once.
pub fn inject(task: TaskId, kind: u64) -> Result<(), IpcError> {
    inject_later(task, kind, 0)
}

/// `inject` with its third argument (`abi::inject_detail`): fire later, and seed corruption.
pub fn inject_later(task: TaskId, kind: u64, detail: u64) -> Result<(), IpcError> {
    simple(Sysnum::Inject, [task.to_raw(), kind, detail, 0, 0]).map(|_| ())
}

/// Writes `bytes` (at most `abi::MUTATION_MAX`) over the machine code of `task` at `address`
/// (privilege `inject`; see `abi::INJECT_MUTATE`).
pub fn mutate(task: TaskId, address: u64, bytes: &[u8]) -> Result<(), IpcError> {
    let (kind, length) = (crate::abi::INJECT_MUTATE, bytes.len() as u64);
    simple(Sysnum::Inject, [task.to_raw(), kind, address, bytes.as_ptr() as u64, length])
        .map(|_| ())
}
