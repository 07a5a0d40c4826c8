//! The shell's task commands: `ps`, `kill`, `restart`, `inject`, straight to the kernel.

use crate::Console;
use libipc::SyscallError;
use libipc::TaskId;
use libipc::abi::{
    INJECT_KINDS, INJECT_MIDWAY, INJECT_MUTATE, InjectMoment, MUTATION_MAX, STATE_IN_KERNEL,
    inject_detail, inject_detail_midway, state_name,
};
use libipc::sys::{self, IpcError};
use ulib::Line;

/// `inject NAME KIND [AFTER|@N [SEED]]`: arm a fault in a task, to fire at its next message,
/// after it has waited for AFTER more, or (`@N`) midway, after N more of its instructions; SEED
/// picks what a corruption fault changes.
pub fn inject<'a>(console: &mut Console, mut words: impl Iterator<Item = &'a str>) {
    let (Some(name), Some(kind)) = (words.next(), words.next()) else {
        return console.write("usage: inject NAME KIND [AFTER|@N [SEED]]\n");
    };
    if kind == INJECT_KINDS[INJECT_MUTATE as usize] {
        return mutate(console, name, words);
    }
    let Some(number) = INJECT_KINDS.iter().position(|k| *k == kind) else {
        say!(console, "inject: there is no fault kind {kind}; the kinds are:");
        INJECT_KINDS.iter().for_each(|kind| say!(console, " {kind}"));
        return console.write("\n");
    };
    // A number that does not fit is refused, never cut down to one that means something else.
    let moment = match words.next() {
        None => InjectMoment::Wait(0),
        Some(word) => match word.strip_prefix('@') {
            Some(count) => match count.parse::<u32>() {
                Ok(count) if count > 0 => InjectMoment::Midway(count),
                _ => {
                    return console.write("inject: @N counts instructions, from 1 to 4294967295\n");
                }
            },
            None => match word.parse::<u16>() {
                Ok(after) => InjectMoment::Wait(after),
                Err(_) => {
                    return console
                        .write("inject: AFTER is a count of messages, from 0 to 65535\n");
                }
            },
        },
    };
    let seed_limit = match moment {
        InjectMoment::Wait(_) => INJECT_MIDWAY >> 16,
        InjectMoment::Midway(_) => 1 << 31,
    };
    let seed = match words.next().map(str::parse::<u64>) {
        None => 1,
        Some(Ok(seed)) if seed < seed_limit => seed,
        _ => return say!(console, "inject: SEED is a whole number below {seed_limit}\n"),
    };
    let task = match sys::lookup(name) {
        Ok(task) => task,
        Err(error) => return say!(console, "inject {name}: {}\n", describe(error)),
    };
    // Said before the fault is armed: once armed, it may fire at this very line (the console
    // and the serial driver carry it), and the supervisor's news would come first.
    match moment {
        InjectMoment::Wait(0) => say!(
            console,
            "inject: arming {kind} in {name} ({task}); it fires at its next message\n"
        ),
        InjectMoment::Wait(after) => say!(
            console,
            "inject: arming {kind} in {name} ({task}); it fires after {after} more messages\n"
        ),
        InjectMoment::Midway(count) => say!(
            console,
            "inject: arming {kind} in {name} ({task}); it fires after {count} more of its \
             instructions\n"
        ),
    }
    let detail = match moment {
        InjectMoment::Wait(after) => inject_detail(after, seed),
        InjectMoment::Midway(count) => inject_detail_midway(count, seed as u32),
    };
    if let Err(error) = sys::inject_later(task, number as u64, detail) {
        say!(console, "inject {name}: not armed: {}\n", describe(error));
    }
}

