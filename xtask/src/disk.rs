//! The data disk: a FAT16 image the block driver and the file server use. xtask formats it
//! and fills it from `userland/rootfs/` with the same `fs-core` code the file server runs,
//! and checks it with `fsck.fat -n` (dosfstools), which knows nothing of our code.

use crate::userland::Program;
use crate::util::{Failure, install_packages, workspace_root};
use fs_core::{Block, BlockCount, BlockDevice, BlockIdx, FileStore};
use std::cell::RefCell;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

/// 32 MiB: room for many files, quick to copy for each test.
const SECTORS: u32 = 32 * 2048;

/// The disk `cargo xtask qemu` boots with. It is made once and then kept, so what is written
/// in one session is there in the next; `--fresh-disk` makes it again. The programs in `/BIN`
/// are replaced by the ones just built at every boot.
pub fn persistent(fresh: bool, programs: &[Program]) -> Result<PathBuf, Failure> {
    let path = workspace_root().join("target/moat/disk.img");
    if fresh || !path.exists() {
        create(&path, programs)?;
        eprintln!("xtask: made the data disk {} from userland/rootfs", path.display());
    } else {
        install_programs(&open(&path)?, programs)?;
    }
    Ok(path)
}

/// Makes a formatted disk at `path` holding the files of `userland/rootfs/` and `programs`
/// in `/BIN`.
pub fn create(path: &Path, programs: &[Program]) -> Result<(), Failure> {
    let error = |e: std::io::Error| Failure::new(format!("{}: {e}", path.display()));
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(error)?;
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
        .map_err(error)?;
    file.set_len(u64::from(SECTORS) * 512).map_err(error)?;
    let disk = ImageFile(RefCell::new(file));
    fs_core::format(&disk, SECTORS, "MOAT").map_err(Failure::new)?;
    let store =
        FileStore::mount(disk).map_err(|status| fs_failure("mounting the new disk", status))?;
    let rootfs = workspace_root().join("userland/rootfs");
    copy_tree(&store, &rootfs, "")?;
    install_programs(&store, programs)
}

fn open(path: &Path) -> Result<FileStore<ImageFile>, Failure> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(|e| Failure::new(format!("{}: {e}", path.display())))?;
    FileStore::mount(ImageFile(RefCell::new(file)))
        .map_err(|status| fs_failure(&format!("mounting {}", path.display()), status))
}

/// Writes each program to `/BIN/<NAME>` (making `/BIN` if needed).
fn install_programs<D: BlockDevice>(
    store: &FileStore<D>,
    programs: &[Program],
) -> Result<(), Failure> {
    if programs.is_empty() {
        return Ok(());
    }
    match store.make_directory("/BIN") {
        Ok(()) | Err(service_api::status::EXISTS) => {}
        Err(status) => return Err(fs_failure("/BIN", status)),
    }
    for (name, executable) in programs {
        let bytes = std::fs::read(executable)
            .map_err(|e| Failure::new(format!("{}: {e}", executable.display())))?;
        let path = format!("/BIN/{}", name.to_ascii_uppercase());
        store.write(&path, 0, &bytes, true, true).map_err(|status| fs_failure(&path, status))?;
    }
    Ok(())
}

/// Copies the folder `from` into the directory `to` of the volume.
fn copy_tree<D: BlockDevice>(store: &FileStore<D>, from: &Path, to: &str) -> Result<(), Failure> {
    let entries =
        std::fs::read_dir(from).map_err(|e| Failure::new(format!("{}: {e}", from.display())))?;
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|entry| entry.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = format!("{to}/{name}");
        let what = |status| fs_failure(&format!("userland/rootfs{path}"), status);
        if entry.path().is_dir() {
            store.make_directory(&path).map_err(what)?;
            copy_tree(store, &entry.path(), &path)?;
        } else {
            let bytes = std::fs::read(entry.path()).map_err(|e| Failure::new(e.to_string()))?;
            store.write(&path, 0, &bytes, true, true).map_err(what)?;
        }
    }
    Ok(())
}

/// Reads a whole file of the disk image (for checks on what the guest wrote).
pub fn read_file(image: &Path, path: &str) -> Result<Vec<u8>, Failure> {
    let file = File::open(image).map_err(|e| Failure::new(format!("{}: {e}", image.display())))?;
    let store = FileStore::mount(ImageFile(RefCell::new(file)))
        .map_err(|status| fs_failure("mounting the disk", status))?;
    let mut out = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = store.read(path, out.len() as u32, &mut chunk).map_err(|s| fs_failure(path, s))?;
        if n == 0 {
            return Ok(out);
        }
        out.extend_from_slice(&chunk[..n]);
    }
}

