//! A test client: its argument picks one IPC behaviour to try, and the exit code says whether
//! the kernel behaved (0) or which check failed (the line's number, printed as well).

#![no_std]
#![no_main]

use libipc::SyscallError;
use libipc::Sysnum;
use libipc::abi::{FOREVER, LEASE_READ, LEASE_WRITE, Lease, STATE_EXITED};
use libipc::sys::{self, IpcError, Message};
use service_api::status::{OK, RESTARTED};
use ulib::client::{Retry, Server};
use ulib::{println, require};

ulib::entry!(main);

// The operations of `userland/echo`.
const ECHO: u32 = 1;
const SUM_LEASE: u32 = 2;
const FILL_LEASE: u32 = 3;
const CRASH: u32 = 4;
const ORDER: u32 = 5;

fn main(argument: &str) -> u64 {
    match argument {
        "roundtrip" => roundtrip(),
        "dead" => dead_server(),
        "lease" => leases(),
        "denied" => denied(),
        "timeout" => timeout(),
        "reply-timeout" => reply_timeout(),
        "closed-ok" => closed_ok(),
        "notify-wait" => notify_wait(),
        "notify-send" => notify_send(),
        "meminfo" => memory_info(),
        "retry" => retried(),
        "crash-loop" => crash_loop(),
        "hang" => hung(),
        "stall" => stalled(),
        "skipped" => skipped(),
        other if other.starts_with("queue:") => queue(other),
        other if other.starts_with("cycle:") => cycle(&other["cycle:".len()..]),
        other => {
            println!("unknown test {other:?}");
            2
        }
    }
}

/// `echo-once` crashes holding this task's first request, and a supervisor restarts it: the
/// client helper must send the request (safe to repeat) again and return the new answer.
fn retried() -> u64 {
    let echo = Server::new("echo-once");
    // ECHO adds one to every word; u64::MAX comes back as 0, the `OK` status the helper reads.
    let answer = echo.call(ECHO, [u64::MAX, 1, 2, 3], &[], Retry::Safe);
    if answer == Err(RESTARTED) {
        println!(
            "the request was lost when the server restarted; one safe to repeat is sent again"
        );
        return 1;
    }
    require!(answer == Ok([OK, 2, 3, 4]));
    let status = sys::lookup("echo-once").and_then(|echo| sys::task_status(echo.index));
    require!(status.is_ok_and(|status| status.restarts == 1));
    println!("the request was answered by the restarted server");
    0
}

/// `echo-loop` crashes on every request, and its policy is `backoff/3`: restarted after a
/// doubling delay, at most three times within the crash-loop window, then left dead. This
/// task crashes it four times and times how long each restart took.
fn crash_loop() -> u64 {
    let mut waits = [0u64; 3];
    for wait in waits.iter_mut() {
        let Ok(echo) = sys::lookup("echo-loop") else { return 3 };
        let crashed = sys::call(echo, &Message::new(ECHO, [0; 4]), &[]);
        require!(matches!(crashed, Err(IpcError::Dead { .. })));
        let Some(ticks) = ticks_until_alive("echo-loop", 200) else {
            println!("echo-loop was not restarted within 200 ticks");
            return 1;
        };
        *wait = ticks;
    }
    let Ok(echo) = sys::lookup("echo-loop") else { return 3 };
    require!(matches!(
        sys::call(echo, &Message::new(ECHO, [0; 4]), &[]),
        Err(IpcError::Dead { .. })
    ));
    if ticks_until_alive("echo-loop", 100).is_some() {
        println!("echo-loop was restarted a fourth time: its crash loop was not given up");
        return 1;
    }
    // Restarts after 1, 2 and 4 ticks, give or take the tick this task looks at.
    if waits[2] < 3 || waits[2] <= waits[0] {
        println!("the restarts came after {waits:?} ticks: the waits do not grow");
        return 1;
    }
    println!("restarted after {waits:?} ticks, then left dead");
    0
}

/// Ticks until a task named `name` is alive, looking once a tick, or `None` after `patience`.
fn ticks_until_alive(name: &str, patience: u64) -> Option<u64> {
    let start = sys::uptime();
    loop {
        let alive = sys::lookup(name)
            .and_then(|task| sys::task_status(task.index))
            .is_ok_and(|status| status.state < STATE_EXITED);
        let waited = sys::uptime() - start;
        if alive {
            return Some(waited);
        }
        if waited >= patience {
            return None;
        }
        sys::sleep(1);
    }
}

