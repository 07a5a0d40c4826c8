//! The microkernel flavour: no service is built in, so none of these is ever reached with
//! work to do.

use super::{Answer, Host};
use crate::research::record::Injection;
use libipc::TaskId;

pub fn is_builtin(_name: &[u8]) -> bool {
    false
}

#[cfg_attr(feature = "guest-tests", allow(dead_code))]
pub fn start() {}

pub fn call(_: &[u8], _: &mut dyn Host, _: TaskId, _: u32, _: [u64; 4]) -> Answer {
    Answer::Now([service_api::status::BAD_REQUEST, 0, 0, 0])
}

pub fn interrupt(_line: u8, _kernel: &mut dyn Host) -> bool {
    false
}

pub fn arm(_name: &[u8], _injection: Injection) {}

pub fn stop(_name: &[u8]) {}

pub fn take_stopped() -> Option<&'static str> {
    None
}
