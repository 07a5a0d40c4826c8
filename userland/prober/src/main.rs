//! Sends the servers requests no well-behaved client would: unknown operations, missing
//! leases, leases with the wrong access or pointing at nothing, stray notifications, paths
//! that are too long or not 8.3, sectors past the disk. Each must be refused with an error
//! reply, and afterwards every server must still do its job. Exit code 0 means they did;
//! otherwise the failing check's line.

#![no_std]
#![no_main]

use libipc::TaskId;
use libipc::abi::{LEASE_READ, LEASE_WRITE, Lease};
use libipc::sys::{self, Message};
use service_api::status::{BAD_NAME, BAD_REQUEST, NOT_A_PROGRAM, NOT_FOUND, OK, TOO_LARGE};
use service_api::{block, console, fs, serial, supervisor};
use ulib::{println, require};

ulib::entry!(main);

/// The reply status of a request, or `u64::MAX` if the call itself failed.
fn status(server: TaskId, op: u32, leases: &[Lease]) -> u64 {
    status_with(server, op, [0; 4], leases)
}

fn status_with(server: TaskId, op: u32, words: [u64; 4], leases: &[Lease]) -> u64 {
    sys::call(server, &Message::new(op, words), leases).map_or(u64::MAX, |r| r.message.payload[0])
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
    let reply = sys::call(console, &Message::new(console::WRITE, [0; 4]), &[Lease::read(text)]);
    require!(reply.map(|r| r.message.payload[..2] == [OK, text.len() as u64]) == Ok(true));
    let code = match probe_storage() {
        0 => probe_keyboard_and_supervisor(),
        code => code,
    };
    if code == 0 {
        println!("all malformed requests refused");
    }
    code
}

/// The disk driver and the file server: malformed requests refused, then a real file read.
fn probe_storage() -> u64 {
    let (Ok(disk), Ok(files)) = (sys::lookup("block"), sys::lookup("fs")) else { return 4 };
    let nowhere =
        Lease { address: 0x2000_0000_0000, length: 512, access: LEASE_READ | LEASE_WRITE };
    let mut sector = [0u8; 512];
    let mut odd = [0u8; 100];
    let mut too_many = [0u8; 16 * 512];
    require!(status(disk, 99, &[]) == BAD_REQUEST);
    require!(status(disk, block::READ, &[]) == BAD_REQUEST);
    require!(status(disk, block::READ, &[Lease::read(&sector)]) == BAD_REQUEST); // not writable
    require!(status(disk, block::READ, &[Lease::write(&mut odd)]) == BAD_REQUEST); // not whole sectors
    require!(status(disk, block::READ, &[Lease::write(&mut too_many)]) == TOO_LARGE);
    require!(
        status_with(disk, block::READ, [1 << 40, 0, 0, 0], &[Lease::write(&mut sector)])
            == TOO_LARGE
    );
    require!(status(disk, block::WRITE, &[nowhere]) == BAD_REQUEST); // nothing to read there
    // Sector 0 holds the partition table: its signature proves the driver reads the disk.
    require!(status(disk, block::READ, &[Lease::write(&mut sector)]) == OK);
    require!(sector[510..] == [0x55, 0xaa]);

    let long = [b'A'; fs::MAX_PATH + 1];
    let mut buffer = [0u8; 64];
    require!(status(files, 99, &[Lease::read(b"/README.TXT")]) == BAD_REQUEST);
    require!(status(files, fs::STAT, &[]) == BAD_REQUEST); // no path
    require!(status(files, fs::STAT, &[Lease::write(&mut buffer)]) == BAD_REQUEST); // path not readable
    let nowhere_path = Lease { length: 16, ..nowhere };
    require!(status(files, fs::STAT, &[nowhere_path]) == BAD_REQUEST);
    require!(status(files, fs::STAT, &[Lease::read(&long)]) == BAD_NAME);
    require!(status(files, fs::STAT, &[Lease::read(&[0xff, 0xfe])]) == BAD_NAME); // not UTF-8
    require!(status(files, fs::STAT, &[Lease::read(b"/far-too-long-a-name.text")]) == BAD_NAME);
    require!(status(files, fs::STAT, &[Lease::read(b"/NOPE.TXT")]) == NOT_FOUND);
    // A path in the request words is checked as one in lease 0 is, in both flavours.
    let [garbled, length] = fs::inline_path(&[0xff, 0xfe]);
    require!(status_with(files, fs::STAT, [0, 0, garbled, length], &[]) == BAD_NAME);
    let [nope, length] = fs::inline_path(b"/NOPE.TXT");
    require!(status_with(files, fs::STAT, [0, 0, nope, length], &[]) == NOT_FOUND);
    require!(status(files, fs::READ, &[Lease::read(b"/README.TXT")]) == BAD_REQUEST); // no buffer
    let read_only = Lease::read(&buffer);
    require!(status(files, fs::READ, &[Lease::read(b"/README.TXT"), read_only]) == BAD_REQUEST);
    require!(
        status(files, fs::WRITE, &[Lease::read(b"/X.TXT"), Lease::write(&mut odd)]) == BAD_REQUEST
    );
    require!(
        status(files, fs::LIST, &[Lease::read(b"/"), Lease::write(&mut odd[..10])]) == BAD_REQUEST
    );
    require!(status(files, fs::RENAME, &[Lease::read(b"/README.TXT")]) == BAD_REQUEST); // no target
    require!(
        status_with(
            files,
            fs::READ,
            [1 << 40, 0, 0, 0],
            &[Lease::read(b"/README.TXT"), Lease::write(&mut buffer)]
        ) == TOO_LARGE
    );

    // Still serving: the first bytes of the README.
    let reply = sys::call(
        files,
        &Message::new(fs::READ, [0; 4]),
        &[Lease::read(b"/README.TXT"), Lease::write(&mut buffer[..16])],
    );
    require!(reply.map(|r| r.message.payload[..2] == [OK, 16]) == Ok(true));
    require!(&buffer[..16] == b"Welcome to Moat.");
    0
}

