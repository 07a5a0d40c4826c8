//! The Linux kernel `bench --vs linux` boots: a Debian kernel package, fetched with the
//! system's package tools and unpacked once into `target/linux/`, or any bzImage named by
//! `MOAT_LINUX_KERNEL`.

use crate::util::Failure;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The package the reference figures in the docs were measured with.
pub const PACKAGE: &str = "linux-image-6.1.0-57-amd64";
/// A kernel image to use instead of the package (for a machine without Debian's tools).
pub const OVERRIDE: &str = "MOAT_LINUX_KERNEL";

/// The kernel image and the words that name it in the report.
pub fn obtain(dir: &Path) -> Result<(PathBuf, String), Failure> {
    if let Some(path) = std::env::var_os(OVERRIDE) {
        let path = PathBuf::from(path);
        if !path.is_file() {
            return Err(Failure::new(format!(
                "{OVERRIDE} names {}, which is not a file",
                path.display()
            )));
        }
        let name = format!("the kernel {} ({OVERRIDE})", path.display());
        return Ok((path, name));
    }
    let image = dir.join(format!("vmlinuz-{PACKAGE}"));
    let name = format!("Debian's {PACKAGE}");
    if image.is_file() {
        return Ok((image, name));
    }
    std::fs::create_dir_all(dir).map_err(|e| Failure::new(format!("{}: {e}", dir.display())))?;
    println!("== fetching {PACKAGE} with apt-get download (once; about 70 MB)");
    let package = download(dir)?;
    unpack(&package, &image)?;
    // The package is 70 MB of modules the benchmark does not need; the image is 8 MB.
    let _ = std::fs::remove_file(&package);
    Ok((image, name))
}

/// Runs `apt-get download` in `dir`; the path of the `.deb` it wrote.
fn download(dir: &Path) -> Result<PathBuf, Failure> {
    let unavailable = |why: String| {
        Failure::new(format!(
            "could not fetch the Linux kernel package {PACKAGE}: {why}.\n  \
             On Debian or Ubuntu with the package lists up to date, this command fetches it \
             itself; elsewhere, set {OVERRIDE} to an x86_64 bzImage (for example a distribution \
             kernel's /boot/vmlinuz) and run this again."
        ))
    };
    let output = Command::new("apt-get")
        .args(["download", PACKAGE])
        .current_dir(dir)
        .output()
        .map_err(|e| unavailable(format!("apt-get could not be started ({e})")))?;
    if !output.status.success() {
        let said = String::from_utf8_lossy(&output.stderr);
        let said = said.lines().find(|l| l.starts_with("E:")).unwrap_or("apt-get failed");
        return Err(unavailable(format!("apt-get said \"{}\"", said.trim())));
    }
    let prefix = format!("{PACKAGE}_");
    std::fs::read_dir(dir)
        .map_err(|e| Failure::new(format!("{}: {e}", dir.display())))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .find(|path| {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.starts_with(&prefix) && name.ends_with(".deb")
        })
        .ok_or_else(|| unavailable("apt-get wrote no package file".into()))
}

/// Copies the package's `/boot/vmlinuz-*` to `image` (`dpkg-deb --fsys-tarfile | tar`).
fn unpack(package: &Path, image: &Path) -> Result<(), Failure> {
    let failed = |why: String| {
        Failure::new(format!("could not unpack the kernel from {}: {why}", package.display()))
    };
    let mut dpkg = Command::new("dpkg-deb")
        .arg("--fsys-tarfile")
        .arg(package)
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| failed(format!("dpkg-deb could not be started ({e})")))?;
    let tarfile = dpkg.stdout.take().expect("dpkg-deb's output is piped");
    let output = Command::new("tar")
        .args(["-xO", "--wildcards", "./boot/vmlinuz-*"])
        .stdin(tarfile)
        .output()
        .map_err(|e| failed(format!("tar could not be started ({e})")))?;
    let dpkg_ok = dpkg.wait().is_ok_and(|status| status.success());
    if !dpkg_ok || !output.status.success() || output.stdout.is_empty() {
        return Err(failed(format!(
            "no boot/vmlinuz-* in it ({})",
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    std::fs::write(image, &output.stdout)
        .map_err(|e| Failure::new(format!("{}: {e}", image.display())))
}
