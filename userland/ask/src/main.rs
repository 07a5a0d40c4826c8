//! Asks for a name on the console and greets it: a program that reads a line, as any
//! interactive program run from the shell would. Ctrl-C while it waits ends its read with
//! `INTERRUPTED`, and the shell stops it.

#![no_std]
#![no_main]

use libipc::abi::Lease;
use service_api::console::READ_LINE;
use service_api::status::{INTERRUPTED, describe};
use ulib::client::{Retry, Server};
use ulib::println;

ulib::entry!(main);

/// The exit code of a program stopped by Ctrl-C, as shells count it (128 + SIGINT).
const STOPPED_BY_CTRL_C: u64 = 130;

fn main(_argument: &str) -> u64 {
    println!("what is your name?");
    let mut name = [0u8; 64];
    let console = Server::new("console");
    match console.call(READ_LINE, [0; 4], &[Lease::write(&mut name)], Retry::Safe) {
        Ok([_, length, ..]) => {
            let name = core::str::from_utf8(&name[..(length as usize).min(name.len())]);
            println!("hello, {}!", name.unwrap_or("stranger"));
            0
        }
        Err(INTERRUPTED) => {
            println!("interrupted");
            STOPPED_BY_CTRL_C
        }
        Err(status) => {
            println!("{}", describe(status));
            1
        }
    }
}
