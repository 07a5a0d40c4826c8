//! Research hooks: fault injection and the state benchmarks read, kept out of the hot paths.
//!
//! Each task carries one `Research` sub-record (`record.rs`). The kernel's paths reach it
//! through one hook point, `hooks::armed` then `hooks::run`: a test of one byte of that
//! record, and nothing more unless the task has work armed there. `inject.rs` is what an armed fault does to a
//! task (its machine code is in `arch::fault_code`).

/// The one hook point and what happens there.
pub mod hooks;
/// What each kind of fault does to a task: a jump to its snippet, or one flipped bit.
pub mod inject;
/// Faults that fire after a count of the task's instructions, in the middle of its work.
pub mod midway;
/// A few bytes of a task's code changed (or the kernel's, for a built-in service).
pub mod mutate;
/// The per-task sub-record and its hook-point bits.
pub mod record;
