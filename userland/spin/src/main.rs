//! CPU-bound work in rounds, with no system call inside a round. Two of these at the same
//! priority still take turns, because the timer interrupt preempts them.
//! Argument: the number of rounds (default 5).

#![no_std]
#![no_main]

use ulib::{println, sys};

ulib::entry!(main);

/// Iterations per round: a few timer ticks' worth of work under emulation.
const WORK_PER_ROUND: u64 = 2_000_000;

fn main(argument: &str) -> u64 {
    let rounds: u64 = argument.parse().unwrap_or(5);
    let Ok(me) = sys::task_info() else { return 1 };
    let mut sum = 0u64;
    for round in 1..=rounds {
        for i in 0..WORK_PER_ROUND {
            sum = core::hint::black_box(sum.wrapping_mul(31).wrapping_add(i));
        }
        println!("task {me}: round {round}/{rounds} done at tick {}", sys::uptime());
    }
    0
}
