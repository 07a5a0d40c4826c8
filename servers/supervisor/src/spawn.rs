//! `SPAWN`: start a program from an image the client lends.

use libipc::SyscallError;
use libipc::abi::LEASE_READ;
use libipc::sys::{self, IpcError, Message, Received};
use service_api::status::{BAD_REQUEST, DENIED, NO_ROOM, NOT_A_PROGRAM, OK, TOO_LARGE};
use service_api::supervisor::{MAX_PROGRAM, SPAWN, TEMPLATE};

/// The image on its way to the kernel (too big for the stack).
static mut IMAGE: [u8; MAX_PROGRAM] = [0; MAX_PROGRAM];

pub fn handle(request: &Received) -> Message {
    let answer = |status, value| Message::new(0, [status, value, 0, 0]);
    if request.message.op != SPAWN {
        return answer(BAD_REQUEST, 0);
    }
    let caller = request.sender;
    let (Some(length), Some(argument_length)) =
        (sys::lent_length(caller, 0, LEASE_READ), sys::lent_length(caller, 1, LEASE_READ))
    else {
        return answer(BAD_REQUEST, 0);
    };
    let mut argument = [0u8; 256];
    if length > MAX_PROGRAM as u64 || argument_length > argument.len() as u64 {
        return answer(TOO_LARGE, 0);
    }
    let argument = &mut argument[..argument_length as usize];
    let [first, second, ..] = request.message.payload;
    let name = libipc::abi::words_field([first, second]);
    // SAFETY: the supervisor is one thread and `handle` is never re-entered, so this is the
    // only reference to `IMAGE` while it lives.
    let image = unsafe { &mut *core::ptr::addr_of_mut!(IMAGE) };
    let image = &mut image[..length as usize];
    let copied = sys::lease_read(caller, 0, 0, image) == Ok(image.len())
        && sys::lease_read(caller, 1, 0, argument) == Ok(argument.len());
    let (Some(name), Ok(argument), true) =
        (libipc::abi::field_name(&name), core::str::from_utf8(argument), copied)
    else {
        return answer(BAD_REQUEST, 0);
    };
    match sys::spawn(TEMPLATE, name, image, argument) {
        Ok(task) => answer(OK, task.to_raw()),
        Err(IpcError::Failed(SyscallError::TooLong)) => answer(TOO_LARGE, 0),
        Err(IpcError::Failed(SyscallError::Denied)) => answer(DENIED, 0),
        Err(IpcError::Failed(SyscallError::OutOfMemory)) => answer(NO_ROOM, 0),
        Err(_) => answer(NOT_A_PROGRAM, 0),
    }
}
