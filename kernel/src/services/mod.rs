//! Services built into the kernel: the monolithic flavour.
//!
//! Built with the kernel's `monolithic` feature (`cargo xtask qemu --flavor monolithic`), the
//! serial, keyboard and block drivers, the console and the file server run here, in ring 0,
//! from the same `-core` libraries the ring-3 servers use. The manifest is unchanged: a task
//! whose name is a built-in service (`TaskSpec::service`, worked out at build time) gets a slot in state `InKernel` instead of an address
//! space, so user programs find it with `lookup` and `call` it as before, and the kernel runs
//! the request on the spot (`sched/builtin.rs`). Interrupts go straight to the built-in
//! drivers. Faults injected into a built-in service fire in ring 0 (`builtin/gate.rs`).
//!
//! This file is the only place the flavour is chosen: without the feature, the functions
//! below come from `none.rs` and say that nothing is built in.

use kernel_core::manifest::Service as BuiltinService;
use libipc::TaskId;

mod leases;
pub use leases::KernelLeases;

#[cfg(feature = "monolithic")]
mod builtin;
#[cfg(feature = "monolithic")]
#[cfg_attr(feature = "guest-tests", allow(unused_imports))] // `start` is the system's
pub use builtin::{arm, built_in, call, interrupt, start, stop, take_stopped};

#[cfg(not(feature = "monolithic"))]
mod none;
#[cfg(not(feature = "monolithic"))]
#[cfg_attr(feature = "guest-tests", allow(unused_imports))] // `start` is the system's
pub use none::{arm, built_in, call, interrupt, start, stop, take_stopped};

/// How a built-in service answers a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// The reply's four payload words.
    Now([u64; 4]),
    /// Later (a console read waits for a line): the service calls `Host::reply`.
    #[cfg_attr(not(feature = "monolithic"), allow(dead_code))]
    Later,
    /// Never: an injected `skip` dropped the request, registers and all.
    #[cfg_attr(not(feature = "monolithic"), allow(dead_code))]
    Skipped,
}

/// The rest of the kernel, as a built-in service sees it: its callers and their leases.
#[cfg_attr(not(feature = "monolithic"), allow(dead_code))]
pub trait Host {
    /// The leases `caller` lent with its pending call.
    fn leases(&self, caller: TaskId) -> Option<KernelLeases<'_>>;
    /// Whether `caller` still waits for `service`'s reply.
    fn awaits(&self, caller: TaskId, service: BuiltinService) -> bool;
    /// Answers the call `caller` made to `service` (nothing if it no longer waits).
    fn reply(&mut self, caller: TaskId, service: BuiltinService, words: [u64; 4]);
    /// Raises notification `bits` of `task`.
    fn notify(&mut self, task: TaskId, bits: u64);
}
