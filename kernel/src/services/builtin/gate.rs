//! Where an injected fault meets a built-in service: every request and interrupt a service
//! gets passes its `Gate`, and an armed fault whose count has come fires there, in ring 0,
//! inside the kernel. The same kinds as in ring 3 (`crate::research`), with the consequences a
//! monolithic kernel has: a null pointer or a division by zero is a kernel exception, a hang
//! stops the machine, a `kill` loses the service for good.

use crate::arch::fault_code;
use crate::research::record::Injection;
use core::sync::atomic::{AtomicU8, Ordering};
use kernel_core::manifest::Service as BuiltinService;
use libipc::abi::{
    INJECT_CORRUPT_REPLY, INJECT_FLIP_MEMORY, INJECT_FLIP_REGISTER, INJECT_KILL, INJECT_KINDS,
    INJECT_PANIC, INJECT_SKIP,
};

/// A built-in service: its fault gate and its own state.
pub struct Service<S> {
    pub gate: Gate,
    pub state: S,
}

impl<S> Service<S> {
    /// Passes the gate for one request whose words are `registers` (which a `flipreg`
    /// changes); a `flipmem` changes a word of the service's state.
    pub fn enter(&mut self, registers: &mut [u64]) -> Pass {
        let state = &mut self.state as *mut S as *mut u8;
        // SAFETY: the bytes are exactly `self.state`, borrowed mutably here and by nobody else
        // while the slice lives. A flipped bit may leave a field holding a value its type does
        // not allow: that damage is the experiment (MINIX 3's SWIFI did the same to drivers).
        let bytes = unsafe { core::slice::from_raw_parts_mut(state, size_of::<S>()) };
        self.gate.enter(registers, bytes)
    }
}

/// What the service does with the request after the gate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pass {
    Proceed,
    /// An injected `skip`: do nothing at all.
    Skip,
    /// The service was killed: it serves nothing any more.
    Stopped,
}

pub struct Gate {
    pub service: BuiltinService,
    armed: Option<Injection>,
    pub stopped: bool,
    /// Seed of a bit to flip in the next reply (`badreply`).
    corrupt_reply: Option<u64>,
}

impl Gate {
    pub const fn new(service: BuiltinService) -> Self {
        Gate { service, armed: None, stopped: false, corrupt_reply: None }
    }

    pub fn arm(&mut self, injection: Injection) {
        self.armed = Some(injection);
    }

    fn enter(&mut self, registers: &mut [u64], state: &mut [u8]) -> Pass {
        if self.stopped {
            return Pass::Stopped;
        }
        super::midway::entering(self.service);
        let Some(mut injection) = self.armed.take() else { return Pass::Proceed };
        if injection.after > 0 {
            injection.after -= 1;
            self.armed = Some(injection);
            return Pass::Proceed;
        }
        let kind = INJECT_KINDS.get(injection.kind as usize).unwrap_or(&"?");
        log::warn!("built-in {}: injected fault {kind} fires in ring 0", self.service.name());
        let random = crate::research::inject::mix(injection.seed);
        match injection.kind {
            INJECT_KILL => {
                self.stopped = true;
                note_stopped(self.service);
                return Pass::Stopped;
            }
            INJECT_PANIC => {
                panic!("injected panic in the built-in {} service", self.service.name())
            }
            INJECT_SKIP => return Pass::Skip,
            INJECT_CORRUPT_REPLY => self.corrupt_reply = Some(injection.seed),
            INJECT_FLIP_REGISTER if !registers.is_empty() => {
                registers[(random % registers.len() as u64) as usize] ^= 1 << ((random >> 8) % 64)
            }
            INJECT_FLIP_MEMORY if state.len() >= 8 => {
                let word = (random % (state.len() / 8) as u64) as usize * 8;
                state[word + ((random >> 8) % 8) as usize] ^= 1 << ((random >> 16) % 8);
            }
            kind => fault_code::run_in_ring0(kind),
        }
        Pass::Proceed
    }

    /// Applies a pending `badreply` to the words of the reply about to go out.
    pub fn leave(&mut self, words: &mut [u64; 4]) {
        if let Some(seed) = self.corrupt_reply.take() {
            let random = crate::research::inject::mix(seed);
            words[((random >> 8) % 4) as usize] ^= 1 << (random % 64);
        }
    }
}

/// Services that stopped themselves (an injected `kill` that fired) and whose slot the
/// kernel has not ended yet: bit `BuiltinService::index`.
static STOPPED: AtomicU8 = AtomicU8::new(0);

/// A service that stopped itself since the last call, for the kernel to end its slot.
pub fn take_stopped() -> Option<BuiltinService> {
    let bits = STOPPED.load(Ordering::Relaxed);
    let service = BuiltinService::ALL.into_iter().find(|s| bits & 1 << s.index() != 0)?;
    STOPPED.fetch_and(!(1 << service.index()), Ordering::Relaxed);
    Some(service)
}

fn note_stopped(service: BuiltinService) {
    STOPPED.fetch_or(1 << service.index(), Ordering::Relaxed);
}
