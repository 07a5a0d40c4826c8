//! A test server. Operations:
//!
//! - `ECHO`: reply with each payload word plus one.
//! - `SUM_LEASE`: read lease 0 (`payload[0]` bytes long) in 512-byte pieces and reply with
//!   the byte sum and the length read; words 2 and 3 say whether reading past its end, writing
//!   into it (it is read-only) and reading a lease that was not lent were refused (`BadLease`).
//! - `FILL_LEASE`: write `payload[0]` as a byte pattern over all of lease 0 (its length from
//!   `lease_info`).
//! - `CRASH`: fault (null pointer read) without replying, so the caller is left waiting.
//! - `ORDER`: reply with how many requests this server has taken, this one included.
//! - any other operation: no reply at all, as from a server gone silent.
//!
//! Argument `closed:<name>`: take exactly one message, only from task `<name>`, and exit 0
//! if it came from there. Argument `late:<ticks>`: sleep that long before serving, so callers
//! queue up in `send`. Argument `crash-first`: the task faults on its first request, as
//! `CRASH` does, unless it has been restarted; `crash-always`: it faults on every request (a
//! crash loop); `hang-first`: it spins forever on its first request, unless restarted;
//! `stall-first`: it sleeps forever on its first request, unless restarted (it stops answering
//! without using the CPU).

#![no_std]
#![no_main]

use libipc::SyscallError;
use libipc::sys::{self, IpcError, Message, Received};
use service_api::leases::Leases;
use ulib::leases::CallerLeases;
use ulib::println;

ulib::entry!(main);

pub const ECHO: u32 = 1;
pub const SUM_LEASE: u32 = 2;
pub const FILL_LEASE: u32 = 3;
pub const CRASH: u32 = 4;
pub const ORDER: u32 = 5;

fn main(argument: &str) -> u64 {
    if let Some(name) = argument.strip_prefix("closed:") {
        return closed_receive(name);
    }
    if let Some(ticks) = argument.strip_prefix("late:") {
        sys::sleep(ticks.parse().unwrap_or(20));
    }
    let first_life = sys::task_info()
        .and_then(|me| sys::task_status(me.index))
        .is_ok_and(|status| status.restarts == 0);
    let crash = argument == "crash-always" || (argument == "crash-first" && first_life);
    let hang = argument == "hang-first" && first_life;
    let stall = argument == "stall-first" && first_life;
    let mut taken = 0u64;
    sys::serve(|request| {
        taken += 1;
        if crash {
            self::crash(request);
        }
        if stall {
            println!("sleeping for ever while {} waits for a reply", request.sender);
            sys::sleep(libipc::abi::FOREVER);
        }
        if hang {
            println!("spinning while {} waits for a reply", request.sender);
            loop {
                core::hint::spin_loop();
            }
        }
        handle(request, taken)
    })
}

/// Faults (a null pointer read) without replying, so the caller is left waiting.
fn crash(request: &Received) {
    println!("crashing while {} waits for a reply", request.sender);
    // SAFETY: none needed for the kernel: the read faults and this task is stopped.
    unsafe { core::arch::asm!("mov {}, qword ptr [0]", out(reg) _) };
}

fn handle(request: &Received, taken: u64) -> Option<Message> {
    let payload = request.message.payload;
    Some(match request.message.op {
        ORDER => Message::new(ORDER, [taken, 0, 0, 0]),
        ECHO => Message::new(ECHO, payload.map(|w| w.wrapping_add(1))),
        SUM_LEASE => sum_lease(request),
        FILL_LEASE => fill_lease(request, payload[0] as u8),
        CRASH => {
            crash(request);
            Message::default()
        }
        _ => return None,
    })
}

fn sum_lease(request: &Received) -> Message {
    let caller = request.sender;
    let total = request.message.payload[0];
    let (mut sum, mut length) = (0u64, 0u64);
    let mut piece = [0u8; 512];
    let _ = CallerLeases::of(caller).read_all(0, total, &mut piece, |bytes| {
        sum += bytes.iter().map(|&b| u64::from(b)).sum::<u64>();
        length += bytes.len() as u64;
    });
    let refused = |result: Result<usize, IpcError>| {
        u64::from(result == Err(IpcError::Failed(SyscallError::BadLease)))
    };
    let past_end = refused(sys::lease_read(caller, 0, total, &mut piece[..1]));
    let write_to_read_only = refused(sys::lease_write(caller, 0, 0, &piece[..1]));
    let no_such_lease = refused(sys::lease_read(caller, 1, 0, &mut piece[..1]));
    Message::new(SUM_LEASE, [sum, length, past_end & write_to_read_only, no_such_lease])
}

fn fill_lease(request: &Received, pattern: u8) -> Message {
    let piece = [pattern; 512];
    let Ok((length, _)) = sys::lease_info(request.sender, 0) else {
        return Message::new(FILL_LEASE, [0; 4]);
    };
    let mut written = 0u64;
    while written < length {
        let step = (length - written).min(512) as usize;
        match sys::lease_write(request.sender, 0, written, &piece[..step]) {
            Ok(n) => written += n as u64,
            Err(_) => break,
        }
    }
    Message::new(FILL_LEASE, [written, 0, 0, 0])
}

fn closed_receive(name: &str) -> u64 {
    let Ok(only) = sys::lookup(name) else { return 10 };
    match sys::receive(Some(only), libipc::abi::FOREVER) {
        Ok(message) if message.sender == only => {
            println!("took the message from {name} only");
            0
        }
        Ok(message) => {
            println!("closed receive let {} through", message.sender);
            1
        }
        Err(error) => {
            println!("closed receive failed: {error}");
            2
        }
    }
}
