//! Running programs from the disk: `NAME ARGS...` reads `/BIN/NAME` through the file server,
//! lends the image to the supervisor, which has the kernel start it, and waits for it to end.
//! Ctrl-C while it runs stops it.

use crate::Console;
use libipc::SyscallError;
use libipc::TaskId;
use libipc::abi::{Lease, STATE_FAULTED, STATE_KILLED};
use libipc::sys::{self, IpcError};
use service_api::console::INTERRUPT_BIT;
use service_api::status::{NOT_FOUND, describe};
use service_api::supervisor::{MAX_PROGRAM, SPAWN};
use ulib::Line;
use ulib::client::{Retry, Server};
use ulib::fs::Files;

/// The program's image on its way to the supervisor (too big for the stack).
static mut IMAGE: [u8; MAX_PROGRAM] = [0; MAX_PROGRAM];

/// Runs `/BIN/NAME` if there is one; returns false if there is not (so: no such command).
pub fn run(console: &mut Console, files: &Files, name: &str, argument: &str) -> bool {
    if name.is_empty() || name.len() > 8 || !name.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return false;
    }
    let mut path = [0u8; 13];
    path[..5].copy_from_slice(b"/BIN/");
    for (slot, byte) in path[5..].iter_mut().zip(name.bytes()) {
        *slot = byte.to_ascii_uppercase();
    }
    let path = core::str::from_utf8(&path[..5 + name.len()]).unwrap_or("/BIN/");
    // SAFETY: the shell is one thread and `run` is never re-entered, so this is the only
    // reference to `IMAGE` while it lives.
    let image = unsafe { &mut *core::ptr::addr_of_mut!(IMAGE) };
    let length = match read_image(files, path, image) {
        Ok(length) => length,
        Err(NOT_FOUND) => return false,
        Err(error) => {
            say!(console, "{name}: {}\n", describe(error));
            return true;
        }
    };
    let leases = [Lease::read(&image[..length]), Lease::read(argument.as_bytes())];
    let [first, second] = libipc::abi::name_words(name);
    let words = [first, second, 0, 0];
    let supervisor = Server::new("supervisor");
    // A Ctrl-C meant for an earlier command (one the shell runs itself) is not this one's.
    let _ = sys::wait_notification(0);
    match supervisor.call(SPAWN, words, &leases, Retry::Unsafe) {
        Ok(reply) => match TaskId::from_raw(reply[1]) {
            Some(task) => wait(console, name, task),
            None => say!(console, "{name}: the supervisor gave no task id\n"),
        },
        Err(error) => say!(console, "{name}: {}\n", describe(error)),
    }
    true
}

/// Reads the whole file into `image`; `TOO_LARGE` if it does not fit.
fn read_image(files: &Files, path: &str, image: &mut [u8]) -> Result<usize, u64> {
    let size = files.stat(path)?.size as usize;
    if size > image.len() {
        return Err(service_api::status::TOO_LARGE);
    }
    let mut done = 0;
    while done < size {
        match files.read_at(path, done as u64, &mut image[done..size])? {
            0 => break,
            n => done += n,
        }
    }
    Ok(done)
}

/// Waits for `task` to end; Ctrl-C (the console's `INTERRUPT_BIT` to this shell) kills it.
fn wait(console: &mut Console, name: &str, task: TaskId) {
    loop {
        match sys::receive(Some(task), 5) {
            Err(IpcError::Dead { .. }) | Err(IpcError::Failed(SyscallError::NoSuchTask)) => break,
            _ => {}
        }
        if sys::wait_notification(0).is_ok_and(|bits| bits & INTERRUPT_BIT != 0) {
            let _ = sys::kill(task);
        }
    }
    if let Ok(status) = sys::task_status(task.index) {
        match status.state {
            STATE_FAULTED => say!(console, "{name}: stopped by a fault (see the kernel log)\n"),
            STATE_KILLED => say!(console, "{name}: stopped\n"),
            _ => {}
        }
    }
}
