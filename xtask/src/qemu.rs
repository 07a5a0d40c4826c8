//! QEMU: finding or installing it, and the one place its command line is built.

use crate::util::{Failure, install_packages};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const QEMU: &str = "qemu-system-x86_64";

/// Status QEMU exits with when the kernel writes to `isa-debug-exit`: `(value << 1) | 1`
/// for the kernel's `ExitCode::Success` (0x10) and `ExitCode::Failure` (0x11).
pub const GUEST_SUCCESS: i32 = 33;
pub const GUEST_FAILURE: i32 = 35;

/// How QEMU ended, in words: its exit status and what the guest meant by it.
pub fn describe_exit(code: Option<i32>) -> String {
    match code {
        Some(GUEST_SUCCESS) => format!("with status {GUEST_SUCCESS} (the kernel reported success)"),
        Some(GUEST_FAILURE) => {
            format!("with status {GUEST_FAILURE} (the kernel reported a failure or panicked)")
        }
        Some(0) => "with status 0 (the guest reset or powered off)".to_string(),
        Some(code) => format!("with status {code}"),
        None => "without a status (it was stopped, or killed by a signal)".to_string(),
    }
}

/// Where distributions put a combined OVMF image usable with `-bios`.
const OVMF_CANDIDATES: [&str; 5] = [
    "/usr/share/ovmf/OVMF.fd",
    "/usr/share/OVMF/OVMF.fd",
    "/usr/share/qemu/OVMF.fd",
    "/usr/share/edk2/x64/OVMF.fd",
    "/usr/share/edk2-ovmf/x64/OVMF.fd",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Firmware {
    Bios,
    Uefi,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Accel {
    /// Software emulation: slower, but traps cost what they cost on hardware, relatively.
    Tcg,
    /// Hardware virtualisation, for real machines (nested KVM turns every trap into an exit).
    Kvm,
}

/// Everything that varies between QEMU runs.
#[derive(Clone, Debug)]
pub struct RunOptions {
    pub firmware: Firmware,
    pub accel: Accel,
    /// QEMU's `-cpu` model under TCG; `None` for its default (`qemu64`).
    pub cpu: Option<&'static str>,
    /// Stop at the first instruction and wait for gdb on this port of 127.0.0.1.
    pub gdb: Option<u16>,
    /// The kernel command line, passed through fw_cfg.
    pub cmdline: String,
    /// Serial on the terminal with QEMU's monitor multiplexed (Ctrl-A X quits), or on stdout
    /// only, for capture.
    pub interactive: bool,
    /// Deterministic mode for benchmarks: one guest instruction per nanosecond of virtual time
    /// (`-icount shift=0`), so the TSC counts instructions and runs repeat exactly.
    pub icount: bool,
    /// The data disk, attached as the second drive of the primary ATA channel.
    pub data_disk: Option<PathBuf>,
    /// Show QEMU's window (its keyboard reaches the guest's PS/2 controller).
    pub display: bool,
    /// QEMU's monitor on this Unix socket, for typed input that starts with `MONITOR`.
    pub monitor_socket: Option<PathBuf>,
    /// One log line per guest instruction executed at these addresses (`cargo xtask bench
    /// --profile`): `(log file, QEMU -dfilter ranges)`.
    pub trace: Option<(PathBuf, String)>,
    /// Boot a Linux kernel instead of a Moat disk image (`bench --vs linux`): the image is
    /// then the kernel, started by QEMU itself with this initramfs and command line.
    pub linux: Option<LinuxBoot>,
    /// Start from this saved machine state (`Session::save_state`) instead of booting: QEMU's
    /// `-incoming`, which needs the same devices as the run that saved it.
    pub incoming: Option<PathBuf>,
}

/// A Linux kernel started directly by QEMU (`-kernel`, `-initrd`, `-append`).
#[derive(Clone, Debug)]
pub struct LinuxBoot {
    pub initramfs: PathBuf,
    pub append: String,
}

impl RunOptions {
    /// A run without a terminal (output captured), under TCG, with nothing attached.
    pub fn captured(firmware: Firmware, cmdline: String) -> RunOptions {
        RunOptions {
            firmware,
            accel: Accel::Tcg,
            cpu: None,
            gdb: None,
            cmdline,
            interactive: false,
            icount: false,
            data_disk: None,
            display: false,
            monitor_socket: None,
            trace: None,
            linux: None,
            incoming: None,
        }
    }
}

/// Makes sure QEMU (and OVMF for UEFI) is there: installs it with apt-get when running as
/// root on a Debian-like system, otherwise says exactly what to run.
pub fn ensure_installed(firmware: Firmware) -> Result<(), Failure> {
    let need_qemu = Command::new(QEMU).arg("--version").output().is_err();
    let need_ovmf = firmware == Firmware::Uefi && find_ovmf().is_none();
    if !need_qemu && !need_ovmf {
        return Ok(());
    }
    let packages: Vec<&str> = [(need_qemu, "qemu-system-x86"), (need_ovmf, "ovmf")]
        .into_iter()
        .filter_map(|(needed, package)| needed.then_some(package))
        .collect();
    install_packages(
        &packages,
        "Fedora: sudo dnf install qemu-system-x86 edk2-ovmf; macOS: brew install qemu",
    )?;
    if firmware == Firmware::Uefi && find_ovmf().is_none() {
        return Err(Failure::new("ovmf is installed but no OVMF.fd was found; set OVMF_PATH"));
    }
    Ok(())
}

/// The OVMF firmware image: `$OVMF_PATH`, or the first of the usual places that exists.
fn find_ovmf() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("OVMF_PATH") {
        return Some(PathBuf::from(path));
    }
    OVMF_CANDIDATES.iter().map(PathBuf::from).find(|p| p.exists())
}

/// QEMU's `-fw_cfg ...,string=` value: commas are option separators, so they are doubled.
pub fn escape_option_value(value: &str) -> String {
    value.replace(',', ",,")
}

/// The QEMU command line. Every other module asks this function for it.
pub fn command(image: &Path, options: &RunOptions) -> Result<Command, Failure> {
    let mut qemu = Command::new(QEMU);
    qemu.args(["-m", "256M", "-no-reboot"]);
    qemu.args(["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]);
    match (options.accel, options.cpu) {
        (Accel::Tcg, Some(cpu)) => qemu.args(["-accel", "tcg", "-cpu", cpu]),
        (Accel::Tcg, None) => qemu.args(["-accel", "tcg"]),
        (Accel::Kvm, _) => qemu.args(["-accel", "kvm", "-cpu", "host"]),
    };
    if options.icount {
        // The real-time clock must follow virtual time too, or its interrupts would not repeat.
        qemu.args(["-icount", "shift=0", "-rtc", "base=2000-01-01,clock=vm"]);
    }
    if options.firmware == Firmware::Uefi {
        let ovmf =
            find_ovmf().ok_or_else(|| Failure::new("no OVMF firmware found; set OVMF_PATH"))?;
        qemu.arg("-bios").arg(ovmf);
    }
    if let Some(linux) = &options.linux {
        qemu.arg("-kernel").arg(image).arg("-initrd").arg(&linux.initramfs);
        qemu.args(["-append", &linux.append]);
    } else {
        let mut drive = std::ffi::OsString::from("format=raw,file=");
        drive.push(image);
        qemu.arg("-drive").arg(drive);
    }
    if let Some(disk) = &options.data_disk {
        let mut drive = std::ffi::OsString::from("format=raw,if=ide,index=1,file=");
        drive.push(disk);
        qemu.arg("-drive").arg(drive);
    }
    if !options.display {
        qemu.args(["-display", "none"]);
    }
    qemu.args(["-serial", if options.interactive { "mon:stdio" } else { "stdio" }]);
    if let Some(socket) = &options.monitor_socket {
        let mut monitor = std::ffi::OsString::from("unix:");
        monitor.push(socket);
        monitor.push(",server=on,wait=off");
        qemu.arg("-monitor").arg(monitor);
    } else if !options.interactive {
        qemu.args(["-monitor", "none"]);
    }
    // QEMU refuses an empty string here; no file reads as an empty command line anyway.
    if !options.cmdline.is_empty() {
        let value = escape_option_value(&options.cmdline);
        qemu.args(["-fw_cfg", &format!("name=opt/moat/cmdline,string={value}")]);
    }
    if let Some((log, ranges)) = &options.trace {
        qemu.args(["-singlestep", "-d", "exec,nochain", "-dfilter", ranges]);
        qemu.arg("-D").arg(log);
    }
    if let Some(state) = &options.incoming {
        qemu.arg("-incoming").arg(format!("exec:cat '{}'", state.display()));
    }
    if let Some(port) = options.gdb {
        qemu.args(["-gdb", &format!("tcp:127.0.0.1:{port}"), "-S"]);
    }
    Ok(qemu)
}

/// Boots with the serial console on this terminal until QEMU exits; returns its status.
pub fn run_interactive(image: &Path, options: &RunOptions) -> Result<ExitStatus, Failure> {
    let mut qemu = command(image, options)?;
    qemu.status().map_err(|e| Failure::new(format!("starting {QEMU}: {e}")))
}

/// What a captured run produced.
pub struct Captured {
    /// QEMU's exit status, or `None` if it was killed at the timeout.
    pub exit_code: Option<i32>,
    /// Everything the guest wrote to the serial port, plus QEMU's own error output.
    pub output: String,
}

/// Typed input for a captured run: once the output since the previous step contains `after`,
/// `send` is written to the guest's serial port (the way a user at the terminal would type it).
#[derive(Clone, Copy, Debug)]
pub struct Keystrokes<'a> {
    pub after: &'a str,
    pub send: &'a str,
}

/// Typed input that starts with this goes to QEMU's monitor instead of the serial port, one
/// command per line: `"(qemu) sendkey a"` presses a key on the guest's PS/2 keyboard.
pub const MONITOR: &str = "(qemu) ";

/// How a captured run is driven and when it ends early.
#[derive(Clone, Copy, Default)]
pub struct Session<'a> {
    /// Typed in as the output shows each cue.
    pub input: &'a [Keystrokes<'a>],
    /// Once the output (after the last typed input) contains this, QEMU is stopped and the
    /// run counts as exit status 0.
    pub stop_at: Option<&'a str>,
    /// Before QEMU is stopped there: dump the screen into this file (QEMU monitor
    /// `screendump`, a PPM) until the function accepts it or patience runs out. Output reaches
    /// the serial line before the screen, so one dump at the cue could race the guest.
    pub screen: Option<(&'a Path, &'a dyn Fn(&Path) -> bool)>,
}

