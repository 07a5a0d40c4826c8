//! `trace`: the kernel's IPC trace from the shell. `trace CMD` records exactly one command,
//! from the moment it starts to the moment it ends, so nothing typed at the prompt is in it.

use crate::tasks::{describe, print_text};
use crate::{Console, run};
use libipc::sys;
use ulib::Line;
use ulib::fs::Files;

const USAGE: &str = "usage: trace on | trace off | trace show | trace COMMAND...\n";

/// `trace on|off|show`, or `trace COMMAND...`.
pub fn trace(console: &mut Console, fs: &Files, rest: &str) {
    match rest {
        "" => console.write(USAGE),
        "on" => {
            switch(console, true, "tracing: on; `trace off` stops it, `trace show` prints it\n")
        }
        "off" => switch(console, false, "tracing: off; `trace show` prints what was recorded\n"),
        "show" => {
            // Printing is itself traced: stop first, or the reader would chase its own tail.
            if sys::trace(false).is_ok() {
                print_text(console, "trace", sys::trace_read);
            } else {
                switch(console, false, "");
            }
        }
        command => {
            if let Err(error) = sys::trace(true) {
                return say!(console, "trace: {}\n", describe(error));
            }
            run(console, fs, command);
            let _ = sys::trace(false);
            console.write("traced; `trace show` prints it\n");
        }
    }
}

fn switch(console: &mut Console, on: bool, done: &str) {
    match sys::trace(on) {
        Ok(()) => console.write(done),
        Err(error) => say!(console, "trace: {}\n", describe(error)),
    }
}
