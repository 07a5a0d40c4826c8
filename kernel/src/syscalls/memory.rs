//! `memory_info`: how much memory the kernel has handed out, for the shell's `mem` (lab 2
//! writes this system call end to end: labs/02-system-calls).

use super::outcome::Outcome;
use crate::state::Kernel;
// LAB 2 BEGIN: what your system call needs: the record it fills and the checked copy out
use crate::usercopy::copy_value_to_user;
use libipc::abi::MemoryStats;
// LAB 2 STUB
// use libipc::SyscallError;
// LAB 2 END

/// `memory_info(buffer)`: physical memory, kernel heap and task table use, written as a
/// `MemoryStats` into the caller's `buffer`.
pub fn memory_info(k: &mut Kernel, caller: usize, buffer: u64) -> Outcome {
    // LAB 2 BEGIN: fill a MemoryStats and copy it out to the caller's buffer, checked
    let frames = crate::mm::frames::stats();
    let (heap_used, heap_free) = crate::mm::heap::usage();
    let stats = MemoryStats {
        frames: frames.managed as u64,
        frames_free: frames.free as u64,
        heap_used: heap_used as u64,
        heap_free: heap_free as u64,
        tasks: k.tasks.len() as u64,
        tasks_alive: k.tasks.iter().filter(|t| t.state.is_alive()).count() as u64,
    };
    match copy_value_to_user(k.space_of(caller), buffer, &stats) {
        Ok(()) => Outcome::Value(0),
        Err(error) => error.into(),
    }
    // LAB 2 STUB
    // let _ = (k, caller, buffer);
    // SyscallError::UnknownSyscall.into()
    // LAB 2 END
}
