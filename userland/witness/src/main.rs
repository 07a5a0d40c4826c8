//! Yields forever. Tests run it beside a task that misbehaves: if it keeps making system calls
//! after the other task was killed, the fault stayed contained.

#![no_std]
#![no_main]

ulib::entry!(main);

fn main(_argument: &str) -> u64 {
    loop {
        ulib::sys::yield_now();
    }
}
