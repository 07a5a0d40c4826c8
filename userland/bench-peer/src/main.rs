//! The benchmark partner, at a higher priority than `bench` so every message to it switches
//! tasks at once. `ECHO` replies immediately; `LEASE` reads the caller's 4 KiB lease first.
//! A notification makes it send its wake-up time back to `bench`.

#![no_std]
#![no_main]

use libipc::abi::FOREVER;
use libipc::sys::{self, Message};
use ulib::timing::timestamp;

ulib::entry!(main);

const ECHO: u32 = 1;
const LEASE: u32 = 2;

fn main(_argument: &str) -> u64 {
    let Ok(bench) = sys::lookup("bench") else { return 3 };
    let mut buffer = [0u8; 4096];
    sys::serve(|request| {
        if request.notification().is_some() {
            let woke = timestamp();
            let _ = sys::send(bench, &Message::new(0, [woke, 0, 0, 0]), FOREVER);
            return None;
        }
        if request.message.op == LEASE {
            let _ = sys::lease_read(request.sender, 0, 0, &mut buffer);
        }
        Some(Message::new(ECHO, request.message.payload))
    })
}