/// `inject NAME mutate ADDRESS BYTES`: write BYTES (hex digits, two a byte) over the task's
/// code at ADDRESS (hex, `0x` optional), at once.
fn mutate<'a>(console: &mut Console, name: &str, mut words: impl Iterator<Item = &'a str>) {
    const USAGE: &str = "usage: inject NAME mutate ADDRESS BYTES (both in hex, at most 15 bytes)\n";
    let (Some(address), Some(hex)) = (words.next(), words.next()) else {
        return console.write(USAGE);
    };
    let address = address.strip_prefix("0x").unwrap_or(address);
    let Ok(address) = u64::from_str_radix(address, 16) else { return console.write(USAGE) };
    let mut bytes = [0u8; MUTATION_MAX];
    let length = hex.len() / 2;
    let digits = hex.as_bytes().chunks(2).map(|pair| core::str::from_utf8(pair).ok());
    let parsed = digits.map(|pair| pair.and_then(|p| u8::from_str_radix(p, 16).ok()));
    if hex.len() % 2 != 0 || length == 0 || length > MUTATION_MAX {
        return console.write(USAGE);
    }
    for (slot, byte) in bytes.iter_mut().zip(parsed) {
        let Some(byte) = byte else { return console.write(USAGE) };
        *slot = byte;
    }
    let task = match sys::lookup(name) {
        Ok(task) => task,
        Err(error) => return say!(console, "inject {name}: {}\n", describe(error)),
    };
    // Said first: the change may break the console or the serial driver carrying this line.
    say!(
        console,
        "inject: changing {length} bytes of the code of {name} ({task}) at {address:#x}\n"
    );
    if let Err(error) = sys::mutate(task, address, &bytes[..length]) {
        let why = match error {
            IpcError::Failed(SyscallError::InvalidArgument) => "those bytes are not all its code",
            other => describe(other),
        };
        say!(console, "inject {name}: not changed: {why}\n");
    }
}

/// `kill NAME` and `restart NAME`.
pub fn kill_or_restart(console: &mut Console, command: &str, name: Option<&str>) {
    let Some(name) = name else {
        return say!(console, "usage: {command} NAME\n");
    };
    let task = match sys::lookup(name) {
        Ok(task) => task,
        Err(error) => return say!(console, "{command} {name}: {}\n", describe(error)),
    };
    if command == "restart" {
        return match sys::restart(task) {
            Ok(task) => say!(console, "restarted {name} as {task}\n"),
            Err(error) => say!(console, "restart {name}: {}\n", describe(error)),
        };
    }
    // Said before the kill: the supervisor hears of the end at once and would tell first.
    if sys::task_status(task.index).is_ok_and(|s| s.state == STATE_IN_KERNEL) {
        // A service built into the kernel cannot be started again.
        say!(
            console,
            "kill: stopping {name} ({task}); it is built into the kernel, so it will be gone \
             until the next boot\n"
        );
    } else {
        say!(console, "kill: stopping {name} ({task})\n");
    }
    if let Err(error) = sys::kill(task) {
        say!(console, "kill {name}: not stopped: {}\n", describe(error));
    }
}

pub fn ps(console: &mut Console) {
    console.write("ID      NAME            STATE       PRIO  RESTARTS  SYSCALLS\n");
    let mut index = 0;
    while let Ok(status) = sys::task_status(index) {
        // The kernel only reports valid ids; a garbled one is shown as such, never as 0.0.
        let id = match TaskId::from_raw(status.id) {
            Some(id) => Line::format(format_args!("{id}")),
            None => Line::format(format_args!("?")),
        };
        say!(
            console,
            "{:<7} {:<15} {:<11} {:>4}  {:>8}  {:>8}\n",
            id,
            status.name(),
            state_name(status.state),
            status.priority,
            status.restarts,
            status.syscalls
        );
        index += 1;
    }
}

/// Words for what went wrong, for the user.
pub fn describe(error: IpcError) -> &'static str {
    match error {
        IpcError::Dead { .. } => "the task has ended",
        IpcError::Failed(SyscallError::Denied) => {
            "permission denied (this shell lacks the privilege)"
        }
        IpcError::Failed(SyscallError::NoSuchTask) => "no such task",
        IpcError::Failed(SyscallError::InvalidArgument) => "not possible for that task",
        IpcError::Failed(_) => "the kernel refused",
    }
}

