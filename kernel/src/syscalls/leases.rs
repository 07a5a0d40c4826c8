//! Leases: a server reads from and writes into the buffers a caller lent with its `call`,
//! while the caller waits. Every copy is checked against the lease and both address spaces.

use super::outcome::Outcome;
use crate::state::Kernel;
use crate::usercopy::{BadSide, UserSlice, copy_between};
use libipc::abi::{LEASE_READ, LEASE_WRITE, Lease};
use libipc::{SyscallError, TaskId};

/// `lease_info(caller, index)`: the lease's length in `rdx`, its access bits in `r10`.
pub fn info(k: &mut Kernel, server: usize, args: [u64; 5]) -> Outcome {
    let [lender, index, ..] = args;
    match lent_lease(k, server, lender, index) {
        Ok((_, lease)) => {
            let registers = &mut k.tasks[server].saved;
            (registers.rax, registers.rdx, registers.r10) = (0, lease.length, lease.access);
            Outcome::Written
        }
        Err(outcome) => outcome,
    }
}

/// `lease_read` (`write` false) or `lease_write` (true) by `server`. The arguments are read
/// from the server's record here, not passed in: a copy of them on the caller's stack cost
/// the fast path a dozen instructions a call.
pub fn copy(k: &mut Kernel, server: usize, write: bool) -> Outcome {
    let [lender, index, offset, buffer, length] = k.tasks[server].saved.syscall_args();
    let (lender, lease) = match lent_lease(k, server, lender, index) {
        Ok(found) => found,
        Err(outcome) => return outcome,
    };
    let access = if write { LEASE_WRITE } else { LEASE_READ };
    if !lease.permits(offset, length, access) {
        return SyscallError::BadLease.into();
    }
    let in_lease = UserSlice::new(lease.address + offset, length);
    let in_buffer = UserSlice::new(buffer, length);
    let (lender_space, server_space) = (k.space_of(lender), k.space_of(server));
    let moved = if write {
        copy_between(server_space, in_buffer, lender_space, in_lease)
    } else {
        copy_between(lender_space, in_lease, server_space, in_buffer)
    };
    // The lender's memory going bad is the lender's fault: `BadLease` for the server; the
    // server's own buffer is its `BadAddress`.
    let lease_side = if write { BadSide::Destination } else { BadSide::Source };
    match moved {
        Ok(()) => Outcome::Value(length),
        Err(side) if side == lease_side => SyscallError::BadLease.into(),
        Err(_) => SyscallError::BadAddress.into(),
    }
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
    let lent_to_me = k.tasks[lender].state.awaits_reply_from(me);
    match usize::try_from(index) {
        Ok(i) if lent_to_me && i < k.tasks[lender].lease_count => {
            Ok((lender, k.tasks[lender].leases[i]))
        }
        _ => Err(SyscallError::BadLease.into()),
    }
}
