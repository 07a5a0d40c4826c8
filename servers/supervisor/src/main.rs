//! The supervisor (after MINIX 3's reincarnation server and Hubris's jefe): when a task it
//! looks after ends, it reads the fault record, logs one line, and acts on that task's policy:
//! restart it at once, restart it after a doubling delay, or leave it dead; and it gives up on
//! a task restarted too often lately.
//!
//! It runs at the most urgent priority and holds the `restart`, `faults` and `spawn`
//! privileges. The kernel raises `TASK_ENDED_BIT` on it whenever any task ends. Its argument in
//! the manifest is the policy: comma-separated `name[=restart|backoff|never][/N]`
//! (`service_api::supervisor::parse_policy`), for example `serial,fs=backoff,shell/3`.
//!
//! Hangs: every `WATCH_TICKS` it checks how much CPU time each watched task used. A server
//! spends its life waiting for messages, so one that ran for nearly the whole interval is
//! taken to be stuck in a loop: it is killed, and then handled like any other end. A server
//! can also stop answering without running at all; the same looks notice that with pings
//! (`service_api::supervisor::liveness`) to the servers its manifest entry may talk to.
//!
//! Requests (`service_api::supervisor`): `SPAWN` starts a program from an image a client
//! lends; `STATUS` reports a watched server's policy, restarts and state; `KEEP` and `KEPT`
//! hold a little state for a watched server across its restarts (`store.rs`).

#![no_std]
#![no_main]

use libipc::abi::{
    FaultInfo, LEASE_WRITE, STATE_RECEIVING, TASK_ENDED_BIT, TASK_FAULTED, TASK_KILLED,
};
use libipc::sys::{self, Message, Received, ServeLoop};
use libipc::{FaultKind, TaskId};
use service_api::status::{BAD_REQUEST, NOT_FOUND, OK};
use service_api::supervisor::liveness::Liveness;
use service_api::supervisor::{
    COMPLAIN, GAVE_UP, KEEP, KEPT, Policy, STATUS, WAITING, WATCHING, parse_policy,
};
// LAB 6 BEGIN: what the restart policy needs: its kinds, the crash-loop window, the longest backoff
use service_api::supervisor::{MAX_BACKOFF_TICKS, Restart, WINDOW_TICKS};
// LAB 6 STUB
// LAB 6 END
use ulib::println;

mod complaint;
mod silence;
mod spawn;
mod store;

ulib::entry!(main);

/// Servers one supervisor looks after, at most.
pub(crate) const WATCHED: usize = 16;
/// Restart times remembered per server (the most any policy may allow in a window).
const HISTORY: usize = 16;
/// How often the watchdog looks.
const WATCH_TICKS: u64 = 50;
// LAB 6 BEGIN: how much of the watchdog's interval a task may have run before it counts as hung
const HUNG_TICKS: u64 = 45;
// LAB 6 STUB
// LAB 6 END

/// What the supervisor knows about one watched server.
#[derive(Clone, Copy)]
pub(crate) struct Watched<'a> {
    pub(crate) policy: Policy<'a>,
    state: u64,
    restarts: u64,
    /// Uptime of the most recent restarts, newest last.
    recent: [u64; HISTORY],
    recent_count: usize,
    /// Backoff: the delay before the next restart, when it is due, and the id that ended.
    delay: u64,
    due: u64,
    ended: Option<TaskId>,
    /// (task id, CPU ticks) at the watchdog's last look.
    last_ticks: Option<(u64, u64)>,
    pub(crate) liveness: Liveness,
}