/// `mem`: physical frames, the kernel heap, task slots.
pub fn mem(console: &mut Console) {
    // LAB 2 BEGIN: ask the kernel, and say "mem: the kernel refused" if it does not answer
    let Ok(stats) = sys::memory_info() else { return console.write("mem: the kernel refused\n") };
    // LAB 2 STUB
    // let Some(stats) = None::<libipc::abi::MemoryStats> else {
    //     return console.write("mem: not written yet (lab 2)\n");
    // };
    // LAB 2 END
    let used = stats.frames - stats.frames_free;
    say!(
        console,
        "physical: {} KiB used of {} KiB ({} of {} frames)\n",
        used * 4,
        stats.frames * 4,
        used,
        stats.frames
    );
    say!(
        console,
        "kernel heap: {} KiB used, {} KiB free\n",
        stats.heap_used / 1024,
        stats.heap_free / 1024
    );
    say!(console, "tasks: {} alive in {} slots\n", stats.tasks_alive, stats.tasks);
}

/// `services`: each server the supervisor looks after, as the supervisor sees it (its policy,
/// restarts, and whether it watches it, waits to restart it, or gave up on it) and as the
/// kernel sees it now (its id and state).
pub fn services(console: &mut Console) {
    use service_api::supervisor::{GAVE_UP, Restart, STATUS, WAITING};
    let supervisor = ulib::client::Server::new("supervisor");
    console.write("SERVER           ID      POLICY   RESTARTS  SUPERVISOR       NOW\n");
    for index in 0.. {
        let mut name = [0u8; 16];
        let lease = libipc::abi::Lease::write(&mut name);
        let reply = supervisor.call(STATUS, [index, 0, 0, 0], &[lease], ulib::client::Retry::Safe);
        let Ok([_, restarts, policy, watch]) = reply else { return };
        let watch = match watch {
            WAITING => "restarting soon",
            GAVE_UP => "left dead",
            _ => "watching",
        };
        let name = libipc::abi::field_name(&name).unwrap_or("?");
        // The kernel's view: the slot's id now, and its state.
        let now = sys::lookup(name).and_then(|task| Ok((task, sys::task_status(task.index)?)));
        let (id, state) = match now {
            Ok((task, status)) => (Line::format(format_args!("{task}")), state_name(status.state)),
            Err(_) => (Line::format(format_args!("-")), "gone"),
        };
        say!(
            console,
            "{name:<16} {:<7} {:<8} {restarts:>8}  {watch:<16} {state}\n",
            id.as_str(),
            Restart::name(policy),
        );
    }
}

/// `dmesg`: the kernel's kept log, oldest line first (the lines `cargo xtask qemu` keeps off
/// the console).
pub fn dmesg(console: &mut Console) {
    print_text(console, "dmesg", sys::kernel_log);
}

/// Prints all the text `read` gives, piece by piece from position 0 (`kernel_log`,
/// `trace_read`); `what` names the command in an error.
pub fn print_text(
    console: &mut Console,
    what: &str,
    mut read: impl FnMut(u64, &mut [u8]) -> Result<(usize, u64), IpcError>,
) {
    let mut piece = [0u8; libipc::abi::KERNEL_LOG_MAX as usize];
    let mut from = 0;
    loop {
        match read(from, &mut piece) {
            Ok((0, _)) => return,
            Ok((count, next)) => {
                // The log is cut only between characters, but a piece may end inside one (the
                // trace gives whole ASCII lines, so for it nothing is left over).
                let text = &piece[..count];
                let valid =
                    core::str::from_utf8(text).map_or_else(|e| e.valid_up_to(), |t| t.len());
                console.write(core::str::from_utf8(&text[..valid]).unwrap_or(""));
                from = next - (count - valid) as u64;
                if valid == 0 {
                    return; // a lone broken character: nothing more to show
                }
            }
            Err(error) => return say!(console, "{what}: {}\n", describe(error)),
        }
    }
}
