//! The server side of a request: its leases, reached through the lease system calls, for the
//! shared handlers of the `-core` libraries (`service_api::leases`).

use libipc::TaskId;
use libipc::abi::{LEASE_READ, LEASE_WRITE};
use libipc::sys;
use service_api::leases::Leases;

/// The leases of `caller`, which waits in `call` on this server.
pub struct CallerLeases(pub TaskId);

impl Leases for CallerLeases {
    fn length(&self, index: usize, write: bool) -> Option<u64> {
        sys::lent_length(self.0, index, if write { LEASE_WRITE } else { LEASE_READ })
    }

    fn read(&self, index: usize, offset: u64, into: &mut [u8]) -> bool {
        sys::lease_read(self.0, index, offset, into) == Ok(into.len())
    }

    fn write(&self, index: usize, offset: u64, bytes: &[u8]) -> bool {
        sys::lease_write(self.0, index, offset, bytes) == Ok(bytes.len())
    }
}
