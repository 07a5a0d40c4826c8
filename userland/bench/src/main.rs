//! The benchmark driver. Each measurement brackets one operation with the time-stamp counter,
//! repeated after a warm-up, and prints a `BENCH` line that `cargo xtask bench` turns into a
//! table. Under `-icount shift=0` the counter counts guest instructions.
//!
//! - `calibration`: a loop of exactly 2 * N + 1 instructions, to convert ticks to instructions.
//! - `empty`: two back-to-back timestamps, the measurement's own cost (subtracted by xtask).
//! - `null_syscall`: the `syscall` instruction for `task_info`, which only reads a field.
//! - `ipc_call_reply`: `call` to `bench-peer` and its reply, two address spaces.
//! - `notification`: `notify` to `bench-peer` waiting in `receive`, until it runs.
//! - `interrupt_to_driver`: a clock interrupt forwarded to `bench-irq`, until it runs.
//! - `lease_read_4k`: a `call` whose server reads a 4 KiB lease before replying.

#![no_std]
#![no_main]

use libipc::abi::{FOREVER, LEASE_READ, Lease};
use libipc::sys::{self, Message};
use ulib::println;
use ulib::timing::{report, summarize, timestamp};

ulib::entry!(main);

const WARM_UP: usize = 50;
const SAMPLES: usize = 1000;
const CALIBRATION_LOOPS: u64 = 100_000;

/// Runs `operation` `WARM_UP + SAMPLES` times and reports the last `SAMPLES` durations.
fn measure(name: &str, mut operation: impl FnMut() -> u64) {
    let mut samples = [0u64; SAMPLES];
    for round in 0..WARM_UP + SAMPLES {
        let ticks = operation();
        if round >= WARM_UP {
            samples[round - WARM_UP] = ticks;
        }
    }
    report(name, &summarize(&mut samples));
}

fn timed(operation: impl FnOnce()) -> u64 {
    let start = timestamp();
    operation();
    timestamp().wrapping_sub(start)
}

fn main(_argument: &str) -> u64 {
    let (Ok(peer), Ok(irq)) = (sys::lookup("bench-peer"), sys::lookup("bench-irq")) else {
        return 3;
    };
    let start = timestamp();
    // SAFETY: a register-only countdown loop: `dec` and `jnz`, N times, plus the `mov`.
    unsafe {
        core::arch::asm!("mov rcx, {n}", "2:", "dec rcx", "jnz 2b", n = in(reg) CALIBRATION_LOOPS, out("rcx") _);
    }
    let ticks = timestamp().wrapping_sub(start);
    println!("BENCH calibration ticks={ticks} instructions={}", 2 * CALIBRATION_LOOPS + 1);

    measure("empty", || timed(|| {}));
    // The raw instruction with the number of `task_info`, which only reads a field.
    let null = libipc::abi::Sysnum::TaskInfo as u64;
    measure("null_syscall", || {
        // SAFETY: `task_info` takes no arguments and writes only rax and rdx.
        timed(|| {
            let _ = unsafe { sys::syscall_any(null, [0; 6]) };
        })
    });
    let message = Message::new(1, [1, 2, 3, 4]);
    measure("ipc_call_reply", || {
        timed(|| {
            let _ = sys::call(peer, &message, &[]);
        })
    });
    measure("notification", || {
        let sent = timestamp();
        let _ = sys::notify(peer, 1 << 16);
        let woke = sys::receive(Some(peer), FOREVER).map_or(sent, |m| m.message.payload[0]);
        woke.wrapping_sub(sent)
    });
    let buffer = [7u8; 4096];
    let lease = [Lease { address: buffer.as_ptr() as u64, length: 4096, access: LEASE_READ }];
    let with_lease = Message::new(2, [0; 4]);
    measure("lease_read_4k", || {
        timed(|| {
            let _ = sys::call(peer, &with_lease, &lease);
        })
    });
    match sys::call(irq, &Message::new(0, [0; 4]), &[]) {
        Ok(reply) => {
            let [median, p99, min, max] = reply.message.payload;
            println!(
                "BENCH interrupt_to_driver median={median} p99={p99} min={min} max={max} samples=200"
            );
        }
        Err(error) => println!("interrupt measurement failed: {error}"),
    }
    println!("BENCH DONE");
    0
}