/// `echo-hang` spins forever holding this task's first request: the supervisor's watchdog must
/// kill it, the supervisor restart it, and the helper send the request again.
fn hung() -> u64 {
    answered_after_one_restart("echo-hang", "hung server was killed")
}

/// `echo-stall` sleeps holding this task's request: the supervisor's pings find it silent, it
/// is killed and restarted, and the request (safe to repeat) is answered by the new one.
fn stalled() -> u64 {
    answered_after_one_restart("echo-stall", "silent server was found out")
}

/// Calls `name`, which misbehaves holding the first request: the answer must come from its
/// successor, restarted exactly once.
fn answered_after_one_restart(name: &'static str, what: &str) -> u64 {
    let echo = Server::new(name);
    let answer = echo.call(ECHO, [u64::MAX, 1, 2, 3], &[], Retry::Safe);
    require!(answer == Ok([OK, 2, 3, 4]));
    let status = sys::lookup(name).and_then(|echo| sys::task_status(echo.index));
    require!(status.is_ok_and(|status| status.restarts == 1));
    println!("the {what}, restarted, and answered");
    0
}

/// Half of a cycle of calls: calls `partner`, which is calling this task at the same time,
/// so neither ever receives. Only the two of them may wait for ever; when one is killed, the
/// other's call ends with `DeadTask` and it exits 0.
fn cycle(partner: &str) -> u64 {
    let Ok(partner) = sys::lookup(partner) else { return 3 };
    match sys::call(partner, &Message::new(ECHO, [0; 4]), &[]) {
        Err(IpcError::Dead { .. }) => 0,
        Ok(_) => {
            println!("a call in a cycle was answered");
            4
        }
        Err(error) => {
            println!("a call in a cycle failed otherwise: {error}");
            5
        }
    }
}

fn roundtrip() -> u64 {
    let Ok(echo) = sys::lookup("echo") else { return 3 };
    for round in 0..100u64 {
        let reply = sys::call(echo, &Message::new(ECHO, [round, 2, 3, u64::MAX]), &[]);
        require!(reply.is_ok());
        let reply = reply.unwrap_or_else(|_| unreachable!());
        require!(reply.sender == echo && reply.message.op == ECHO);
        require!(reply.message.payload == [round + 1, 3, 4, 0]);
    }
    println!("100 calls answered correctly");
    0
}

/// The server dies while this task waits for its reply: the call must fail with `Dead`,
/// carrying the server's new generation, and the old id must stay dead.
fn dead_server() -> u64 {
    let Ok(echo) = sys::lookup("echo") else { return 3 };
    require!(sys::call(echo, &Message::new(ECHO, [1, 0, 0, 0]), &[]).is_ok());
    let result = sys::call(echo, &Message::new(CRASH, [0; 4]), &[]);
    let Err(IpcError::Dead { current }) = result else {
        match result {
            Ok(_) => println!("a call to a crashing server was answered"),
            Err(error) => println!("a call to a crashing server failed otherwise: {error}"),
        }
        return 4;
    };
    require!(current.index == echo.index && current.generation == echo.generation.wrapping_add(1));
    let again = sys::call(echo, &Message::new(ECHO, [0; 4]), &[]);
    require!(again == Err(IpcError::Dead { current }));
    require!(sys::send(echo, &Message::new(ECHO, [0; 4]), 0) == Err(IpcError::Dead { current }));
    println!("the dead server's calls failed with its new generation {current}");
    0
}

