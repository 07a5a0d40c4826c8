//! One running QEMU under the campaign's control: type at the serial console or press keys on
//! the PS/2 keyboard (through QEMU's monitor), and wait for what the guest prints.

use crate::qemu::{self, RunOptions};
use crate::util::Failure;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The shell's prompt: a command has finished.
pub const PROMPT: &str = "moat> ";

/// What waiting for the guest came to.
#[derive(Debug, PartialEq, Eq)]
pub enum Wait {
    /// The text appeared; everything printed since the last wait, up to and including it.
    Seen(String),
    /// The kernel stopped the machine (QEMU exited) first.
    Exited(Option<i32>, String),
    /// Nothing of the kind within the time allowed.
    TimedOut(String),
}

pub struct Session {
    child: Child,
    serial: std::process::ChildStdin,
    monitor: UnixStream,
    chunks: mpsc::Receiver<String>,
    /// Output not yet handed out by a wait.
    pending: String,
    /// Everything the guest printed, for the log.
    pub log: String,
}

impl Session {
    /// Boots `image` (with `options`' data disk) and waits for the shell's first prompt.
    pub fn boot(
        image: &Path,
        options: &RunOptions,
        socket: &Path,
        patience: Duration,
    ) -> Result<(Session, Wait), Failure> {
        let mut session = Session::start(image, options, socket)?;
        let first = session.wait_for(PROMPT, patience);
        Ok((session, first))
    }

