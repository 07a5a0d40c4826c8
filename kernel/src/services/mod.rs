//! Services built into the kernel: the monolithic flavour.
//!
//! Built with the kernel's `monolithic` feature (`cargo xtask qemu --flavor monolithic`), the
//! serial, keyboard and block drivers, the console and the file server run here, in ring 0,
//! from the same `-core` libraries the ring-3 servers use. The manifest is unchanged: a task
//! whose name is a built-in service (`TaskSpec::service`, worked out at build time) gets a
//! slot in state `InKernel` instead of an address space, so user programs find it with
//! `lookup` and `call` it as before, and the kernel runs the request on the spot
//! (`in_kernel.rs`). Interrupts go straight to the built-in
//! drivers. Faults injected into a built-in service fire in ring 0 (`builtin/gate.rs`).
//!
//! This file is the only place the flavour is chosen: without the feature, the functions
//! below come from `none.rs` and say that nothing is built in.

/// What a built-in service sees of the kernel: `Host`, and its `Answer`s.
pub mod host;
/// A caller's leases, read and written from ring 0.
pub mod leases;
pub use host::{Answer, Host};
pub use leases::KernelLeases;

#[cfg(feature = "monolithic")]
mod builtin;
#[cfg(feature = "monolithic")]
#[cfg_attr(feature = "guest-tests", allow(unused_imports))] // `start` is the system's
pub use builtin::{
    arm, arm_midway, built_in, call, interrupt, on_kernel_step, start, stop, take_stopped,
};

#[cfg(not(feature = "monolithic"))]
mod none;
#[cfg(not(feature = "monolithic"))]
#[cfg_attr(feature = "guest-tests", allow(unused_imports))] // `start` is the system's
pub use none::{
    arm, arm_midway, built_in, call, interrupt, on_kernel_step, start, stop, take_stopped,
};