fn leases() -> u64 {
    let Ok(echo) = sys::lookup("echo") else { return 3 };
    let mut buffer = [0u8; 4096 + 100];
    for (i, byte) in buffer.iter_mut().enumerate() {
        *byte = (i % 251) as u8;
    }
    let expected: u64 = buffer.iter().map(|&b| u64::from(b)).sum();
    let lent = [Lease {
        address: buffer.as_ptr() as u64,
        length: buffer.len() as u64,
        access: LEASE_READ,
    }];
    let reply = sys::call(echo, &Message::new(SUM_LEASE, [buffer.len() as u64, 0, 0, 0]), &lent);
    require!(reply.is_ok());
    let [sum, length, refused, no_such] = reply.map(|r| r.message.payload).unwrap_or_default();
    require!(sum == expected && length == buffer.len() as u64);
    require!(refused == 1 && no_such == 1);

    let mut target = [0u8; 3000];
    let lent = [Lease {
        address: target.as_mut_ptr() as u64,
        length: target.len() as u64,
        access: LEASE_WRITE,
    }];
    let reply = sys::call(echo, &Message::new(FILL_LEASE, [0xab, 0, 0, 0]), &lent);
    require!(reply.map(|r| r.message.payload[0]) == Ok(3000));
    require!(target.iter().all(|&b| b == 0xab));

    // A lease table outside this task's memory, or too long, is refused before anything moves.
    let bogus = [Lease { address: 0xffff_ffff_8000_0000, length: 16, access: LEASE_READ }];
    require!(
        sys::call(echo, &Message::new(SUM_LEASE, [16, 0, 0, 0]), &bogus)
            == Err(IpcError::Failed(SyscallError::BadAddress))
    );
    // The same refusals for a lease in a table (two leases: no lease travels in the registers),
    // and for access bits no lease has (such a lease always goes in a table).
    let in_a_table = [bogus[0], Lease::default()];
    require!(
        sys::call(echo, &Message::new(SUM_LEASE, [16, 0, 0, 0]), &in_a_table)
            == Err(IpcError::Failed(SyscallError::BadAddress))
    );
    let odd_access = [Lease { access: 4, ..Lease::read(&buffer[..16]) }];
    require!(
        sys::call(echo, &Message::new(SUM_LEASE, [16, 0, 0, 0]), &odd_access)
            == Err(IpcError::Failed(SyscallError::InvalidArgument))
    );
    let five = [Lease::default(); 5];
    require!(
        sys::call(echo, &Message::new(ECHO, [0; 4]), &five)
            == Err(IpcError::Failed(SyscallError::TooLong))
    );
    println!("leases: read, written, and every bad use refused");
    0
}

/// Its first system call is skipped (the test arms `skip` at its entry): a `task_info`, which
/// the lean entry would answer, comes back with every register as it was, the number still in
/// `rax`; the next one is answered.
fn skipped() -> u64 {
    const MARK: u64 = 0x5a5a_0000_1234;
    let number = Sysnum::TaskInfo as u64;
    // SAFETY: `task_info` takes no pointer; `rdx` carries a mark the call must leave alone.
    let (status, rdx) = unsafe { sys::syscall_any(number, [0, 0, MARK, 0, 0, 0]) };
    require!(status == number && rdx == MARK);
    require!(sys::task_info().is_ok());
    0
}

/// This task's manifest lets it talk to nobody and grants no privilege.
fn denied() -> u64 {
    let Ok(echo) = sys::lookup("echo") else { return 3 };
    let denied = Err(IpcError::Failed(SyscallError::Denied));
    require!(sys::call(echo, &Message::new(ECHO, [0; 4]), &[]).map(|_| ()) == denied);
    require!(sys::send(echo, &Message::new(ECHO, [0; 4]), 0) == denied);
    require!(sys::notify(echo, 1 << 20) == denied);
    require!(sys::restart(echo).map(|_| ()) == denied);
    require!(sys::fault_info(None).map(|_| ()) == denied);
    require!(sys::port_read(0x60, 1).map(|_| ()) == denied);
    require!(sys::irq_ack(8) == denied);
    require!(sys::kernel_log(0, &mut [0; 16]).map(|_| ()) == denied);
    println!("every unpermitted operation was denied");
    0
}

/// `echo-closed` only takes messages from `client-b`: a send from here must time out.
fn timeout() -> u64 {
    let Ok(server) = sys::lookup("echo-closed") else { return 3 };
    let before = sys::uptime();
    let result = sys::send(server, &Message::new(ECHO, [0; 4]), 20);
    require!(result == Err(IpcError::Failed(SyscallError::TimedOut)));
    require!(sys::uptime() - before >= 20);
    require!(
        sys::send(server, &Message::new(ECHO, [0; 4]), 0)
            == Err(IpcError::Failed(SyscallError::WouldBlock))
    );
    println!("send to a closed receiver timed out");
    0
}

