//! The first ring-3 program: says who it is and exits.

#![no_std]
#![no_main]

use ulib::{println, sys};

ulib::entry!(main);

fn main(_argument: &str) -> u64 {
    let Ok(me) = sys::task_info() else {
        println!("Hello from ring 3! The kernel did not say who I am.");
        return 1;
    };
    println!(
        "Hello from ring 3! I am task {me}; the kernel has been up for {} ticks.",
        sys::uptime()
    );
    0
}
