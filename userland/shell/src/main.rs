//! The shell. It reads lines from the console server and writes its output there, so every
//! keystroke and every line of output travels as messages between ring-3 tasks:
//! keyboard -> serial driver -> console -> shell, and back.

#![no_std]
#![no_main]

use libipc::SyscallError;
use libipc::TaskId;
use libipc::abi::{INJECT_KINDS, LEASE_READ, LEASE_WRITE, Lease, TICKS_PER_SECOND, state_name};
use libipc::sys::{self, IpcError, Message};
use service_api::console::{READ_LINE, WRITE};
use service_api::status::{END_OF_INPUT, OK};
use ulib::Line;

ulib::entry!(main);

const PROMPT: &str = "moat> ";

const HELP: &str = "\
commands:
  help            this list
  echo WORDS...   print the words
  uptime          time since boot
  whoami          this shell's task id
  ps              every task: id, state, priority, restarts, system calls
  kill NAME       stop a task (the supervisor restarts the servers it looks after)
  restart NAME    start a task afresh from its boot image
  inject NAME KIND
                  make a task fault at its next message; KIND is one of
                  kill panic nullptr privileged divzero hang stack
  clear           clear the screen
";

struct Console {
    task: Option<TaskId>,
}

impl Console {
    fn server(&mut self) -> Option<TaskId> {
        if self.task.is_none() {
            self.task = sys::lookup("console").ok();
        }
        self.task
    }

    /// Calls the console, finding it again (once) if it was restarted meanwhile.
    fn call(&mut self, op: u32, lease: Lease) -> Result<[u64; 4], IpcError> {
        let mut last = Err(IpcError::Dead { current: TaskId::new(0, 0) });
        for _ in 0..2 {
            let Some(console) = self.server() else { break };
            last =
                sys::call(console, &Message::new(op, [0; 4]), &[lease]).map(|r| r.message.payload);
            match last {
                Err(IpcError::Dead { .. }) => self.task = None,
                _ => break,
            }
        }
        if last.is_err() {
            sys::sleep(1); // the console is gone for now: let the supervisor bring it back
        }
        last
    }

    fn write(&mut self, text: &str) {
        let lease =
            Lease { address: text.as_ptr() as u64, length: text.len() as u64, access: LEASE_READ };
        let _ = self.call(WRITE, lease);
    }

    /// One line of input, or `None` at end of input.
    fn read_line<'a>(&mut self, buffer: &'a mut [u8]) -> Option<&'a str> {
        let lease = Lease {
            address: buffer.as_mut_ptr() as u64,
            length: buffer.len() as u64,
            access: LEASE_WRITE,
        };
        match self.call(READ_LINE, lease) {
            Ok([OK, len, ..]) => core::str::from_utf8(&buffer[..len as usize]).ok(),
            Ok([END_OF_INPUT, ..]) => None,
            _ => {
                sys::sleep(10); // busy or gone: do not spin while it sorts itself out
                Some("")
            }
        }
    }
}

/// Formats a line and writes it to the console.
macro_rules! say {
    ($console:expr, $($arg:tt)*) => {
        $console.write(Line::format(format_args!($($arg)*)).as_str())
    };
}

fn main(_argument: &str) -> u64 {
    let mut console = Console { task: None };
    say!(console, "Moat shell. Type `help` for the commands.\n");
    let mut buffer = [0u8; 200];
    loop {
        console.write(PROMPT);
        let Some(line) = console.read_line(&mut buffer) else {
            console.write("\nend of input; the shell exits\n");
            return 0;
        };
        run(&mut console, line.trim());
    }
}

fn run(console: &mut Console, line: &str) {
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
        "whoami" => say!(console, "shell, task {}\n", sys::task_info()),
        "clear" => console.write("\x1b[2J\x1b[H"),
        "ps" => ps(console),
        "inject" => {
            let (Some(name), Some(kind)) = (words.next(), words.next()) else {
                return console.write("usage: inject NAME KIND\n");
            };
            let Some(number) = INJECT_KINDS.iter().position(|k| *k == kind) else {
                return say!(console, "inject: unknown kind {kind:?}\n");
            };
            match sys::lookup(name).and_then(|task| sys::inject(task, number as u64).map(|()| task))
            {
                Ok(task) => say!(
                    console,
                    "injected {kind} into {name} ({task}); it fires at its next message\n"
                ),
                Err(error) => say!(console, "inject {name}: {}\n", describe(error)),
            }
        }
        "kill" | "restart" => {
            let Some(name) = words.next() else {
                return say!(console, "usage: {command} NAME\n");
            };
            let result = sys::lookup(name).and_then(|task| {
                if command == "kill" { sys::kill(task).map(|()| task) } else { sys::restart(task) }
            });
            match result {
                Ok(task) if command == "kill" => say!(console, "killed {name} ({task})\n"),
                Ok(task) => say!(console, "restarted {name} as {task}\n"),
                Err(error) => say!(console, "{command} {name}: {}\n", describe(error)),
            }
        }
        other => say!(console, "{other}: no such command (try `help`)\n"),
    }
}

fn ps(console: &mut Console) {
    console.write("ID      NAME            STATE       PRIO  RESTARTS  SYSCALLS\n");
    let mut index = 0;
    while let Ok(status) = sys::task_status(index) {
        let id = TaskId::from_raw(status.id).unwrap_or(TaskId::new(index, 0));
        say!(
            console,
            "{:<7} {:<15} {:<11} {:>4}  {:>8}  {:>8}\n",
            Line::format(format_args!("{id}")),
            status.name(),
            state_name(status.state),
            status.priority,
            status.restarts,
            status.syscalls
        );
        index += 1;
    }
}

/// Words for what went wrong, for the user.
fn describe(error: IpcError) -> &'static str {
    match error {
        IpcError::Dead { .. } => "the task has ended",
        IpcError::Failed(SyscallError::Denied) => {
            "permission denied (this shell lacks the privilege)"
        }
        IpcError::Failed(SyscallError::NoSuchTask) => "no such task",
        IpcError::Failed(SyscallError::InvalidArgument) => "not possible for that task",
        IpcError::Failed(_) => "the kernel refused",
    }
}
