//! Sends the serial driver and the console requests no well-behaved client would: unknown
//! operations, missing leases, leases with the wrong access or pointing at nothing, stray
//! notifications. Each must be refused with `BAD_REQUEST`, and afterwards both servers must
//! still do their job. Exit code 0 means they did; otherwise the failing check's line.

#![no_std]
#![no_main]

use libipc::TaskId;
use libipc::abi::{LEASE_READ, LEASE_WRITE, Lease};
use libipc::sys::{self, Message};
use service_api::console;
use service_api::status::{BAD_REQUEST, OK};
use ulib::{println, require};

ulib::entry!(main);

/// The reply status of a request, or `u64::MAX` if the call itself failed.
fn status(server: TaskId, op: u32, leases: &[Lease]) -> u64 {
    sys::call(server, &Message::new(op, [0; 4]), leases).map_or(u64::MAX, |r| r.message.payload[0])
}

fn main(_argument: &str) -> u64 {
    let (Ok(serial), Ok(console)) = (sys::lookup("serial"), sys::lookup("console")) else {
        return 3;
    };
    let mut buffer = [0u8; 64];
    let readable = Lease { address: buffer.as_ptr() as u64, length: 16, access: LEASE_READ };
    let writable = Lease { address: buffer.as_mut_ptr() as u64, length: 16, access: LEASE_WRITE };
    // Inside user space, but nothing is mapped there.
    let nowhere = Lease { address: 0x2000_0000_0000, length: 64, access: LEASE_READ | LEASE_WRITE };
    let huge = Lease { address: buffer.as_ptr() as u64, length: 1 << 40, access: LEASE_READ };

    for server in [serial, console] {
        require!(status(server, 99, &[]) == BAD_REQUEST); // unknown operation
        require!(status(server, 99, &[readable]) == BAD_REQUEST);
        require!(status(server, 1, &[]) == BAD_REQUEST); // WRITE without its lease
        require!(status(server, 1, &[writable]) == BAD_REQUEST); // WRITE needs a readable lease
        require!(status(server, 1, &[nowhere]) == BAD_REQUEST); // ...that can be read
        // A lease reaching past the end of user space: the kernel refuses the call itself.
        require!(
            sys::call(server, &Message::new(1, [0; 4]), &[huge]).map(|_| ())
                == Err(libipc::sys::IpcError::Failed(libipc::SyscallError::BadAddress))
        );
        require!(status(server, 2, &[]) == BAD_REQUEST); // READ / READ_LINE without its lease
        require!(status(server, 2, &[readable]) == BAD_REQUEST); // needs a writable lease
    }
    // Stray notification bits mean nothing to the console.
    require!(sys::notify(console, 1 << 40 | 1 << 16).is_ok());

    // Both still work: a line through the console reaches the terminal via the serial driver.
    let text = b"prober: the servers refused every malformed request and still answer\n";
    let lease =
        Lease { address: text.as_ptr() as u64, length: text.len() as u64, access: LEASE_READ };
    let reply = sys::call(console, &Message::new(console::WRITE, [0; 4]), &[lease]);
    require!(reply.map(|r| r.message.payload[..2] == [OK, text.len() as u64]) == Ok(true));
    println!("all malformed requests refused");
    0
}
