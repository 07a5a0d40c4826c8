//! The shell. It reads lines from the console server and writes its output there, so every
//! keystroke and every line of output travels as messages between ring-3 tasks:
//! keyboard -> serial driver -> console -> shell, and back.

#![no_std]
#![no_main]

use libipc::abi::{Lease, TICKS_PER_SECOND};
use libipc::sys;
use service_api::console::{CONTROLLER, READ_LINE, WRITE};
use service_api::status::{END_OF_INPUT, INTERRUPTED};
use ulib::Line;
use ulib::client::{Retry, Server};
use ulib::fs::Files;

/// Formats a line and writes it to the console.
macro_rules! say {
    ($console:expr, $($arg:tt)*) => {
        $console.write(Line::format(format_args!($($arg)*)).as_str())
    };
}

mod files;
mod programs;
mod tasks;
mod trace;

ulib::entry!(main);

const PROMPT: &str = "moat> ";

const HELP: &str = "\
commands:
  help            this list
  echo WORDS...   print the words
  uptime          time since boot
  whoami          this shell's task id
  ps              every task: id, state, priority, restarts, system calls
  ls [DIR]        the files of a directory (default /)
  cat FILE        print a file
  echo TEXT > FILE, echo TEXT >> FILE
                  write (or add) a line to a file
  write FILE      type lines into a file; end with a line holding only `.`
  rm PATH         remove a file or an empty directory
  mkdir DIR       make a directory
  mv FROM TO      rename a file
  sum FILE        size and FNV-1a checksum of a file
  stress [N]      write, read back and check N files (default 20)
  mem             physical memory, kernel heap and task slots in use
  dmesg           the kernel's log (kept off the console)
  trace COMMAND   record the messages, interrupts and faults while COMMAND runs
  trace on|off    record from now on, or stop
  trace show      print what was recorded (`cargo xtask trace` draws it)
  services        the servers the supervisor looks after: policy, restarts, state
  NAME ARGS...    run the program /BIN/NAME (Ctrl-C stops it)
  kill NAME       stop a task (the supervisor restarts the servers it looks after)
  restart NAME    start a task afresh from its boot image
  inject NAME KIND [AFTER|@N [SEED]]
                  make a task fault at its next message (or after AFTER more, or
                  midway, after N more of its own instructions);
                  KIND is one of kill panic nullptr privileged divzero hang stack
                  stall skip, or a corruption: flipreg flipmem badreply (SEED picks
                  the bit)
  inject NAME mutate ADDRESS BYTES
                  write BYTES (hex, at most 15) over a task's code at ADDRESS
  clear           clear the screen
";

/// The console server, through the client helper: a restart of the console under the shell
/// is survived (output and line reads are safe to repeat).
pub struct Console {
    server: Server,
}

impl Console {
    pub fn write(&mut self, text: &str) {
        let _ = self.server.call(WRITE, [0; 4], &[Lease::read(text.as_bytes())], Retry::Safe);
    }

    /// One line of input. The shell reads as the terminal's controller: Ctrl-C typed while
    /// a program runs is the shell's to act on (`programs::wait`).
    pub fn read_line<'a>(&mut self, buffer: &'a mut [u8]) -> Input<'a> {
        let words = [CONTROLLER, 0, 0, 0];
        match self.server.call(READ_LINE, words, &[Lease::write(buffer)], Retry::Safe) {
            Ok([_, len, ..]) => {
                let line = core::str::from_utf8(&buffer[..(len as usize).min(buffer.len())]);
                Input::Line(line.unwrap_or(""))
            }
            Err(END_OF_INPUT) => Input::End,
            Err(INTERRUPTED) => Input::Interrupted,
            Err(_) => {
                sys::sleep(10); // busy or gone: do not spin while it sorts itself out
                Input::Line("")
            }
        }
    }
}

/// What reading a line gave.
pub enum Input<'a> {
    Line(&'a str),
    /// The user typed Ctrl-C instead of finishing the line.
    Interrupted,
    /// Ctrl-D on an empty line.
    End,
}

fn main(_argument: &str) -> u64 {
    let mut console = Console { server: Server::new("console") };
    let fs = Files::new();
    say!(console, "Moat shell. Type `help` for the commands.\n");
    let mut buffer = [0u8; 200];
    loop {
        console.write(PROMPT);
        match console.read_line(&mut buffer) {
            Input::Line(line) => run(&mut console, &fs, line.trim()),
            Input::Interrupted => {} // a fresh prompt
            Input::End => {
                console.write("\nend of input; the shell exits\n");
                return 0;
            }
        }
    }
}

pub fn run(console: &mut Console, fs: &Files, line: &str) {
    if let Some((text, path, append)) = redirection(line) {
        return files::echo_into(console, fs, text, path, append);
    }
    let mut words = line.split_ascii_whitespace();
    let Some(command) = words.next() else { return };
    match command {
        "help" => console.write(HELP),
        "echo" => {
            let mut first = true;
            for word in words {
                if !first {
                    console.write(" ");
                }
                console.write(word);
                first = false;
            }
            console.write("\n");
        }
        "uptime" => {
            let ticks = sys::uptime();
            say!(
                console,
                "up {}.{:02} s ({ticks} ticks)\n",
                ticks / TICKS_PER_SECOND,
                ticks % TICKS_PER_SECOND
            );
        }
        "whoami" => match sys::task_info() {
            Ok(me) => say!(console, "shell, task {me}\n"),
            Err(_) => say!(console, "shell, task unknown\n"),
        },
        "clear" => console.write("\x1b[2J\x1b[H"),
        "ps" => tasks::ps(console),
        "inject" => tasks::inject(console, words),
        "kill" | "restart" => tasks::kill_or_restart(console, command, words.next()),
        "ls" => files::ls(console, fs, words.next().unwrap_or("/")),
        "cat" | "sum" | "rm" | "mkdir" | "write" => {
            let Some(path) = words.next() else { return say!(console, "usage: {command} PATH\n") };
            match command {
                "cat" => files::cat(console, fs, path),
                "sum" => files::sum(console, fs, path),
                "rm" => files::simple(console, command, fs.remove(path), path),
                "mkdir" => files::simple(console, command, fs.make_directory(path), path),
                _ => files::write(console, fs, path),
            }
        }
        "mv" => {
            let (Some(from), Some(to)) = (words.next(), words.next()) else {
                return console.write("usage: mv FROM TO\n");
            };
            files::simple(console, command, fs.rename(from, to), from);
        }
        "stress" => {
            let rounds = words.next().and_then(|n| n.parse().ok()).unwrap_or(20);
            files::stress(console, fs, rounds);
        }
        "mem" => tasks::mem(console),
        "dmesg" => tasks::dmesg(console),
        "services" => tasks::services(console),
        "trace" => trace::trace(console, fs, line[command.len()..].trim()),
        other => {
            let argument = line[other.len()..].trim();
            if !programs::run(console, fs, other, argument) {
                say!(console, "{other}: no such command or program (try `help`, `ls BIN`)\n");
            }
        }
    }
}

/// `echo TEXT > FILE` or `echo TEXT >> FILE`: the text, the file, and whether to append.
fn redirection(line: &str) -> Option<(&str, &str, bool)> {
    let rest = line.strip_prefix("echo ")?;
    let at = rest.find('>')?;
    let (text, target) = (rest[..at].trim(), &rest[at + 1..]);
    let (append, target) = match target.strip_prefix('>') {
        Some(target) => (true, target),
        None => (false, target),
    };
    Some((text, target.trim(), append))
}
