//! Debugging the kernel with gdb: `cargo xtask gdb`, the script behind `qemu --gdb`, and the
//! check that a breakpoint at `kmain` is hit with symbols.
//!
//! The kernel is position-independent and linked at 0, and the bootloader loads it at
//! `KERNEL_BASE`; a plain `gdb kernel` therefore knows every symbol at the wrong address and
//! never stops. The script loads the symbols at that offset. Its breakpoint is a hardware one
//! (`hbreak`): a software breakpoint written before the bootloader has loaded the kernel would
//! be overwritten by the kernel's own bytes.

use crate::images::{self, BuildOptions, Flavor, Images, KernelKind};
use crate::qemu::{self, Firmware, RunOptions};
use crate::util::{Failure, install_packages};
use kernel_core::layout::KERNEL_BASE;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The port QEMU's gdb server listens on for `cargo xtask gdb` and `qemu --gdb`.
pub const PORT: u16 = 1234;

/// The commands that connect gdb to QEMU with the kernel's symbols where the kernel runs.
pub fn script(kernel: &Path, port: u16) -> String {
    format!(
        "set pagination off\n\
         set confirm off\n\
         symbol-file -o {KERNEL_BASE:#x} {kernel}\n\
         target remote 127.0.0.1:{port}\n\
         hbreak kernel::kmain\n",
        kernel = kernel.display()
    )
}

/// Writes the script next to the kernel it is for and returns its path.
pub fn write_script(images: &Images, port: u16) -> Result<PathBuf, Failure> {
    let path = images.kernel.with_file_name("gdbinit");
    std::fs::write(&path, script(&images.kernel, port))
        .map_err(|e| Failure::new(format!("writing {}: {e}", path.display())))?;
    Ok(path)
}

/// Installs gdb with apt-get as root, or says how.
pub fn ensure_installed() -> Result<(), Failure> {
    if Command::new("gdb").arg("--version").output().is_ok() {
        return Ok(());
    }
    install_packages(&["gdb"], "Fedora: sudo dnf install gdb; macOS: brew install gdb")
}

/// `cargo xtask gdb`: boots the system under QEMU, stopped at its first instruction with the
/// serial console in a log file, and runs gdb on this terminal, stopped at `kmain` once you
/// type `continue`. QEMU stops when gdb quits.
pub fn run(release: bool) -> Result<(), Failure> {
    ensure_installed()?;
    let images =
        images::build(KernelKind::System, BuildOptions { release, flavor: Flavor::Micro })?;
    qemu::ensure_installed(Firmware::Bios)?;
    let gdbinit = write_script(&images, PORT)?;
    let serial = images.kernel.with_file_name("gdb-serial.log");
    let log = std::fs::File::create(&serial)
        .map_err(|e| Failure::new(format!("{}: {e}", serial.display())))?;
    let mut qemu = spawn_waiting(images.bios.as_path(), PORT, log.into())?;
    eprintln!(
        "xtask: QEMU waits at the first instruction; the kernel's serial output goes to {}.\n\
         xtask: gdb stops at kmain after `continue` (script: {})",
        serial.display(),
        gdbinit.display()
    );
    let status = Command::new("gdb").arg("-q").arg("-x").arg(&gdbinit).status();
    let _ = qemu.kill();
    let _ = qemu.wait();
    status.map(|_| ()).map_err(|e| Failure::new(format!("starting gdb: {e}")))
}

/// The boot check: gdb in batch mode, against a QEMU that waits for it, must stop at
/// `kernel::kmain` and show it at the top of the backtrace. Returns whether it did, and why
/// not.
pub fn stops_at_kmain(images: &Images, timeout: Duration) -> Result<Result<(), String>, Failure> {
    ensure_installed()?;
    let port = free_port()?;
    let mut batch = script(&images.kernel, port);
    batch.push_str("continue\nbacktrace 1\nkill\n");
    let gdbinit = images.kernel.with_file_name("gdb-check");
    std::fs::write(&gdbinit, batch)
        .map_err(|e| Failure::new(format!("writing {}: {e}", gdbinit.display())))?;
    let mut qemu = spawn_waiting(&images.bios, port, Stdio::null())?;
    let output = run_batch(&gdbinit, timeout);
    let _ = qemu.kill();
    let _ = qemu.wait();
    let output = output?;
    let stopped =
        output.lines().any(|l| l.starts_with("Breakpoint") && l.contains("kernel::kmain"));
    let in_backtrace = output.lines().any(|l| l.starts_with("#0") && l.contains("kernel::kmain"));
    Ok(match (stopped, in_backtrace) {
        (true, true) => Ok(()),
        _ => Err(format!(
            "gdb did not stop at kernel::kmain with symbols; its output:\n{}",
            output.lines().map(|l| format!("    {l}")).collect::<Vec<_>>().join("\n")
        )),
    })
}

/// QEMU booting `image`, stopped at its first instruction until gdb attaches on `port`; its
/// serial console (on QEMU's standard output) goes to `serial`.
fn spawn_waiting(image: &Path, port: u16, serial: Stdio) -> Result<Child, Failure> {
    let options =
        RunOptions { gdb: Some(port), ..RunOptions::captured(Firmware::Bios, String::new()) };
    qemu::command(image, &options)?
        .stdin(Stdio::null())
        .stdout(serial)
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| Failure::new(format!("starting QEMU: {e}")))
}

/// Runs gdb in batch mode on `gdbinit` and returns what it printed; kills it at `timeout`.
fn run_batch(gdbinit: &Path, timeout: Duration) -> Result<String, Failure> {
    let log = gdbinit.with_extension("log");
    let file = |path: &Path| {
        std::fs::File::create(path).map_err(|e| Failure::new(format!("{}: {e}", path.display())))
    };
    let out = file(&log)?;
    let err = out.try_clone().map_err(|e| Failure::new(e.to_string()))?;
    let mut gdb = Command::new("gdb")
        .args(["-q", "-nx", "-batch", "-x"])
        .arg(gdbinit)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(|e| Failure::new(format!("starting gdb: {e}")))?;
    let deadline = Instant::now() + timeout;
    while gdb.try_wait().map_err(|e| Failure::new(e.to_string()))?.is_none() {
        if Instant::now() >= deadline {
            let _ = gdb.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = gdb.wait();
    std::fs::read_to_string(&log).map_err(|e| Failure::new(format!("{}: {e}", log.display())))
}

/// A TCP port on the loopback address that nothing listens on now.
fn free_port() -> Result<u16, Failure> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| Failure::new(format!("finding a free port for gdb: {e}")))?;
    listener.local_addr().map(|a| a.port()).map_err(|e| Failure::new(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_places_the_symbols_where_the_kernel_runs() {
        let script = script(Path::new("/k/kernel"), 4321);
        assert!(script.contains("symbol-file -o 0xffffffff80000000 /k/kernel\n"));
        assert!(script.contains("target remote 127.0.0.1:4321\n"));
        assert!(
            script.contains("hbreak kernel::kmain\n"),
            "a hardware breakpoint survives the load"
        );
    }
}
