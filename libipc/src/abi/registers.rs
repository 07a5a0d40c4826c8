//! The IPC registers: which register carries what, defined once for the user stubs and the
//! kernel.
//!
//! A message is an operation code and four payload words, carried in registers so that the
//! common path copies no memory. `IpcArgs` is what an IPC system call reads, `IpcResults`
//! what it writes back besides the status in `rax`. Each field is named after its register:
//! the user stub binds each field to that register in its `asm!`, and the kernel's trap frame
//! gathers and scatters the same fields (`arch::TrapFrame::ipc_args`). The message paths read
//! them through the typed accessors below, not by register name. `LAYOUT` is the table in
//! docs/abi.md; a host test checks the two agree.

use super::{SUMMARIZED_LEASES, TaskId, pack_target, unpack_target};

/// Words of payload in one message.
pub const MESSAGE_WORDS: usize = 4;

/// What an IPC system call reads (besides the number in `rax`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IpcArgs {
    pub rdi: u64,
    pub rsi: u64,
    pub rdx: u64,
    pub r10: u64,
    pub r8: u64,
    pub r9: u64,
    pub r12: u64,
    pub r13: u64,
}

/// What an IPC system call writes back besides the status in `rax`. `r12` and `r13` carry
/// the summaries of a delivered message's first two leases (`lease_summary`; 0 where there is
/// none), written by every IPC call that returns a message.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IpcResults {
    pub rdi: u64,
    pub rsi: u64,
    pub rdx: u64,
    pub r10: u64,
    pub r8: u64,
    pub r9: u64,
    pub r12: u64,
    pub r13: u64,
}

impl IpcArgs {
    /// A message to `to`: `send`, `call` and `reply` (the timeout and leases are added by
    /// the caller with struct update syntax).
    pub const fn message(to: TaskId, op: u32, payload: [u64; MESSAGE_WORDS]) -> Self {
        let [rsi, rdx, r10, r8] = payload;
        IpcArgs { rdi: pack_target(to, op), rsi, rdx, r10, r8, r9: 0, r12: 0, r13: 0 }
    }

    /// Whom the message goes to, and its operation code (`send`, `call`, `reply`).
    pub const fn target(&self) -> (TaskId, u32) {
        unpack_target(self.rdi)
    }

    pub const fn payload(&self) -> [u64; MESSAGE_WORDS] {
        [self.rsi, self.rdx, self.r10, self.r8]
    }

    /// Ticks to wait (`send`, `call`, `receive`, `reply_receive`): 0 polls, `FOREVER` waits.
    pub const fn timeout(&self) -> u64 {
        self.r9
    }

    /// `receive`: whom to take a message from (`ANY_TASK`, a raw task id, or
    /// `KERNEL_SENDER` for notifications only).
    pub const fn receive_from(&self) -> u64 {
        self.rdi
    }

    /// `reply_receive`: whom to take the next message from, as `receive_from` (`rdi` holds the
    /// reply's target there).
    pub const fn reply_receive_from(&self) -> u64 {
        self.r12
    }

    /// `call`: the address of the lease table and how many leases it holds, or (with
    /// `INLINE_LEASE` in `r13`) the one lease lent in the registers (`lease_in_registers`).
    pub const fn lease_table(&self) -> (u64, u64) {
        (self.r12, self.r13)
    }
}

impl IpcResults {
    /// A delivered message: from `sender`, with operation `op`, and `leases` lent with it, the
    /// first of which `summaries` describe (`lease_summary`).
    pub const fn message(
        sender: TaskId,
        op: u32,
        payload: [u64; MESSAGE_WORDS],
        leases: u64,
        summaries: [u64; SUMMARIZED_LEASES],
    ) -> Self {
        let [rsi, rdx, r10, r8] = payload;
        let [r12, r13] = summaries;
        IpcResults { rdi: pack_target(sender, op), rsi, rdx, r10, r8, r9: leases, r12, r13 }
    }

    /// Who sent the message, and its operation code.
    pub const fn sender(&self) -> (TaskId, u32) {
        unpack_target(self.rdi)
    }

    pub const fn payload(&self) -> [u64; MESSAGE_WORDS] {
        [self.rsi, self.rdx, self.r10, self.r8]
    }

    /// How many buffers the sender lent (a server reads them with `lease_read`).
    pub const fn leases(&self) -> u64 {
        self.r9
    }

