//! The store, after MINIX 3's data store: each server the supervisor looks after may keep a
//! little state here (`KEEP`), which it, or its successor after a restart, takes back
//! (`KEPT`). The console keeps what was typed and not yet read, the serial driver the bytes
//! received and not yet taken, so a restart of either loses no keystroke. The store lives
//! as long as the supervisor does.

use crate::{WATCHED, Watched};
use libipc::abi::{LEASE_READ, LEASE_WRITE};
use libipc::sys::{self, Message, Received};
use service_api::status::{BAD_REQUEST, NOT_FOUND, OK, TOO_LARGE};
use service_api::supervisor::{KEEP, KEEP_MAX};
use static_cell::ConstStaticCell;

/// What each watched server kept, by its place in the policy: (length, bytes).
pub struct Store {
    kept: [(usize, [u8; KEEP_MAX]); WATCHED],
}

/// Kept out of the supervisor's stack: 16 servers of up to `KEEP_MAX` bytes each.
static STORE: ConstStaticCell<Store> =
    ConstStaticCell::new(Store { kept: [(0, [0; KEEP_MAX]); WATCHED] });

/// The store; call once.
pub fn take() -> &'static mut Store {
    STORE.take()
}

/// `KEEP` or `KEPT` from a server of `watched`.
pub fn handle(
    store: &mut Store,
    watched: &[Option<Watched>; WATCHED],
    request: &Received,
) -> Message {
    let answer = |status, count| Message::new(0, [status, count as u64, 0, 0]);
    let caller = request.sender;
    // The caller's manifest name, from the kernel: a server cannot keep for another.
    let name = sys::task_status(caller.index).ok().filter(|status| status.id == caller.to_raw());
    let place = name.and_then(|status| {
        watched.iter().position(|w| w.as_ref().is_some_and(|w| w.policy.name == status.name()))
    });
    let Some(place) = place else { return answer(NOT_FOUND, 0) };
    let (length, bytes) = &mut store.kept[place];
    if request.message.op == KEEP {
        let Some(lent) = sys::lent_length(caller, 0, LEASE_READ) else {
            return answer(BAD_REQUEST, 0);
        };
        if lent > KEEP_MAX as u64 {
            return answer(TOO_LARGE, 0);
        }
        let new = &mut bytes[..lent as usize];
        if sys::lease_read(caller, 0, 0, new).is_err() {
            return answer(BAD_REQUEST, 0);
        }
        *length = new.len();
        return answer(OK, *length);
    }
    let Some(room) = sys::lent_length(caller, 0, LEASE_WRITE) else {
        return answer(BAD_REQUEST, 0);
    };
    let copied = (*length).min(room as usize);
    match sys::lease_write(caller, 0, 0, &bytes[..copied]) {
        Ok(_) => answer(OK, copied),
        Err(_) => answer(BAD_REQUEST, 0),
    }
}