/// Runs `fsck.fat -n` (check, change nothing) on the volume of a disk image; returns its
/// report, or fails with it when the volume is not clean.
pub fn check(image: &Path) -> Result<String, Failure> {
    if Command::new("fsck.fat").arg("--help").output().is_err() {
        install_packages(
            &["dosfstools"],
            "Fedora: sudo dnf install dosfstools; macOS: brew install dosfstools",
        )?;
    }
    // fsck.fat takes a volume, not a partitioned disk: hand it a copy of the partition.
    let mut bytes =
        std::fs::read(image).map_err(|e| Failure::new(format!("{}: {e}", image.display())))?;
    let start = fs_core::PARTITION_START as usize * 512;
    if bytes.len() <= start {
        return Err(Failure::new(format!("{} is too small to hold a volume", image.display())));
    }
    let volume = image.with_extension("volume");
    std::fs::write(&volume, bytes.split_off(start)).map_err(|e| Failure::new(e.to_string()))?;
    let out = Command::new("fsck.fat")
        .arg("-n")
        .arg(&volume)
        .output()
        .map_err(|e| Failure::new(format!("fsck.fat: {e}")))?;
    let _ = std::fs::remove_file(&volume);
    let report =
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    if out.status.success() {
        Ok(report)
    } else {
        Err(Failure::new(format!("fsck.fat -n found problems on {}:\n{report}", image.display())))
    }
}

fn fs_failure(what: &str, status: u64) -> Failure {
    Failure::new(format!("{what}: {}", service_api::status::describe(status)))
}

/// A disk image file as a block device.
struct ImageFile(RefCell<File>);

impl BlockDevice for ImageFile {
    type Error = std::io::Error;

    fn read(&self, blocks: &mut [Block], start: BlockIdx) -> Result<(), Self::Error> {
        let mut file = self.0.borrow_mut();
        file.seek(SeekFrom::Start(start.into_bytes()))?;
        for block in blocks {
            file.read_exact(&mut block.contents)?;
        }
        Ok(())
    }

    fn write(&self, blocks: &[Block], start: BlockIdx) -> Result<(), Self::Error> {
        let mut file = self.0.borrow_mut();
        file.seek(SeekFrom::Start(start.into_bytes()))?;
        for block in blocks {
            file.write_all(&block.contents)?;
        }
        Ok(())
    }

    fn num_blocks(&self) -> Result<BlockCount, Self::Error> {
        Ok(BlockCount((self.0.borrow().metadata()?.len() / 512) as u32))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_disk_holds_the_rootfs_and_passes_fsck() {
        let image = std::env::temp_dir().join(format!("moat-disk-test-{}.img", std::process::id()));
        let program = (String::from("readme"), workspace_root().join("userland/rootfs/README.TXT"));
        create(&image, &[program]).unwrap();
        let readme = std::fs::read(workspace_root().join("userland/rootfs/README.TXT")).unwrap();
        assert_eq!(read_file(&image, "/README.TXT").unwrap(), readme);
        assert_eq!(read_file(&image, "/BIN/README").unwrap(), readme);
        // What the file server does to a disk must leave it clean too.
        let file = std::fs::OpenOptions::new().read(true).write(true).open(&image).unwrap();
        let store = FileStore::mount(ImageFile(RefCell::new(file))).unwrap();
        let big: Vec<u8> = (0..20_000u32).map(|i| i as u8).collect();
        store.write("/big.bin", 0, &big, true, true).unwrap();
        store.write("/big.bin", 0, b"now small", false, true).unwrap();
        store.make_directory("/tmp").unwrap();
        store.write("/tmp/a.txt", 0, &big[..3000], true, true).unwrap();
        store.rename("/tmp/a.txt", "/b.txt").unwrap();
        store.remove("/tmp").unwrap();
        drop(store);
        assert_eq!(read_file(&image, "/b.txt").unwrap(), &big[..3000]);
        // fsck.fat may be missing on a developer's machine; the guest tests check with it too.
        if Command::new("fsck.fat").arg("--help").output().is_ok() {
            check(&image).unwrap();
        }
        let _ = std::fs::remove_file(&image);
    }

    #[test]
    fn a_disk_filled_to_the_last_cluster_says_no_space_and_passes_fsck() {
        let image =
            std::env::temp_dir().join(format!("moat-full-disk-test-{}.img", std::process::id()));
        create(&image, &[]).unwrap();
        let file = std::fs::OpenOptions::new().read(true).write(true).open(&image).unwrap();
        let store = FileStore::mount(ImageFile(RefCell::new(file))).unwrap();
        let chunk: Vec<u8> = (0..3 << 20).map(|i: u32| (i % 253) as u8).collect();
        let mut files = 0;
        let error = loop {
            match store.write(&format!("/FILL{files}.BIN"), 0, &chunk, true, true) {
                Ok(_) => files += 1,
                Err(error) => break error,
            }
            assert!(files < 20, "a 32 MiB disk never filled");
        };
        assert_eq!(error, service_api::status::NO_SPACE);
        // Empty files, made and made by truncation, own nothing; `.` is no name to make.
        store.write("/EMPTY.TXT", 0, b"", true, true).unwrap();
        store.write("/FILL0.BIN", 0, b"", false, true).unwrap();
        assert_eq!(store.make_directory("/."), Err(service_api::status::BAD_NAME));
        drop(store);
        if Command::new("fsck.fat").arg("--help").output().is_ok() {
            check(&image).unwrap();
        }
        let _ = std::fs::remove_file(&image);
    }
}
