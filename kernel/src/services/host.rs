//! The kernel as a built-in service sees it (`Host`), and how a service answers (`Answer`).

use super::leases::KernelLeases;
use kernel_core::manifest::Service as BuiltinService;
use libipc::TaskId;

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