/// Boots without a terminal, collecting the serial output (carriage returns dropped); kills
/// QEMU after `timeout`. `on_line` sees each line as it arrives and returns true to end the
/// run there, like `session.stop_at`.
pub fn run_captured(
    image: &Path,
    options: &RunOptions,
    timeout: Duration,
    session: Session,
    mut on_line: impl FnMut(&str) -> bool,
) -> Result<Captured, Failure> {
    let input = session.input;
    let mut qemu = command(image, options)?;
    let stdin = if input.is_empty() { Stdio::null() } else { Stdio::piped() };
    qemu.stdin(stdin).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = qemu.spawn().map_err(|e| Failure::new(format!("starting {QEMU}: {e}")))?;
    let mut keyboard = child.stdin.take();
    let mut monitor = None;

    let (chunks_in, chunks) = mpsc::channel::<String>();
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let reader = std::thread::spawn(move || {
        let mut buffer = [0u8; 4096];
        while let Ok(n @ 1..) = stdout.read(&mut buffer) {
            let text = String::from_utf8_lossy(&buffer[..n]).replace('\r', "");
            if chunks_in.send(text).is_err() {
                break;
            }
        }
    });
    let mut stderr = child.stderr.take().expect("stderr is piped");
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });

    let deadline = Instant::now() + timeout;
    let mut output = String::new();
    let mut line_start = 0;
    let (mut step, mut cue_from) = (0, 0);
    let exit_code = 'run: loop {
        while let Ok(chunk) = chunks.try_recv() {
            output.push_str(&chunk);
            while let Some(end) = output[line_start..].find('\n') {
                let line = output[line_start..line_start + end].to_owned();
                line_start += end + 1;
                if on_line(&line) {
                    kill(&mut child);
                    break 'run Some(0);
                }
            }
            if let Some(keys) = input.get(step).filter(|k| output[cue_from..].contains(k.after)) {
                if let Some(commands) = keys.send.strip_prefix(MONITOR) {
                    monitor_commands(&mut monitor, options, commands)?;
                } else if let Some(keyboard) = keyboard.as_mut() {
                    let _ =
                        keyboard.write_all(keys.send.as_bytes()).and_then(|()| keyboard.flush());
                }
                cue_from = output.len();
                step += 1;
            }
            let typed_all = step == input.len();
            if typed_all && session.stop_at.is_some_and(|stop| output[cue_from..].contains(stop)) {
                if let Some((path, accept)) = session.screen {
                    dump_screen_until(&mut monitor, options, path, accept, deadline)?;
                }
                kill(&mut child);
                break 'run Some(0);
            }
        }
        if let Some(status) = child.try_wait().map_err(|e| Failure::new(e.to_string()))? {
            break status.code();
        }
        if Instant::now() >= deadline {
            kill(&mut child);
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    drop(keyboard);
    let _ = reader.join();
    for chunk in chunks.try_iter() {
        output.push_str(&chunk);
    }
    let qemu_errors = errors.join().unwrap_or_default();
    if !qemu_errors.trim().is_empty() {
        output.push_str("\n[qemu stderr] ");
        output.push_str(&qemu_errors);
    }
    Ok(Captured { exit_code, output })
}

