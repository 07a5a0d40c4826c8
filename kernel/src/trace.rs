//! The kernel's side of the IPC trace (`kernel_core::trace`): the ring, and one function per
//! kind of event for the places where it happens.
//!
//! Each function returns at once while tracing is off: one load of `ON` and a branch, on the
//! general paths only. The IPC fast path records nothing, so the `trace` system call turns it
//! off while tracing runs (`syscalls::trace`); with tracing off the fast path is exactly what
//! it was.

use crate::arch::cpu::timestamp;
use crate::task::{Task, TaskState};
use core::sync::atomic::{AtomicBool, Ordering};
use kernel_core::manifest::Service;
use kernel_core::trace::{Event, Kind, Party, TraceRing};
use libipc::SyscallError;
use libipc::abi::MESSAGE_WORDS;
use spin::Mutex;

/// Events kept: enough for a command that reads and prints a few files (`cat` of a 4 KiB file
/// is about 200).
const EVENTS: usize = 4096;

static ON: AtomicBool = AtomicBool::new(false);
/// Taken only under the kernel's lock (`state`), never the other way round.
static RING: Mutex<TraceRing<EVENTS>> = Mutex::new(TraceRing::new());
/// The services built into the kernel (the monolithic flavour) as the trace names them,
/// noted when tracing starts: their code calls each other directly, with no task table at
/// hand. They are never restarted, so the names stay right.
static BUILT_IN: Mutex<[Party; Service::ALL.len()]> =
    Mutex::new([Party::KERNEL; Service::ALL.len()]);

/// Forgets the last trace and records from now on.
pub fn start(tasks: &[Task]) {
    let mut built_in = BUILT_IN.lock();
    for task in tasks {
        if let Some(service) = task.in_kernel_service() {
            built_in[service.index()] = party(task);
        }
    }
    RING.lock().start(timestamp());
    ON.store(true, Ordering::Relaxed);
}

/// Stops recording; the trace stays readable.
pub fn stop() {
    ON.store(false, Ordering::Relaxed);
    RING.lock().stop();
}

/// Copies the trace as text lines from event `from` into `out`: see `TraceRing::read_text`.
pub fn read_text(from: u64, out: &mut [u8]) -> (usize, u64) {
    RING.lock().read_text(from, out)
}

/// Keeps the event `make` builds, if tracing is on. At the hook, tracing off costs one load
/// and one branch; building the event is a function of its own, so its code does not crowd
/// the path the hook sits on.
#[inline(always)]
fn record(make: impl FnOnce() -> Event) {
    if ON.load(Ordering::Relaxed) {
        out_of_line(|| RING.lock().record(make()));
    }
}

#[cold]
#[inline(never)]
fn out_of_line(keep: impl FnOnce()) {
    keep()
}

fn party(task: &Task) -> Party {
    Party::task(task.id.index, task.id.generation, task.name.as_bytes())
}

/// An event of `kind` from `from` to `to`, now.
fn event(kind: Kind, from: Party, to: Party) -> Event {
    Event::new(timestamp(), kind, from, to)
}

/// A message from slot `from` reached slot `to`: a `Call` (with what `from` lends), a
/// `Send`, or a `Reply`, with its operation and payload.
#[inline(always)]
pub fn message(
    tasks: &[Task],
    kind: Kind,
    from: usize,
    to: usize,
    op: u32,
    payload: &[u64; MESSAGE_WORDS],
) {
    record(|| {
        let sender = &tasks[from];
        let bytes = match kind {
            Kind::Call => sender.leases[..sender.lease_count].iter().map(|l| l.length).sum(),
            _ => 0,
        };
        let words = [payload[0], payload[1]];
        Event { op: op.into(), words, bytes, ..event(kind, party(sender), party(&tasks[to])) }
    });
}

/// Slot `from` raised notification `bits` at slot `to`.
#[inline(always)]
pub fn notified(tasks: &[Task], from: usize, to: usize, bits: u64) {
    record(|| Event { value: bits, ..event(Kind::Notify, party(&tasks[from]), party(&tasks[to])) });
}

/// The kernel forwarded interrupt `line` to slot `owner`.
#[inline(always)]
pub fn interrupt(tasks: &[Task], line: u8, owner: usize) {
    record(|| Event {
        value: line.into(),
        ..event(Kind::Interrupt, Party::KERNEL, party(&tasks[owner]))
    });
}

/// The kernel ended slot `index`'s wait with `error`.
#[inline(always)]
pub fn error(tasks: &[Task], index: usize, error: SyscallError) {
    record(|| Event {
        note: error.words(),
        ..event(Kind::Error, Party::KERNEL, party(&tasks[index]))
    });
}

/// Slot `index` was started, by slot `by`.
#[inline(always)]
pub fn started(tasks: &[Task], by: usize, index: usize) {
    record(|| event(Kind::Start, party(&tasks[by]), party(&tasks[index])));
}

/// Slot `by` asked the kernel to stop slot `index`.
#[inline(always)]
pub fn kill(tasks: &[Task], by: usize, index: usize) {
    record(|| event(Kind::Kill, party(&tasks[by]), party(&tasks[index])));
}

/// A service built into the kernel called another directly (`Call` of `op`, with `bytes`
/// moved), or the call returned (`Reply`); `words` as a message's payload would carry them.
#[cfg_attr(not(feature = "monolithic"), allow(dead_code))] // the monolithic flavour's
#[inline(always)]
pub fn direct(kind: Kind, from: Service, to: Service, op: u32, words: [u64; 2], bytes: u64) {
    record(|| {
        let parties = *BUILT_IN.lock();
        let (from, to) = (parties[from.index()], parties[to.index()]);
        Event { op: op.into(), words, bytes, ..event(kind, from, to) }
    });
}

/// Interrupt `line` reached the built-in driver `service`.
#[cfg_attr(not(feature = "monolithic"), allow(dead_code))] // the monolithic flavour's
#[inline(always)]
pub fn built_in_interrupt(line: u8, service: Service) {
    record(|| {
        let to = BUILT_IN.lock()[service.index()];
        Event { value: line.into(), ..event(Kind::Interrupt, Party::KERNEL, to) }
    });
}

/// The kernel raised `bits` (`TASK_ENDED_BIT`) at every living task with the `faults`
/// privilege, as `lifecycle::tell_the_others` does after a task ended.
#[inline(always)]
pub fn end_told(tasks: &[Task], bits: u64) {
    if !ON.load(Ordering::Relaxed) {
        return; // not even the search for whom to name
    }
    let told = tasks.iter().filter(|t| t.spec.privileges.faults && t.state.is_alive());
    for task in told {
        record(|| Event { value: bits, ..event(Kind::Notify, Party::KERNEL, party(task)) });
    }
}

/// `task` is ending as `how`: a `Fault`, or an `End` (exited, or killed).
#[inline(always)]
pub fn ended(task: &Task, how: &TaskState) {
    record(|| {
        let ending = event(Kind::End, party(task), Party::KERNEL);
        match how {
            TaskState::Faulted(record) => {
                Event { kind: Kind::Fault, note: record.kind.name(), ..ending }
            }
            TaskState::Exited { code } => Event { value: *code, ..ending },
            _ => Event { note: "killed", ..ending },
        }
    });
}
