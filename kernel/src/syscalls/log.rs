//! `kernel_log`: the kernel's kept log, for `dmesg`.

use super::outcome::Outcome;
use crate::state::Kernel;
use crate::usercopy::{UserSlice, copy_to_user};
use libipc::SyscallError;
use libipc::abi::KERNEL_LOG_MAX;

/// `kernel_log(from, buffer, length)` (privilege `log`): copies up to `length` bytes (at
/// most `KERNEL_LOG_MAX`) of the kept log from position `from` into `buffer`. The count comes
/// back in `rdx` and the position to read from next in `r10`; a count of 0 means the reader
/// has everything.
pub fn kernel_log(k: &mut Kernel, caller: usize, args: [u64; 5]) -> Outcome {
    let [from, buffer, length, ..] = args;
    if !k.tasks[caller].spec.privileges.log {
        return SyscallError::Denied.into();
    }
    let mut piece = [0u8; KERNEL_LOG_MAX as usize];
    let piece = &mut piece[..length.min(KERNEL_LOG_MAX) as usize];
    let read = crate::logger::read_kept(from, piece);
    hand_out(k, caller, buffer, piece, read)
}

/// Copies the first `count` bytes of `piece` to the caller's `buffer`, for a call that reads
/// one of the kernel's records (`kernel_log`, a `trace` read): the count comes back in `rdx`,
/// the position to read from next in `r10`.
pub(super) fn hand_out(
    k: &mut Kernel,
    caller: usize,
    buffer: u64,
    piece: &[u8],
    (count, next): (usize, u64),
) -> Outcome {
    let out = UserSlice::new(buffer, count as u64);
    if let Err(error) = copy_to_user(k.space_of(caller), out, &piece[..count]) {
        return error.into();
    }
    k.tasks[caller].saved.r10 = next;
    Outcome::Value(count as u64)
}
