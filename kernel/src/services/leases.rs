//! A caller's leases as a built-in service reads and writes them: straight from the caller's
//! memory, through the same checked copies as the lease system calls.

use crate::arch::paging::AddressSpace;
use crate::usercopy::{UserSlice, copy_from_user, copy_to_user};
use libipc::abi::{LEASE_READ, LEASE_WRITE, Lease};
use service_api::leases::Leases;

pub struct KernelLeases<'a> {
    table: &'a [Lease],
    space: &'a AddressSpace,
}

impl<'a> KernelLeases<'a> {
    pub fn new(table: &'a [Lease], space: &'a AddressSpace) -> Self {
        Self { table, space }
    }

    /// Lease `index` if it allows `access` to `length` bytes at `offset`.
    fn checked(&self, index: usize, offset: u64, length: u64, access: u64) -> Option<UserSlice> {
        let lease = self.table.get(index)?;
        lease
            .permits(offset, length, access)
            .then(|| UserSlice::new(lease.address + offset, length))
    }
}

impl Leases for KernelLeases<'_> {
    fn length(&self, index: usize, write: bool) -> Option<u64> {
        let access = if write { LEASE_WRITE } else { LEASE_READ };
        self.table.get(index).filter(|l| l.access & access == access).map(|l| l.length)
    }

    fn read(&self, index: usize, offset: u64, into: &mut [u8]) -> bool {
        self.checked(index, offset, into.len() as u64, LEASE_READ)
            .is_some_and(|slice| copy_from_user(self.space, slice, into).is_ok())
    }

    fn write(&self, index: usize, offset: u64, bytes: &[u8]) -> bool {
        self.checked(index, offset, bytes.len() as u64, LEASE_WRITE)
            .is_some_and(|slice| copy_to_user(self.space, slice, bytes).is_ok())
    }
}
