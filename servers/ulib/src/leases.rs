//! The server side of a request: its leases, reached through the lease system calls, for the
//! shared handlers of the `-core` libraries (`service_api::leases`).

use libipc::TaskId;
use libipc::abi::{LEASE_READ, LEASE_WRITE, SUMMARIZED_LEASES, summarized_length};
use libipc::sys::{self, Received};
use service_api::leases::Leases;

/// The leases of a caller that waits in `call` on this server.
pub struct CallerLeases {
    caller: TaskId,
    /// What the request said of its first leases (`abi::lease_summary`), if this is the
    /// request being served; otherwise their lengths are asked of the kernel.
    summaries: Option<(usize, [u64; SUMMARIZED_LEASES])>,
}

impl CallerLeases {
    /// The leases of the request being served: the first ones' lengths came with it.
    pub fn of_request(request: &Received) -> Self {
        CallerLeases { caller: request.sender, summaries: Some(Self::summaries(request)) }
    }

    /// What `request` said of its leases, for `of_summaries` (a server that passes the
    /// caller's id around rather than the request).
    pub fn summaries(request: &Received) -> (usize, [u64; SUMMARIZED_LEASES]) {
        (request.leases, request.lease_summaries)
    }

    /// The leases of `caller`'s request, of which `summaries` is what it said.
    pub fn of_summaries(caller: TaskId, summaries: (usize, [u64; SUMMARIZED_LEASES])) -> Self {
        CallerLeases { caller, summaries: Some(summaries) }
    }

    /// The leases of `caller`, whose request was received earlier (a reader the console
    /// answers later): every length is asked of the kernel.
    pub fn of(caller: TaskId) -> Self {
        CallerLeases { caller, summaries: None }
    }
}

// Inlined into the `-core` handlers, which reach them through a generic: each lease copy
// then costs one call less (`cargo xtask bench --flavor both`: console write 2935 -> 2863).
impl Leases for CallerLeases {
    #[inline]
    fn length(&self, index: usize, write: bool) -> Option<u64> {
        let access = if write { LEASE_WRITE } else { LEASE_READ };
        match self.summaries {
            Some((count, _)) if index >= count => None,
            Some((_, summaries)) if index < SUMMARIZED_LEASES => {
                summarized_length(summaries[index], access)
            }
            _ => sys::lent_length(self.caller, index, access),
        }
    }

    #[inline]
    fn read(&self, index: usize, offset: u64, into: &mut [u8]) -> bool {
        sys::lease_read(self.caller, index, offset, into) == Ok(into.len())
    }

    #[inline]
    fn write(&self, index: usize, offset: u64, bytes: &[u8]) -> bool {
        sys::lease_write(self.caller, index, offset, bytes) == Ok(bytes.len())
    }
}