    /// Starts QEMU from the machine state saved in `state` (by `save_state`, with the same
    /// `options`), at the shell's prompt, and checks the shell answers an empty line.
    pub fn restore(
        image: &Path,
        options: &RunOptions,
        socket: &Path,
        state: &Path,
        patience: Duration,
    ) -> Result<(Session, Wait), Failure> {
        let options = RunOptions { incoming: Some(state.to_owned()), ..options.clone() };
        let mut session = Session::start(image, &options, socket)?;
        // The machine was stopped when it was saved, and so stays stopped once loaded (QEMU
        // ignores a `cont` that comes during the load): wait for the load, then run it.
        let deadline = Instant::now() + patience;
        loop {
            let status = session.ask_monitor("info status\n", "VM status: ", patience);
            let said = status.as_deref().unwrap_or("");
            if said.contains("VM status: paused\r") || said.contains("VM status: paused\n") {
                break;
            }
            if status.is_none() || Instant::now() >= deadline {
                return Ok((session, Wait::TimedOut(format!("QEMU did not load {}", state.display()))));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = session.monitor.write_all(b"cont\n");
        let first = session.command("", patience);
        Ok((session, first))
    }

    fn start(image: &Path, options: &RunOptions, socket: &Path) -> Result<Session, Failure> {
        let _ = std::fs::remove_file(socket);
        let options = RunOptions { monitor_socket: Some(socket.to_owned()), ..options.clone() };
        let mut command = qemu::command(image, &options)?;
        command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::null());
        let mut child = command.spawn().map_err(|e| Failure::new(format!("starting QEMU: {e}")))?;
        let serial = child.stdin.take().expect("stdin is piped");
        let mut stdout = child.stdout.take().expect("stdout is piped");
        let (send, chunks) = mpsc::channel();
        std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(n @ 1..) = stdout.read(&mut buffer) {
                let text = String::from_utf8_lossy(&buffer[..n]).replace('\r', "");
                if send.send(text).is_err() {
                    break;
                }
            }
        });
        // QEMU creates the monitor socket as it starts; give it a moment.
        let started = Instant::now();
        let monitor = loop {
            match UnixStream::connect(socket) {
                Ok(stream) => break stream,
                Err(_) if started.elapsed() < Duration::from_secs(10) => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                Err(e) => {
                    return Err(Failure::new(format!("QEMU monitor {}: {e}", socket.display())));
                }
            }
        };
        Ok(Session { child, serial, monitor, chunks, pending: String::new(), log: String::new() })
    }

    /// Stops the machine and saves its whole state (memory, CPU, devices; not the disks, which
    /// the caller copies) into `state`, for `restore`. The machine stays stopped: end this
    /// session and restore one from the file.
    pub fn save_state(&mut self, state: &Path, patience: Duration) -> Result<(), Failure> {
        let _ = std::fs::remove_file(state);
        let commands =
            format!("stop\nmigrate \"exec:cat > '{}'\"\ninfo status\n", state.display());
        let said = self.ask_monitor(&commands, "(postmigrate)", patience);
        match said {
            Some(_) if state.exists() => Ok(()),
            _ => Err(Failure::new(format!(
                "QEMU could not save the machine's state into {}",
                state.display()
            ))),
        }
    }

    /// Sends `commands` to QEMU's monitor and reads its answers until `until` appears (what
    /// came, or `None` if it did not within `patience`).
    fn ask_monitor(&mut self, commands: &str, until: &str, patience: Duration) -> Option<String> {
        self.monitor.write_all(commands.as_bytes()).ok()?;
        let deadline = Instant::now() + patience;
        let mut said = String::new();
        let mut buffer = [0u8; 4096];
        while !said.contains(until) {
            let left = deadline.checked_duration_since(Instant::now())?;
            self.monitor.set_read_timeout(Some(left.max(Duration::from_millis(1)))).ok()?;
            match self.monitor.read(&mut buffer) {
                Ok(n @ 1..) => said.push_str(&String::from_utf8_lossy(&buffer[..n])),
                Ok(0) => return None,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                Err(_) => return None,
            }
        }
        Some(said)
    }

    /// Types `text` at the serial console.
    pub fn type_serial(&mut self, text: &str) {
        let _ = self.serial.write_all(text.as_bytes()).and_then(|()| self.serial.flush());
    }

    /// Presses keys on the guest's PS/2 keyboard (QEMU `sendkey` names: `a`, `spc`, `ret`).
    pub fn press_keys(&mut self, keys: &[&str]) {
        for key in keys {
            let _ = self.monitor.write_all(format!("sendkey {key}\n").as_bytes());
            // One key at a time, as a typist would: each is its own interrupt.
            std::thread::sleep(Duration::from_millis(30));
        }
    }

    /// Waits until the guest prints `text`, QEMU exits, or `patience` runs out.
    pub fn wait_for(&mut self, text: &str, patience: Duration) -> Wait {
        let deadline = Instant::now() + patience;
        loop {
            while let Ok(chunk) = self.chunks.try_recv() {
                self.log.push_str(&chunk);
                self.pending.push_str(&chunk);
            }
            if let Some(at) = self.pending.find(text) {
                let rest = self.pending.split_off(at + text.len());
                return Wait::Seen(std::mem::replace(&mut self.pending, rest));
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                // Whatever was still in the pipe belongs to the last words.
                std::thread::sleep(Duration::from_millis(50));
                while let Ok(chunk) = self.chunks.try_recv() {
                    self.log.push_str(&chunk);
                    self.pending.push_str(&chunk);
                }
                return Wait::Exited(status.code(), std::mem::take(&mut self.pending));
            }
            if Instant::now() >= deadline {
                return Wait::TimedOut(std::mem::take(&mut self.pending));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Types a shell command and waits for the next prompt.
    ///
    /// Output that came before is dropped first: a prompt left over from an earlier line
    /// must not end this command's wait.
    pub fn command(&mut self, line: &str, patience: Duration) -> Wait {
        self.take_pending();
        self.type_serial(&format!("{line}\r"));
        self.wait_for(PROMPT, patience)
    }

    /// Output so far that no wait has handed out.
    pub fn take_pending(&mut self) -> String {
        while let Ok(chunk) = self.chunks.try_recv() {
            self.log.push_str(&chunk);
            self.pending.push_str(&chunk);
        }
        std::mem::take(&mut self.pending)
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
