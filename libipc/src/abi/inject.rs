//! The fault kinds of `inject` and its `detail` argument (see docs/ipc.md, "Fault
//! injection").

/// Fault kinds for `inject`. All but `INJECT_KILL` happen in the target's own ring-3 code, at
/// its next message: the kernel resumes it in a tiny code page of its address space that
/// executes the faulting instruction (see docs/ipc.md, "Fault injection").
pub const INJECT_KILL: u64 = 0;
/// Exit with `PANIC_EXIT_CODE`, as a Rust program that panics does.
pub const INJECT_PANIC: u64 = 1;
/// The exit code of a program that panicked (the runtime's panic handler exits with it).
pub const PANIC_EXIT_CODE: u64 = 101;
/// Read address 0: a page fault.
pub const INJECT_NULLPTR: u64 = 2;
/// `cli`: a general-protection fault.
pub const INJECT_PRIVILEGED: u64 = 3;
/// Divide by zero.
pub const INJECT_DIVZERO: u64 = 4;
/// Loop forever (`jmp $`): only a watchdog notices.
pub const INJECT_HANG: u64 = 5;
/// Push until the stack runs into its guard page.
pub const INJECT_STACK: u64 = 6;
/// Corruption faults (after MINIX 3's SWIFI experiments): the task goes on running with
/// damaged state, and may crash, misbehave or be fine. Which bit changes comes from the seed
/// in `inject`'s third argument.
///
/// Flip one bit of a register the task relies on after `receive` (rbx, rbp, r12-r15, rsp or
/// rip; rsp and rip only below bit 47, so they stay user addresses).
pub const INJECT_FLIP_REGISTER: u64 = 7;
/// Flip one bit of a word of the task's writable data (.data and .bss).
pub const INJECT_FLIP_MEMORY: u64 = 8;
/// Flip one bit of a payload word of the next reply the task sends.
pub const INJECT_CORRUPT_REPLY: u64 = 9;
/// Skip one instruction: the task's next `syscall` does nothing and returns with the
/// registers as they were (the number still in rax, which the caller takes for an error).
pub const INJECT_SKIP: u64 = 10;
/// Sleep for ever holding the message: the task stops answering without running, which only
/// the supervisor's pings notice (a server's code waiting on something that never comes).
pub const INJECT_STALL: u64 = 11;
/// Change a few bytes of the task's machine code, as MINIX 3's campaigns mutated drivers: a
/// register or operand changed, an instruction skipped, a pointer corrupted. Unlike the kinds
/// above it takes other arguments, `inject(task, INJECT_MUTATE, address, bytes, length)`: the
/// kernel writes `length` bytes (1 to `MUTATION_MAX`) from the caller's `bytes` over the
/// task's code at `address` at once, and the task runs on. The change does its damage when
/// that code runs, if it ever does; a restart loads the code afresh. In a service built into
/// the kernel, `address` is in the kernel's own code (which stays changed until a reboot).
pub const INJECT_MUTATE: u64 = 12;
/// The most bytes one mutation changes: one instruction's longest encoding.
pub const MUTATION_MAX: usize = 15;
/// The names the shell's `inject` command takes, indexed by kind.
pub const INJECT_KINDS: [&str; 13] = [
    "kill",
    "panic",
    "nullptr",
    "privileged",
    "divzero",
    "hang",
    "stack",
    "flipreg",
    "flipmem",
    "badreply",
    "skip",
    "stall",
    "mutate",
];

/// `inject`'s third argument: how many times the task waits for a message before the fault
/// fires (0: at the next message), and a seed that picks what a corruption fault changes. The
/// seed must be below `1 << 47` (the top bit marks `inject_detail_midway`).
pub const fn inject_detail(after: u16, seed: u64) -> u64 {
    seed << 16 | after as u64
}

/// In `inject`'s third argument: the fault fires midway, after a count of the target's own
/// instructions, not when it waits for a message (`inject_detail_midway`).
pub const INJECT_MIDWAY: u64 = 1 << 63;

/// `inject`'s third argument for a fault that fires after the target has run `instructions`
/// more of its own instructions (at least 1), wherever that falls: a server runs only while it
/// handles a message, so in the middle of some request. The kernel counts them by
/// single-stepping the target; `seed` picks what a corruption fault changes.
pub const fn inject_detail_midway(instructions: u32, seed: u32) -> u64 {
    INJECT_MIDWAY | (seed as u64) << 32 | instructions as u64
}

/// The moment an `inject` detail names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InjectMoment {
    /// At the task's wait for a message, after this many waits.
    Wait(u16),
    /// After this many more of the task's instructions (at least 1).
    Midway(u32),
}

/// Reads `inject`'s third argument back: the moment, and the seed.
pub const fn inject_moment(detail: u64) -> (InjectMoment, u64) {
    if detail & INJECT_MIDWAY != 0 {
        (InjectMoment::Midway(detail as u32), (detail >> 32) & 0x7fff_ffff)
    } else {
        (InjectMoment::Wait(detail as u16), detail >> 16)
    }
}
