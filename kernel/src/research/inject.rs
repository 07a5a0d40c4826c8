//! Fault injection: what happens to a task when an injected fault fires.
//!
//! Every address space gets one read-only, executable page at `INJECTION_PAGE` holding the
//! snippets of `arch::fault_code`. `inject(task, kind, detail)` arms the task; when it waits
//! for a message (after letting `detail`'s count of waits pass) the kernel resumes it at the
//! snippet for `kind` instead of after its `receive`, so the fault is a real CPU exception (or
//! a real `exit`) in the task's own ring-3 context, handled like any other. Corruption faults
//! instead flip one bit, picked by `detail`'s seed, of a register, a data word or the next
//! reply, and let the task run on.

use crate::arch::paging::AddressSpace;
use crate::arch::{TrapFrame, fault_code};
use crate::usercopy::{UserSlice, copy_from_user, copy_to_user};
use libipc::abi::INJECT_KINDS;

/// Where the snippets live in every task's address space (just above the stack).
pub const INJECTION_PAGE: u64 = crate::mm::layout::USER_STACK_TOP + 0x1_0000;

/// The address a task armed with `kind` resumes at, or `None` for kinds with no snippet.
pub fn entry(kind: u64) -> Option<u64> {
    fault_code::snippet_offset(kind).map(|offset| INJECTION_PAGE + offset)
}

pub fn is_kind(kind: u64) -> bool {
    (kind as usize) < INJECT_KINDS.len()
}

/// Spreads a seed's bits so nearby seeds pick unrelated targets (splitmix64's finaliser).
pub fn mix(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Flips one bit of a register the task keeps across `receive`; says which.
pub fn flip_register(registers: &mut TrapFrame, seed: u64) -> &'static str {
    const NAMES: [&str; 8] = ["rbx", "rbp", "r12", "r13", "r14", "r15", "rsp", "rip"];
    let random = mix(seed);
    let which = (random % NAMES.len() as u64) as usize;
    // rsp and rip keep below bit 47, so they stay user addresses: a return to a non-canonical
    // address would fault in the kernel's own return path instead of in the task.
    let bits = if which >= 6 { 47 } else { 64 };
    let bit = 1u64 << ((random >> 8) % bits);
    let register = match which {
        0 => &mut registers.rbx,
        1 => &mut registers.rbp,
        2 => &mut registers.r12,
        3 => &mut registers.r13,
        4 => &mut registers.r14,
        5 => &mut registers.r15,
        6 => &mut registers.rsp,
        _ => &mut registers.rip,
    };
    *register ^= bit;
    NAMES[which]
}

/// Flips one bit of an 8-byte word in `data` (the task's writable segments).
pub fn flip_memory(space: &AddressSpace, data: core::ops::Range<u64>, seed: u64) -> &'static str {
    let start = data.start.next_multiple_of(8);
    let words = data.end.saturating_sub(start) / 8;
    if words == 0 {
        return "it has no writable data";
    }
    let random = mix(seed);
    let address = start + (random % words) * 8;
    let mut word = [0u8; 8];
    let slice = UserSlice::new(address, 8);
    if copy_from_user(space, slice, &mut word).is_err() {
        return "the word was not mapped";
    }
    let flipped = u64::from_le_bytes(word) ^ 1 << ((random >> 32) % 64);
    match copy_to_user(space, slice, &flipped.to_le_bytes()) {
        Ok(()) => "one bit of its data flipped",
        Err(_) => "the word was not writable",
    }
}

/// Flips one bit of one payload word of a reply (`registers` as the receiver will see them).
pub fn corrupt_reply(registers: &mut TrapFrame, seed: u64) {
    let random = mix(seed);
    let bit = 1u64 << (random % 64);
    match (random >> 8) % 4 {
        0 => registers.rsi ^= bit,
        1 => registers.rdx ^= bit,
        2 => registers.r10 ^= bit,
        _ => registers.r8 ^= bit,
    }
}
