//! Leases: buffers a caller lends a server for the length of one call.

/// One lent buffer, as the caller describes it in its lease table.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Lease {
    pub address: u64,
    pub length: u64,
    /// `LEASE_READ`, `LEASE_WRITE` or both.
    pub access: u64,
}

pub const LEASE_READ: u64 = 1;
pub const LEASE_WRITE: u64 = 2;

/// Leases whose length and access a delivered message carries with it (in `r12` and `r13`),
/// so that a server learns them without a `lease_info` call each.
pub const SUMMARIZED_LEASES: usize = 2;

/// A lease's length and access in one word, as a delivered message carries it: the length
/// above two access bits (0: no such lease). Lent ranges lie in user space, so no length
/// reaches the top bits.
pub const fn lease_summary(lease: &Lease) -> u64 {
    lease.length << 2 | lease.access & (LEASE_READ | LEASE_WRITE)
}

/// Set in `r13` of a `call` that lends one lease in the registers themselves: `r12` holds
/// its address and the rest of `r13` its `lease_summary`, so the kernel copies no table from
/// the caller's memory (a lease table costs a page walk and a copy). A lease count never
/// reaches this bit.
pub const INLINE_LEASE: u64 = 1 << 63;

/// `r13` for `lease` lent in the registers (`INLINE_LEASE`), or `None` when it does not fit
/// there (access bits beyond `LEASE_READ | LEASE_WRITE`, a length of 2^61 bytes or more): such
/// a lease goes in a table, where the kernel refuses it as it refuses any bad lease.
pub const fn inline_lease(lease: &Lease) -> Option<u64> {
    if lease.access & !(LEASE_READ | LEASE_WRITE) != 0 || lease.length >> 61 != 0 {
        return None;
    }
    Some(INLINE_LEASE | lease_summary(lease))
}

/// `r12` and `r13` of a `call` lending `leases`: one lease in the registers themselves when it
/// fits there (`inline_lease`), else the table's address and length.
pub fn lease_registers(leases: &[Lease]) -> (u64, u64) {
    let one = match leases {
        [one] => inline_lease(one).map(|r13| (one.address, r13)),
        _ => None,
    };
    one.unwrap_or((leases.as_ptr() as u64, leases.len() as u64))
}

/// The lease a `call` lent in `r12` and `r13` (`INLINE_LEASE` set), as the kernel reads it.
pub const fn lease_in_registers(r12: u64, r13: u64) -> Lease {
    let summary = r13 & !INLINE_LEASE;
    Lease { address: r12, length: summary >> 2, access: summary & (LEASE_READ | LEASE_WRITE) }
}

/// The length in a `lease_summary` if its access includes `access`.
pub const fn summarized_length(summary: u64, access: u64) -> Option<u64> {
    if summary & access == access && access != 0 { Some(summary >> 2) } else { None }
}

impl Lease {
    /// Lends `bytes` for reading.
    pub fn read(bytes: &[u8]) -> Lease {
        Lease { address: bytes.as_ptr() as u64, length: bytes.len() as u64, access: LEASE_READ }
    }

    /// Lends `bytes` for writing.
    pub fn write(bytes: &mut [u8]) -> Lease {
        Lease {
            address: bytes.as_mut_ptr() as u64,
            length: bytes.len() as u64,
            access: LEASE_WRITE,
        }
    }

    /// True when the lease allows `access` (`LEASE_READ` or `LEASE_WRITE`) to the `length`
    /// bytes at `offset` into it: the kernel's check before any `lease_read`/`lease_write`.
    pub const fn permits(&self, offset: u64, length: u64, access: u64) -> bool {
        let in_bounds = match offset.checked_add(length) {
            Some(end) => end <= self.length,
            None => false,
        };
        self.access & access == access && access != 0 && in_bounds
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_in_the_registers_reads_back_whole() {
        let leases = [
            Lease { address: 0x40_1000, length: 64, access: LEASE_READ },
            Lease { address: 0x7fff_0000_0000, length: (1 << 47) - 1, access: LEASE_WRITE },
            Lease { address: 0, length: 0, access: LEASE_READ | LEASE_WRITE },
        ];
        for lease in leases {
            let r13 = inline_lease(&lease).expect("fits");
            assert!(r13 & INLINE_LEASE != 0);
            assert_eq!(lease_in_registers(lease.address, r13), lease);
        }
        // What does not fit goes in a table, where the kernel refuses it.
        assert_eq!(inline_lease(&Lease { address: 0, length: 1, access: 4 }), None);
        assert_eq!(inline_lease(&Lease { address: 0, length: 1 << 61, access: LEASE_READ }), None);
    }

    #[test]
    fn a_call_lends_one_lease_in_registers_and_more_in_a_table() {
        let one = [Lease { address: 0x40_2000, length: 64, access: LEASE_READ }];
        let (r12, r13) = lease_registers(&one);
        assert_eq!((r12, lease_in_registers(r12, r13)), (0x40_2000, one[0]));
        let two = [one[0], one[0]];
        assert_eq!(lease_registers(&two), (two.as_ptr() as u64, 2));
        let odd = [Lease { access: 4, ..one[0] }];
        assert_eq!(lease_registers(&odd), (odd.as_ptr() as u64, 1), "the kernel refuses it there");
        assert_eq!(lease_registers(&[]).1, 0);
    }

    #[test]
    fn a_lease_summary_gives_back_its_length_for_the_access_it_grants() {
        let lease = Lease { address: 0x1000, length: 4096, access: LEASE_WRITE };
        let summary = lease_summary(&lease);
        assert_eq!(summarized_length(summary, LEASE_WRITE), Some(4096));
        assert_eq!(summarized_length(summary, LEASE_READ), None);
        assert_eq!(summarized_length(summary, 0), None, "no access asks for nothing");
        let both = Lease { access: LEASE_READ | LEASE_WRITE, ..lease };
        assert_eq!(summarized_length(lease_summary(&both), LEASE_READ), Some(4096));
        // The largest user-space length survives the packing; stray access bits do not count.
        let far = Lease { length: 1 << 47, access: 0xff, ..lease };
        assert_eq!(summarized_length(lease_summary(&far), LEASE_READ | LEASE_WRITE), Some(1 << 47));
        assert_eq!(lease_summary(&Lease::default()), 0, "no lease reads as none");
    }

    #[test]
    fn leases_permit_only_their_bounds_and_access() {
        let lease = Lease { address: 0x1000, length: 4096, access: LEASE_READ };
        assert!(lease.permits(0, 4096, LEASE_READ));
        assert!(lease.permits(4095, 1, LEASE_READ));
        assert!(lease.permits(4096, 0, LEASE_READ));
        assert!(!lease.permits(4096, 1, LEASE_READ), "one byte past the end");
        assert!(!lease.permits(1, 4096, LEASE_READ));
        assert!(!lease.permits(u64::MAX, 2, LEASE_READ), "offset + length wraps");
        assert!(!lease.permits(0, 1, LEASE_WRITE), "read-only");
        assert!(!lease.permits(0, 1, 0));
        let both = Lease { access: LEASE_READ | LEASE_WRITE, ..lease };
        assert!(both.permits(0, 1, LEASE_WRITE) && both.permits(0, 1, LEASE_READ));
    }
}
