//! Leases: a server reads from and writes into the buffers a caller lent with its `call`,
//! while the caller waits. Every copy is checked against the lease and both address spaces.

use super::outcome::Outcome;
use crate::arch::TrapFrame;
use crate::state::Kernel;
use crate::task::TaskState;
use crate::usercopy::{UserSlice, copy_from_user, copy_to_user};
use libipc::abi::{LEASE_READ, LEASE_WRITE, Lease};
use libipc::{SyscallError, TaskId};

/// Bytes moved per step of a lease copy (through a buffer on the trap stack).
const LEASE_CHUNK: usize = 512;

/// `lease_info(caller, index)`: the lease's length in `rdx`, its access bits in `r10`.
pub fn info(k: &mut Kernel, server: usize, live: &mut TrapFrame) -> Outcome {
    let [lender, index, ..] = live.syscall_args();
    match lent_lease(k, server, lender, index) {
        Ok((_, lease)) => {
            (live.rax, live.rdx, live.r10) = (0, lease.length, lease.access);
            Outcome::Written
        }
        Err(outcome) => outcome,
    }
}

/// `lease_read` (`write` false) or `lease_write` (true) by `server`.
pub fn copy(k: &mut Kernel, server: usize, args: [u64; 5], write: bool) -> Outcome {
    let [lender, index, offset, buffer, length] = args;
    let (lender, lease) = match lent_lease(k, server, lender, index) {
        Ok(found) => found,
        Err(outcome) => return outcome,
    };
    let access = if write { LEASE_WRITE } else { LEASE_READ };
    if !lease.permits(offset, length, access) {
        return SyscallError::BadLease.into();
    }
    let mut chunk = [0u8; LEASE_CHUNK];
    let mut done = 0;
    while done < length {
        let step = (length - done).min(LEASE_CHUNK as u64);
        let bytes = &mut chunk[..step as usize];
        let in_lease = UserSlice::new(lease.address + offset + done, step);
        let in_buffer = UserSlice::new(buffer.wrapping_add(done), step);
        let (lender_space, borrower) = (k.space_of(lender), k.space_of(server));
        // The lender's memory going bad is the lender's fault: `BadLease` for the server.
        let moved = if write {
            copy_from_user(borrower, in_buffer, bytes).and_then(|()| {
                copy_to_user(lender_space, in_lease, bytes).map_err(|_| SyscallError::BadLease)
            })
        } else {
            copy_from_user(lender_space, in_lease, bytes)
                .map_err(|_| SyscallError::BadLease)
                .and_then(|()| copy_to_user(borrower, in_buffer, bytes))
        };
        if let Err(error) = moved {
            return error.into();
        }
        done += step;
    }
    Outcome::Value(length)
}

/// Lease `index` of `lender`, which must be waiting in `call` on `server`.
fn lent_lease(
    k: &Kernel,
    server: usize,
    lender: u64,
    index: u64,
) -> Result<(usize, Lease), Outcome> {
    let lender_id = TaskId::from_raw(lender).ok_or(Outcome::from(SyscallError::InvalidArgument))?;
    let lender = k.resolve(lender_id).map_err(Outcome::from)?;
    let me = k.tasks[server].id;
    let lent_to_me = k.tasks[lender].state == (TaskState::AwaitingReply { from: me });
    match usize::try_from(index) {
        Ok(i) if lent_to_me && i < k.tasks[lender].lease_count => {
            Ok((lender, k.tasks[lender].leases[i]))
        }
        _ => Err(SyscallError::BadLease.into()),
    }
}