/// `echo` takes an operation it does not know and never answers: a call with a timeout gives
/// up with `TimedOut` once it has passed, and the server still answers the next call.
fn reply_timeout() -> u64 {
    const UNANSWERED: u32 = 99;
    let Ok(echo) = sys::lookup("echo") else { return 3 };
    let mut buffer = [0u8; 8];
    let before = sys::uptime();
    let lease = [Lease::write(&mut buffer)];
    let result = sys::call_within(echo, &Message::new(UNANSWERED, [0; 4]), &lease, 20);
    require!(result.err() == Some(IpcError::Failed(SyscallError::TimedOut)));
    require!(sys::uptime() - before >= 20);
    let answer = sys::call_within(echo, &Message::new(ECHO, [1, 2, 3, 4]), &[], 20);
    require!(answer.is_ok_and(|reply| reply.message.payload == [2, 3, 4, 5]));
    println!("a call to a silent server timed out, and the server answers the next");
    0
}

fn closed_ok() -> u64 {
    let Ok(server) = sys::lookup("echo-closed") else { return 3 };
    sys::sleep(30); // until client-a's 20-tick send has timed out
    require!(sys::send(server, &Message::new(ECHO, [0; 4]), FOREVER).is_ok());
    0
}

/// `memory_info` (lab 2): plausible counts, and every buffer the caller cannot write is
/// refused with `BadAddress`, never written and never a fault of the kernel.
fn memory_info() -> u64 {
    /// Its number in the ABI (the raw number, so this test builds before the lab is done).
    const MEMORY_INFO: u64 = 28;
    let Ok(stats) = sys::memory_info() else {
        println!("memory_info failed; is it numbered, dispatched and wrapped?");
        return 4;
    };
    require!(stats.frames > 0 && stats.frames_free <= stats.frames);
    require!(stats.heap_used > 0 && stats.heap_free > 0);
    require!(stats.tasks_alive >= 1 && stats.tasks_alive <= stats.tasks);
    let own_code = memory_info as *const () as u64; // mapped, but read-only
    for bad in [0, 1, own_code, 0xffff_ffff_8000_0000, u64::MAX - 7] {
        // SAFETY: none of these buffers is writable memory of this task, so the kernel must
        // refuse every one before it writes anything.
        let (status, _) = unsafe { sys::syscall_any(MEMORY_INFO, [bad, 0, 0, 0, 0, 0]) };
        if status != SyscallError::BadAddress.code() {
            println!("memory_info to buffer {bad:#x} gave status {status}, not BadAddress");
            return 5;
        }
    }
    println!("memory_info counts are plausible and bad buffers are refused");
    0
}

/// `queue:<delay>:<place>`: after `delay` ticks, call `echo-late` (still asleep, so this
/// task waits in `send` behind any caller that came earlier) and check it was taken
/// `place`-th: equal-priority senders are served first come, first served.
fn queue(argument: &str) -> u64 {
    let mut words = argument.split(':').skip(1).map(|w| w.parse::<u64>().unwrap_or(0));
    let (delay, place) = (words.next().unwrap_or(0), words.next().unwrap_or(0));
    let Ok(server) = sys::lookup("echo-late") else { return 3 };
    sys::sleep(delay);
    let reply = sys::call(server, &Message::new(ORDER, [0; 4]), &[]);
    match reply.map(|r| r.message.payload[0]) {
        Ok(taken) if taken == place => {}
        Ok(taken) => {
            println!("expected to be taken in place {place}, was taken in place {taken}");
            return 4;
        }
        Err(_) => {
            println!("the call to echo-late failed");
            return 5;
        }
    }
    println!("taken in turn, in place {place}");
    0
}

/// Bits raised while this task was busy wait for it, together; a bit raised while it waits
/// in `receive` wakes it.
fn notify_wait() -> u64 {
    sys::sleep(5); // the notifier raises bits 20 and 21 meanwhile
    let first = sys::receive(None, 100);
    require!(first.map(|r| r.notification()) == Ok(Some(1 << 20 | 1 << 21)));
    require!(sys::receive(None, 0).map(|_| ()) == Err(IpcError::Failed(SyscallError::WouldBlock)));
    let second = sys::receive(None, 100); // blocks until the notifier raises bit 22
    require!(second.map(|r| r.notification()) == Ok(Some(1 << 22)));
    println!("notification bits accumulated, then woke a waiting receive");
    0
}

fn notify_send() -> u64 {
    let Ok(waiter) = sys::lookup("waiter") else { return 3 };
    require!(sys::notify(waiter, 1 << 20).is_ok());
    require!(sys::notify(waiter, 1 << 21).is_ok());
    sys::sleep(15); // the waiter is blocked in receive by now
    require!(sys::notify(waiter, 1 << 22).is_ok());
    0
}