impl Watched<'_> {
    // LAB 6 BEGIN: count the restarts of the last WINDOW_TICKS (the newest last in `recent`), forgetting older ones
    /// Restarts within the window, forgetting older ones.
    fn recent_restarts(&mut self, now: u64) -> usize {
        let keep = |t: &u64| now.saturating_sub(*t) < WINDOW_TICKS;
        let mut kept = 0;
        for i in 0..self.recent_count {
            if keep(&self.recent[i]) {
                self.recent[kept] = self.recent[i];
                kept += 1;
            }
        }
        self.recent_count = kept;
        kept
    }
    // LAB 6 STUB
    // LAB 6 END

    /// Uptime of its latest restart (0: it has run since the boot, or long enough).
    pub(crate) fn last_start(&self) -> u64 {
        self.recent[..self.recent_count].last().copied().unwrap_or(0)
    }

    fn record_restart(&mut self, now: u64) {
        if self.recent_count == HISTORY {
            self.recent.rotate_left(1);
            self.recent_count -= 1;
        }
        self.recent[self.recent_count] = now;
        self.recent_count += 1;
        self.restarts += 1;
    }
}

fn main(argument: &str) -> u64 {
    // Records of tasks that ended before the supervisor started are history.
    while sys::fault_info(None).is_ok() {}
    let mut watched: [Option<Watched>; WATCHED] = [None; WATCHED];
    for (slot, entry) in watched.iter_mut().zip(parse_policy(argument)) {
        match entry {
            Ok(policy) => {
                *slot = Some(Watched {
                    policy,
                    state: WATCHING,
                    restarts: 0,
                    recent: [0; HISTORY],
                    recent_count: 0,
                    delay: 1,
                    due: 0,
                    ended: None,
                    last_ticks: None,
                    liveness: Liveness::new(),
                })
            }
            Err(bad) => {
                println!("ignoring the policy entry `{bad}` (name[=restart|backoff|never][/N])")
            }
        }
    }
    println!("looking after: {argument}");
    let mut next_look = sys::uptime() + WATCH_TICKS;
    let mut server = ServeLoop::new();
    let store = store::take();
    loop {
        let due = watched.iter().flatten().filter(|w| w.state == WAITING).map(|w| w.due).min();
        let wake = due.map_or(next_look, |due| due.min(next_look));
        // The receive times out in time for the next restart or look for hangs.
        match server.next(wake.saturating_sub(sys::uptime()).max(1)) {
            Ok(message)
                if message.notification().is_some_and(|bits| bits & TASK_ENDED_BIT != 0) =>
            {
                while let Ok(ended) = sys::fault_info(None) {
                    handle_end(&mut watched, &ended);
                }
            }
            Ok(request) if request.notification().is_none() => {
                let reply = match request.message.op {
                    STATUS => status(&watched, &request),
                    KEEP | KEPT => store::handle(store, &watched, &request),
                    COMPLAIN => complaint::handle(&watched, &request),
                    _ => spawn::handle(&request),
                };
                server.answer(&request, reply);
            }
            _ => {}
        }
        let now = sys::uptime();
        for server in watched.iter_mut().flatten().filter(|w| w.state == WAITING && w.due <= now) {
            if let Some(id) = server.ended.take() {
                restart(server, id, now);
            }
        }
        if now >= next_look {
            watch_for_hangs(&mut watched);
            next_look = now + WATCH_TICKS;
        }
    }
}

