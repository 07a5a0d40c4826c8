//! Midway faults in a built-in service: the same trigger as for a ring-3 server
//! (`research::midway`), counting the kernel's own instructions while the service works.
//!
//! When the armed service passes its gate, the kernel sets the trap flag in ring 0, so each
//! instruction of the service (and of whatever it calls, such as the block driver's code
//! under the file server) ends in a debug trap, which `on_step` counts. At the end of the
//! request or interrupt the counting pauses, to go on at the service's next one. At the last
//! instruction the fault happens where the kernel was: a jump to the faulting instruction
//! (`fault_code::ring0_entry`) or a flipped register of the interrupted code. A kind that
//! changes the service's state rather than its code (`kill`, `skip`, `badreply`, `flipmem`)
//! cannot happen in the middle of kernel code; it waits at the gate for the next request.
//!
//! The counting stops only where a built-in request or interrupt ends, not where the armed
//! service's own part of it ends: a driver called from inside another service's request (the
//! block driver under the file server, the serial and screen drivers under the console) is
//! counted on through the rest of its caller's request, so its fault may land in the caller's
//! code. Either way it is the kernel's code that faults.
//!
//! The trap handler may have interrupted any lock holder, the serial port's included, so it
//! keeps to atomics and logs nothing; the end of the request says that the fault fired.

use crate::arch::cpu::TRAP_FLAG;
use crate::arch::{TrapFrame, fault_code};
use crate::research::inject::flip_register;
use crate::research::record::Injection;
use core::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, AtomicU64, Ordering::Relaxed};
use kernel_core::manifest::Service as BuiltinService;
use libipc::abi::{INJECT_FLIP_REGISTER, INJECT_KINDS};

/// `BuiltinService::index` + 1 of the service armed; 0 for none (one at a time).
static ARMED: AtomicU8 = AtomicU8::new(0);
/// Instructions left before the fault.
static LEFT: AtomicU32 = AtomicU32::new(0);
static KIND: AtomicU64 = AtomicU64::new(0);
static SEED: AtomicU64 = AtomicU64::new(0);
/// The trap flag is set in the kernel's code now: its traps are counted.
static STEPPING: AtomicBool = AtomicBool::new(false);
/// The fault fired since the last end of a request (to say so there).
static FIRED: AtomicBool = AtomicBool::new(false);

/// Arms `injection` in `service`, to fire after `instructions` (at least 1) of the kernel's
/// own while the service works; replaces any earlier midway fault.
pub fn arm(service: BuiltinService, injection: Injection, instructions: u32) {
    KIND.store(injection.kind, Relaxed);
    SEED.store(injection.seed, Relaxed);
    LEFT.store(instructions.max(1), Relaxed);
    ARMED.store(service.index() as u8 + 1, Relaxed);
}

/// At `service`'s gate: its request or interrupt begins; count it if it is armed.
pub fn entering(service: BuiltinService) {
    if ARMED.load(Relaxed) == service.index() as u8 + 1 && !STEPPING.load(Relaxed) {
        STEPPING.store(true, Relaxed);
        crate::arch::cpu::start_single_step();
    }
}

/// A built-in request or interrupt has ended: stop counting (the next trap clears the flag).
pub fn leaving() {
    crate::research::mutate::tell_kernel_code_ran();
    if STEPPING.load(Relaxed) {
        STEPPING.store(false, Relaxed);
    }
    if FIRED.load(Relaxed) {
        FIRED.store(false, Relaxed);
        let kind = INJECT_KINDS.get(KIND.load(Relaxed) as usize).unwrap_or(&"?");
        log::warn!("built-in service: injected fault {kind} fired midway, in ring 0");
    }
}

/// A debug trap in ring 0 (`frame`): `true` if it was one counted instruction (or the stop of
/// the counting), `false` if nobody set the trap flag for it.
pub fn on_step(frame: &mut TrapFrame) -> bool {
    if frame.rflags & TRAP_FLAG == 0 {
        return false;
    }
    if !STEPPING.load(Relaxed) {
        frame.rflags &= !TRAP_FLAG; // `leaving` asked for the stop
        return true;
    }
    let left = LEFT.load(Relaxed).saturating_sub(1);
    LEFT.store(left, Relaxed);
    if left > 0 {
        return true;
    }
    STEPPING.store(false, Relaxed);
    ARMED.store(0, Relaxed);
    FIRED.store(true, Relaxed);
    frame.rflags &= !TRAP_FLAG;
    match KIND.load(Relaxed) {
        INJECT_FLIP_REGISTER => {
            flip_register(frame, SEED.load(Relaxed));
        }
        kind => {
            if let Some(entry) = fault_code::ring0_entry(kind) {
                frame.rip = entry;
            }
        }
    }
    true
}