    /// The first leases' lengths and access (`lease_summary`).
    pub const fn lease_summaries(&self) -> [u64; SUMMARIZED_LEASES] {
        [self.r12, self.r13]
    }
}

/// The register table of docs/abi.md, row by row: register, what the IPC calls read from it,
/// what they leave in it. Kept next to the structs above so the two change together.
pub const LAYOUT: [[&str; 3]; 6] = [
    ["`rdi`", "`pack_target(to, op)`; `from` for `receive`", "`pack_target(from, op)`"],
    ["`rsi`, `rdx`, `r10`, `r8`", "payload words 0-3", "payload words 0-3"],
    [
        "`r9`",
        "timeout in ticks (`send`, `call`, `receive`, `reply_receive`)",
        "number of leases lent (0 in a reply)",
    ],
    [
        "`r12`",
        "lease table address, or the one lease's address (`call`); `from` (`reply_receive`)",
        "lease 0's length and access (`lease_summary`; 0: none), with a message",
    ],
    [
        "`r13`",
        "lease count, or `INLINE_LEASE` with the one lease's `lease_summary` (`call`)",
        "lease 1's, as `r12`",
    ],
    ["`rax`", "the system call number", "0 or a `SyscallError` code"],
];

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;

    /// `LAYOUT` as the Markdown table docs/abi.md carries.
    fn layout_markdown() -> std::string::String {
        let mut table = std::string::String::from(
            "| register | what IPC calls read | what they leave |\n| --- | --- | --- |\n",
        );
        for [register, read, written] in LAYOUT {
            table += &std::format!("| {register} | {read} | {written} |\n");
        }
        table
    }

    #[test]
    fn a_message_reads_back_through_the_views() {
        let to = TaskId::new(4, 2);
        let args = IpcArgs { r9: 7, r12: 0x1000, r13: 2, ..IpcArgs::message(to, 9, [1, 2, 3, 4]) };
        assert_eq!(args.target(), (to, 9));
        assert_eq!(args.payload(), [1, 2, 3, 4]);
        assert_eq!(args.timeout(), 7);
        assert_eq!(args.lease_table(), (0x1000, 2));
        let results = IpcResults::message(to, 9, args.payload(), 2, [21, 22]);
        assert_eq!(
            (results.sender(), results.payload(), results.leases(), results.lease_summaries()),
            ((to, 9), [1, 2, 3, 4], 2, [21, 22])
        );
    }

    /// Ties `LAYOUT`'s words to the accessors: each register holds a distinct value, and each
    /// accessor must return the value of the register its row of the table names.
    #[test]
    fn the_table_names_the_registers_the_accessors_read() {
        let args = IpcArgs { rdi: 1, rsi: 2, rdx: 3, r10: 4, r8: 5, r9: 6, r12: 7, r13: 8 };
        let row = |register: &str| LAYOUT.iter().find(|r| r[0].contains(register)).unwrap();
        assert!(row("`r9`")[1].contains("timeout") && args.timeout() == 6);
        assert!(row("`r12`")[1].contains("lease table") && args.lease_table().0 == 7);
        assert!(row("`r12`")[1].contains("`reply_receive`") && args.reply_receive_from() == 7);
        assert!(row("`r13`")[1].contains("lease count") && args.lease_table().1 == 8);
        assert!(row("`rdi`")[1].contains("`receive`") && args.receive_from() == 1);
        assert!(row("`rsi`")[1].contains("payload") && args.payload() == [2, 3, 4, 5]);
        let results = IpcResults { rdi: 1, rsi: 2, rdx: 3, r10: 4, r8: 5, r9: 6, r12: 7, r13: 8 };
        assert!(row("`r9`")[2].contains("leases") && results.leases() == 6);
        assert!(row("`rsi`")[2].contains("payload") && results.payload() == [2, 3, 4, 5]);
        assert_eq!(results.sender(), unpack_target(1));
        assert!(row("`r12`")[2].contains("lease 0") && results.lease_summaries()[0] == 7);
        assert!(row("`r13`")[2].contains("lease 1") && results.lease_summaries()[1] == 8);
    }

    #[test]
    fn docs_carry_the_register_table() {
        let path = std::concat!(std::env!("CARGO_MANIFEST_DIR"), "/../docs/abi.md");
        let docs = std::fs::read_to_string(path).expect("docs/abi.md is readable");
        assert!(
            docs.contains(&layout_markdown()),
            "docs/abi.md must contain the IPC register table exactly as `LAYOUT` renders it:\n{}",
            layout_markdown()
        );
    }
}
