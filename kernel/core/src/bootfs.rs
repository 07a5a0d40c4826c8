//! The boot file system: the ramdisk, a plain ustar archive (inspect it with `tar tvf`).
//!
//! xtask packs the user programs into it; the bootloader loads it into
//! memory; the kernel reads files from it by name through `tar-no-std`, which validates the
//! whole archive up front, so a corrupt ramdisk is one clear error at boot.

use tar_no_std::{CorruptDataError, TarArchiveRef};

/// A validated archive.
pub struct BootFs<'a> {
    archive: TarArchiveRef<'a>,
}

impl<'a> BootFs<'a> {
    pub fn new(bytes: &'a [u8]) -> Result<Self, CorruptDataError> {
        Ok(Self { archive: TarArchiveRef::new(bytes)? })
    }

    /// The contents of the regular file `name`, if the archive has one.
    pub fn file(&self, name: &str) -> Option<&'a [u8]> {
        self.archive
            .entries()
            .find(|entry| entry.filename().as_str().is_ok_and(|n| n == name))
            .map(|entry| entry.data())
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    fn archive(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (name, data) in files {
            let mut header = tar::Header::new_ustar();
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder.append_data(&mut header, name, *data).unwrap();
        }
        builder.into_inner().unwrap()
    }

    #[test]
    fn files_are_found_by_name() {
        let bytes = archive(&[("manifest", b"task name=a"), ("bin/hello", &[0x7f, b'E'])]);
        let fs = BootFs::new(&bytes).unwrap();
        assert_eq!(fs.file("manifest"), Some(&b"task name=a"[..]));
        assert_eq!(fs.file("bin/hello"), Some(&[0x7f, b'E'][..]));
        assert_eq!(fs.file("bin/missing"), None);
    }

    #[test]
    fn corrupt_archives_are_refused() {
        let bytes = archive(&[("manifest", b"task name=a")]);
        assert!(BootFs::new(&[]).is_err());
        assert!(BootFs::new(&bytes[..bytes.len() - 1]).is_err(), "not a block multiple");
        assert!(BootFs::new(&bytes[..1024]).is_err(), "cut before the terminator");
        let mut bad_checksum = bytes.clone();
        bad_checksum[0] ^= 1;
        assert!(BootFs::new(&bad_checksum).is_err());
    }
}