fn handle_end(watched: &mut [Option<Watched>; WATCHED], ended: &FaultInfo) {
    let Some(id) = TaskId::from_raw(ended.task) else { return };
    let Ok(status) = sys::task_status(id.index) else { return };
    let name = status.name();
    let Some(server) = watched.iter_mut().flatten().find(|w| w.policy.name == name) else {
        return;
    };
    match ended.state {
        TASK_FAULTED => println!(
            "{name} ({id}) faulted: vector {} ({}), error code {:#x}, rip {:#x}, address {:#x}",
            ended.code,
            FaultKind::from_code(ended.code).name(),
            ended.error_code,
            ended.rip,
            ended.address
        ),
        TASK_KILLED => println!("{name} ({id}) was killed"),
        _ => println!("{name} ({id}) exited with code {}", ended.code),
    }
    let now = sys::uptime();
    // LAB 6 BEGIN: the policy: never (leave it dead), a crash loop (max_restarts within the window: give up), backoff (a doubling delay, from 1 tick after a quiet window), or restart now
    let limit = usize::from(server.policy.max_restarts);
    if server.policy.restart == Restart::Never {
        println!("leaving {name} dead (its policy is never)");
        server.state = GAVE_UP;
        return;
    }
    let recent = server.recent_restarts(now);
    if limit > 0 && recent >= limit {
        println!("{name} restarted {limit} times within {WINDOW_TICKS} ticks; leaving it dead");
        server.state = GAVE_UP;
        return;
    }
    if server.policy.restart == Restart::Backoff {
        // A crash after a quiet window starts the doubling afresh.
        server.delay = if recent == 0 { 1 } else { (server.delay * 2).min(MAX_BACKOFF_TICKS) };
        server.due = now + server.delay;
        server.ended = Some(id);
        server.state = WAITING;
        println!("restarting {name} in {} ticks", server.delay);
        return;
    }
    // LAB 6 STUB
    // // Whatever the policy says: at once, every time (the backoff's delay stays unused).
    // let _ = server.delay;
    // LAB 6 END
    restart(server, id, now);
}

fn restart(server: &mut Watched, id: TaskId, now: u64) {
    let name = server.policy.name;
    server.state = WATCHING;
    server.liveness.restarted();
    match sys::restart(id) {
        Ok(new) => {
            server.record_restart(now);
            println!("restarted {name} as {new}");
        }
        Err(error) => {
            server.state = GAVE_UP;
            println!("could not restart {name}: {error}");
        }
    }
}

/// Kills every watched task that ran for most of the last interval (it is then handled when
/// the kernel reports its end).
fn watch_for_hangs<'a>(watched: &mut [Option<Watched<'a>>; WATCHED]) {
    let mut silent = silence::Silent::new();
    let mut index = 0;
    while let Ok(status) = sys::task_status(index) {
        index += 1;
        let name = status.name();
        let Some(server) = watched.iter_mut().flatten().find(|w| w.policy.name == name) else {
            continue;
        };
        let previous = server.last_ticks.filter(|(id, _)| *id == status.id);
        server.last_ticks = Some((status.id, status.ticks));
        let (Some((_, before)), true) = (previous, status.state <= STATE_RECEIVING) else {
            continue;
        };
        // A garbled id is never killed as some other task.
        let Some(id) = TaskId::from_raw(status.id) else { continue };
        silent.saw(server.policy.name, id, status.state == STATE_RECEIVING);
        if silence::stopped_answering(server, status.state == STATE_RECEIVING, id) {
            let looks = server.liveness.quiet_looks();
            silent.add(server.policy.name, id, looks, status.state, status.partner);
            continue;
        }
        // LAB 6 BEGIN: a server that ran HUNG_TICKS or more of the interval is stuck: say so and kill it (its end is then handled like any other)
        if status.ticks.saturating_sub(before) >= HUNG_TICKS {
            println!(
                "{name} ({id}) ran {} of the last {WATCH_TICKS} ticks: hung; killing it",
                status.ticks - before
            );
            let _ = sys::kill(id);
        }
        // LAB 6 STUB
        // let _ = (before, id);
        // LAB 6 END
    }
    silent.kill();
}

/// `STATUS`: the word-0th watched server.
fn status(watched: &[Option<Watched>; WATCHED], request: &Received) -> Message {
    let answer = |words| Message::new(0, words);
    let index = request.message.payload[0] as usize;
    let Some(server) = watched.iter().flatten().nth(index) else {
        return answer([NOT_FOUND, 0, 0, 0]);
    };
    if sys::lent_length(request.sender, 0, LEASE_WRITE).is_none_or(|length| length < 16) {
        return answer([BAD_REQUEST, 0, 0, 0]);
    }
    let name = libipc::abi::name_field(server.policy.name);
    if sys::lease_write(request.sender, 0, 0, &name).is_err() {
        return answer([BAD_REQUEST, 0, 0, 0]);
    }
    answer([OK, server.restarts, server.policy.restart.code(), server.state])
}