/// The keyboard driver answers like the serial driver; the supervisor refuses bad programs.
fn probe_keyboard_and_supervisor() -> u64 {
    let (Ok(keyboard), Ok(boss)) = (sys::lookup("keyboard"), sys::lookup("supervisor")) else {
        return 5;
    };
    let mut buffer = [0u8; 64];
    require!(status(keyboard, 99, &[]) == BAD_REQUEST);
    require!(status(keyboard, serial::READ, &[]) == BAD_REQUEST);
    require!(status(keyboard, serial::READ, &[Lease::read(&buffer)]) == BAD_REQUEST);
    // Nothing typed: an empty read, not an error.
    let reply =
        sys::call(keyboard, &Message::new(serial::READ, [0; 4]), &[Lease::write(&mut buffer)]);
    require!(reply.map(|r| r.message.payload[..2] == [OK, 0]) == Ok(true));

    let junk = b"not an ELF file at all";
    require!(status(boss, 99, &[]) == BAD_REQUEST);
    require!(status(boss, supervisor::SPAWN, &[]) == BAD_REQUEST);
    require!(status(boss, supervisor::SPAWN, &[Lease::read(junk)]) == BAD_REQUEST); // no argument
    require!(
        status(boss, supervisor::SPAWN, &[Lease::write(&mut buffer), Lease::read(b"")])
            == BAD_REQUEST
    );
    let name = u64::from_le_bytes(*b"junk\0\0\0\0");
    let words = [name, 0, 0, 0];
    require!(
        status_with(boss, supervisor::SPAWN, words, &[Lease::read(junk), Lease::read(b"")])
            == NOT_A_PROGRAM
    );
    require!(status(boss, supervisor::STATUS, &[]) == NOT_FOUND); // it watches nothing here
    // Still answering.
    require!(status(boss, 99, &[]) == BAD_REQUEST);
    0
}