/// Sends commands to QEMU's monitor socket, connecting on first use.
fn monitor_commands(
    monitor: &mut Option<std::os::unix::net::UnixStream>,
    options: &RunOptions,
    commands: &str,
) -> Result<(), Failure> {
    let socket = options
        .monitor_socket
        .as_ref()
        .ok_or_else(|| Failure::new("monitor input needs RunOptions::monitor_socket"))?;
    if monitor.is_none() {
        let stream = std::os::unix::net::UnixStream::connect(socket)
            .map_err(|e| Failure::new(format!("QEMU monitor {}: {e}", socket.display())))?;
        *monitor = Some(stream);
    }
    let stream = monitor.as_mut().expect("connected above");
    for command in commands.lines() {
        stream
            .write_all(format!("{command}\n").as_bytes())
            .map_err(|e| Failure::new(format!("QEMU monitor: {e}")))?;
        // One key at a time, as a typist would: the guest takes each interrupt in turn.
        std::thread::sleep(Duration::from_millis(30));
    }
    Ok(())
}

/// Dumps the screen into `path` every half second until `accept` takes the picture or the
/// run's deadline passes.
fn dump_screen_until(
    monitor: &mut Option<std::os::unix::net::UnixStream>,
    options: &RunOptions,
    path: &Path,
    accept: &dyn Fn(&Path) -> bool,
    deadline: Instant,
) -> Result<(), Failure> {
    loop {
        let _ = std::fs::remove_file(path);
        monitor_commands(monitor, options, &format!("screendump {}", path.display()))?;
        // QEMU writes the file while it handles the command; wait until it is whole.
        let written = Instant::now() + Duration::from_secs(5);
        let mut last_size = None;
        while Instant::now() < written {
            std::thread::sleep(Duration::from_millis(100));
            let size = std::fs::metadata(path).map(|m| m.len()).ok();
            if size.is_some_and(|s| s > 0) && size == last_size {
                break;
            }
            last_size = size;
        }
        if accept(path) || Instant::now() >= deadline {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commas_are_doubled_in_option_values() {
        assert_eq!(escape_option_value("a=1,b=2"), "a=1,,b=2");
        assert_eq!(escape_option_value("plain words"), "plain words");
    }

    #[test]
    fn command_line_has_exit_device_serial_and_cmdline() {
        let options = RunOptions {
            firmware: Firmware::Bios,
            accel: Accel::Tcg,
            cpu: None,
            gdb: Some(1234),
            cmdline: "log=debug x=1,2".into(),
            interactive: false,
            icount: true,
            data_disk: None,
            display: false,
            monitor_socket: None,
            trace: None,
            linux: None,
            incoming: None,
        };
        let qemu = command(Path::new("/tmp/bios.img"), &options).unwrap();
        let args: Vec<String> = qemu.get_args().map(|a| a.to_string_lossy().into_owned()).collect();
        let joined = args.join(" ");
        assert!(joined.contains("isa-debug-exit,iobase=0xf4,iosize=0x04"));
        assert!(joined.contains("-accel tcg"));
        assert!(joined.contains("-serial stdio"));
        assert!(joined.contains("format=raw,file=/tmp/bios.img"));
        assert!(joined.contains("-icount shift=0 -rtc base=2000-01-01,clock=vm"));
        assert!(joined.contains("name=opt/moat/cmdline,string=log=debug x=1,,2"));
        assert!(joined.ends_with("-gdb tcp:127.0.0.1:1234 -S"));
    }
}
