//! QEMU: finding or installing it, and the one place its command line is built.

use crate::util::{Failure, run_status};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const QEMU: &str = "qemu-system-x86_64";

/// Status QEMU exits with when the kernel writes to `isa-debug-exit`: `(value << 1) | 1`
/// for the kernel's `ExitCode::Success` (0x10) and `ExitCode::Failure` (0x11).
pub const GUEST_SUCCESS: i32 = 33;
pub const GUEST_FAILURE: i32 = 35;

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
    /// Stop at the first instruction and wait for gdb on localhost:1234.
    pub gdb: bool,
    /// The kernel command line, passed through fw_cfg.
    pub cmdline: String,
    /// Serial on the terminal with QEMU's monitor multiplexed (Ctrl-A X quits), or on stdout
    /// only, for capture.
    pub interactive: bool,
    /// Deterministic mode for benchmarks: one guest instruction per nanosecond of virtual time
    /// (`-icount shift=0`), so the TSC counts instructions and runs repeat exactly.
    pub icount: bool,
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
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0");
    let has_apt = Command::new("apt-get").arg("--version").output().is_ok();
    if !(is_root && has_apt) {
        return Err(Failure::new(format!(
            "{} not installed. Install it, then run this again:\n  \
             Debian/Ubuntu: sudo apt-get install {}\n  \
             Fedora:        sudo dnf install qemu-system-x86 edk2-ovmf\n  \
             macOS:         brew install qemu",
            packages.join(" and "),
            packages.join(" ")
        )));
    }
    eprintln!("xtask: installing {} with apt-get", packages.join(" "));
    let apt = |args: &[&str]| {
        let mut command = Command::new("apt-get");
        command.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        command
    };
    run_status(&mut apt(&["update", "-q"]), "apt-get update")?;
    let mut install = apt(&["install", "-y", "-q"]);
    install.args(&packages);
    run_status(&mut install, "apt-get install")?;
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
    match options.accel {
        Accel::Tcg => qemu.args(["-accel", "tcg"]),
        Accel::Kvm => qemu.args(["-accel", "kvm", "-cpu", "host"]),
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
    let mut drive = std::ffi::OsString::from("format=raw,file=");
    drive.push(image);
    qemu.arg("-drive").arg(drive);
    qemu.args(["-display", "none"]);
    qemu.args(["-serial", if options.interactive { "mon:stdio" } else { "stdio" }]);
    if !options.interactive {
        qemu.args(["-monitor", "none"]);
    }
    // QEMU refuses an empty string here; no file reads as an empty command line anyway.
    if !options.cmdline.is_empty() {
        let value = escape_option_value(&options.cmdline);
        qemu.args(["-fw_cfg", &format!("name=opt/moat/cmdline,string={value}")]);
    }
    if options.gdb {
        qemu.args(["-s", "-S"]);
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

/// Boots without a terminal, collecting the serial output; kills QEMU after `timeout`.
/// `on_line` sees each serial line as it arrives and returns true to end the run there
/// (QEMU is then stopped and the exit code is `Some(0)`).
pub fn run_captured(
    image: &Path,
    options: &RunOptions,
    timeout: Duration,
    mut on_line: impl FnMut(&str) -> bool,
) -> Result<Captured, Failure> {
    let mut qemu = command(image, options)?;
    qemu.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = qemu.spawn().map_err(|e| Failure::new(format!("starting {QEMU}: {e}")))?;

    let (lines_in, lines) = mpsc::channel::<String>();
    let stdout = child.stdout.take().expect("stdout is piped");
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if lines_in.send(line.trim_end_matches('\r').to_owned()).is_err() {
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
    let exit_code = 'run: loop {
        while let Ok(line) = lines.try_recv() {
            let done = on_line(&line);
            output.push_str(&line);
            output.push('\n');
            if done {
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
    let _ = reader.join();
    for line in lines.try_iter() {
        output.push_str(&line);
        output.push('\n');
    }
    let qemu_errors = errors.join().unwrap_or_default();
    if !qemu_errors.trim().is_empty() {
        output.push_str("[qemu stderr] ");
        output.push_str(&qemu_errors);
    }
    Ok(Captured { exit_code, output })
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
            gdb: true,
            cmdline: "log=debug x=1,2".into(),
            interactive: false,
            icount: true,
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
        assert!(joined.ends_with("-s -S"));
    }
}
