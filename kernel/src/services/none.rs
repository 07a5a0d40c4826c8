//! The microkernel flavour: no service is built in, so none of these is ever reached with
//! work to do.

use super::host::{Answer, Host};
use crate::research::record::Injection;
use kernel_core::manifest::{Service as BuiltinService, TaskSpec};
use libipc::TaskId;

pub fn built_in(_spec: &TaskSpec) -> Option<BuiltinService> {
    None
}

#[cfg_attr(feature = "guest-tests", allow(dead_code))]
pub fn start() {}

pub fn call(_: BuiltinService, _: &mut dyn Host, _: TaskId, _: u32, _: [u64; 4]) -> Answer {
    Answer::Now([service_api::status::BAD_REQUEST, 0, 0, 0])
}

pub fn interrupt(_line: u8, _kernel: &mut dyn Host) -> bool {
    false
}

pub fn arm(_service: BuiltinService, _injection: Injection) {}

pub fn arm_midway(_service: BuiltinService, _injection: Injection, _instructions: u32) {}

pub fn on_kernel_step(_frame: &mut crate::arch::TrapFrame) -> bool {
    false
}

pub fn stop(_service: BuiltinService) {}

pub fn take_stopped() -> Option<BuiltinService> {
    None
}
