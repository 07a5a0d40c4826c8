//! Sleeps for the number of timer ticks its argument names (default 10), three times, and
//! checks each time that it woke neither early nor late. Exit code 0 means on time.

#![no_std]
#![no_main]

use ulib::{println, sys};

ulib::entry!(main);

/// How late a wake-up may be: the tick it is due, plus the one in which the scheduler runs it.
const SLACK_TICKS: u64 = 2;

fn main(argument: &str) -> u64 {
    let ticks: u64 = argument.parse().unwrap_or(10);
    let mut late_or_early = 0;
    for _ in 0..3 {
        let before = sys::uptime();
        sys::sleep(ticks);
        let slept = sys::uptime() - before;
        println!("asked for {ticks} ticks, slept {slept}");
        if slept < ticks || slept > ticks + SLACK_TICKS {
            late_or_early += 1;
        }
    }
    late_or_early
}
