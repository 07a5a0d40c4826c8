//! The service benchmark (`cargo xtask bench --flavor both`): what the operations a program
//! asks of the system's services cost it, measured the same way on both flavours. In the
//! microkernel each is a message to a ring-3 server (which may send more: the file server to
//! the block driver, the console to the serial driver); in the monolithic kernel the same
//! call is handled inside the kernel. Each measurement is one `call`, bracketed by the
//! time-stamp counter (guest instructions under `-icount shift=0`), and printed as a `BENCH`
//! line.
//!
//! - `console_write_64`: 64 bytes to the console (which sends them to the serial line).
//! - `file_read_4k`: 4 KiB read from a file on the data disk, its sectors in the file server's
//!   cache (warm).
//! - `file_read_4k_cold`: the same read right after the file server emptied its cache
//!   (`fs::DROP_CACHE`, outside the measurement): every sector comes from the disk.
//! - `file_create_delete`: a 16-byte file created, then removed (two calls).
//! - `directory_list`: the entries of the root directory.

#![no_std]
#![no_main]

use libipc::abi::Lease;
use service_api::{console, fs};
use ulib::client::{Retry, Server};
use ulib::fs::about;
use ulib::println;
use ulib::timing::{report, summarize, timestamp};

ulib::entry!(main);

const WARM_UP: usize = 5;
const SAMPLES: usize = 50;

fn measure(name: &str, operation: impl FnMut() -> bool) -> bool {
    measure_after(name, || true, operation)
}

/// Measures `operation`, each time after an unmeasured `setup`.
fn measure_after(
    name: &str,
    mut setup: impl FnMut() -> bool,
    mut operation: impl FnMut() -> bool,
) -> bool {
    let mut samples = [0u64; SAMPLES];
    for round in 0..WARM_UP + SAMPLES {
        if !setup() {
            println!("{name}: the preparation failed");
            return false;
        }
        let start = timestamp();
        if !operation() {
            println!("{name}: the operation failed");
            return false;
        }
        if round >= WARM_UP {
            samples[round - WARM_UP] = timestamp().wrapping_sub(start);
        }
    }
    report(name, &summarize(&mut samples));
    true
}

fn main(_argument: &str) -> u64 {
    let (console_server, files) = (Server::new("console"), Server::new("fs"));
    let call = |server: &Server, op, words, leases: &[Lease]| {
        server.call(op, words, leases, Retry::Unsafe).is_ok()
    };
    // The requests carry their paths as `ulib::fs` builds them (`about`): short ones inline too.
    let path = "/BENCH.DAT";
    let data = [0x5au8; 4096];
    let flags = fs::CREATE | fs::TRUNCATE;
    let create = about(path, [0, flags]);
    if !call(&files, fs::WRITE, create, &[Lease::read(path.as_bytes()), Lease::read(&data)]) {
        println!("cannot write {path}");
        return 1;
    }
    let (read, path) = (about(path, [0, 0]), path.as_bytes());
    let mut ok = measure("empty", || true);
    let line = [b'.'; 64];
    ok &= measure("console_write_64", || {
        call(&console_server, console::WRITE, [0; 4], &[Lease::read(&line)])
    });
    let mut buffer = [0u8; 4096];
    ok &= measure("file_read_4k", || {
        call(&files, fs::READ, read, &[Lease::read(path), Lease::write(&mut buffer)])
    });
    ok &= measure_after(
        "file_read_4k_cold",
        || call(&files, fs::DROP_CACHE, [0; 4], &[]),
        || call(&files, fs::READ, read, &[Lease::read(path), Lease::write(&mut buffer)]),
    );
    let small = b"sixteen bytes..\n";
    ok &= measure("file_create_delete", || {
        let name = "/T.TXT";
        let lease = Lease::read(name.as_bytes());
        call(&files, fs::WRITE, about(name, [0, flags]), &[lease, Lease::read(small)])
            && call(&files, fs::REMOVE, about(name, [0, 0]), &[lease])
    });
    let mut entries = [0u8; 16 * fs::ENTRY_SIZE];
    ok &= measure("directory_list", || {
        call(&files, fs::LIST, about("/", [0, 0]), &[Lease::read(b"/"), Lease::write(&mut entries)])
    });
    println!("\nBENCH DONE");
    if ok { 0 } else { 1 }
}
