//! An initramfs: a cpio archive in the "newc" format, the one the Linux kernel unpacks into its
//! root file system at boot. Written here because no `cpio` tool can be assumed on the host.
//!
//! Each member is a 110-byte ASCII header (the magic `070701` and thirteen 8-digit hexadecimal
//! fields), its name with a NUL, padding to four bytes, its data, padding to four bytes. The
//! member named `TRAILER!!!` ends the archive.

/// What a member is, with the permission bits it gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Directory,
    File {
        executable: bool,
    },
    /// A character device node (major, minor): `/dev/console` must exist before `/init` runs,
    /// or the kernel starts it with no standard input and output.
    CharDevice(u32, u32),
}

const TYPE_DIRECTORY: u32 = 0o040_000;
const TYPE_FILE: u32 = 0o100_000;
const TYPE_CHAR_DEVICE: u32 = 0o020_000;
const MAGIC: &str = "070701";
const TRAILER: &str = "TRAILER!!!";

/// An archive being built, member by member.
#[derive(Default)]
pub struct Archive {
    bytes: Vec<u8>,
    next_inode: u32,
}

impl Archive {
    /// Adds `name` (relative, as `dev/console`; parents first) with `data` (empty unless a file).
    pub fn add(&mut self, name: &str, kind: Kind, data: &[u8]) {
        let (mode, links, (major, minor)) = match kind {
            Kind::Directory => (TYPE_DIRECTORY | 0o755, 2, (0, 0)),
            Kind::File { executable: true } => (TYPE_FILE | 0o755, 1, (0, 0)),
            Kind::File { executable: false } => (TYPE_FILE | 0o644, 1, (0, 0)),
            Kind::CharDevice(major, minor) => (TYPE_CHAR_DEVICE | 0o600, 1, (major, minor)),
        };
        self.next_inode += 1;
        self.member(self.next_inode, mode, links, (major, minor), name, data);
    }

    /// The finished archive.
    pub fn finish(mut self) -> Vec<u8> {
        self.member(0, 0, 1, (0, 0), TRAILER, &[]);
        self.bytes
    }

    fn member(
        &mut self,
        inode: u32,
        mode: u32,
        links: u32,
        device: (u32, u32),
        name: &str,
        data: &[u8],
    ) {
        let length = u32::try_from(data.len()).expect("an initramfs member is under 4 GiB");
        let name_length = u32::try_from(name.len() + 1).expect("a member's name is short");
        // ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor rdevminor namesize check
        let fields =
            [inode, mode, 0, 0, links, 0, length, 0, 0, device.0, device.1, name_length, 0];
        self.bytes.extend_from_slice(MAGIC.as_bytes());
        for field in fields {
            self.bytes.extend_from_slice(format!("{field:08x}").as_bytes());
        }
        self.bytes.extend_from_slice(name.as_bytes());
        self.bytes.push(0);
        self.pad();
        self.bytes.extend_from_slice(data);
        self.pad();
    }

    fn pad(&mut self) {
        while !self.bytes.len().is_multiple_of(4) {
            self.bytes.push(0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (name, mode, file size, rdev major, rdev minor, data) of each member, read back.
    fn members(bytes: &[u8]) -> Vec<(String, u32, usize, u32, u32, Vec<u8>)> {
        let mut at = 0;
        let mut out = Vec::new();
        loop {
            assert_eq!(at % 4, 0, "each header starts on four bytes");
            assert_eq!(&bytes[at..at + 6], MAGIC.as_bytes());
            let field = |i: usize| {
                let text = std::str::from_utf8(&bytes[at + 6 + 8 * i..at + 14 + 8 * i]).unwrap();
                u32::from_str_radix(text, 16).unwrap()
            };
            let (mode, size, major, minor, name_size) =
                (field(1), field(6) as usize, field(9), field(10), field(11) as usize);
            let name_at = at + 110;
            assert_eq!(bytes[name_at + name_size - 1], 0, "the name ends with a NUL");
            let name = String::from_utf8(bytes[name_at..name_at + name_size - 1].to_vec()).unwrap();
            let data_at = (name_at + name_size).next_multiple_of(4);
            let data = bytes[data_at..data_at + size].to_vec();
            at = (data_at + size).next_multiple_of(4);
            if name == TRAILER {
                assert_eq!(at, bytes.len(), "nothing follows the trailer");
                return out;
            }
            out.push((name, mode, size, major, minor, data));
        }
    }

    #[test]
    fn members_read_back_with_their_kind_data_and_padding() {
        let mut archive = Archive::default();
        archive.add("dev", Kind::Directory, &[]);
        archive.add("dev/console", Kind::CharDevice(5, 1), &[]);
        archive.add("init", Kind::File { executable: true }, b"\x7fELF12345");
        archive.add("README.TXT", Kind::File { executable: false }, b"hi\n");
        let members = members(&archive.finish());
        let summary: Vec<(&str, u32, usize, u32, u32)> =
            members.iter().map(|m| (m.0.as_str(), m.1, m.2, m.3, m.4)).collect();
        assert_eq!(
            summary,
            [
                ("dev", 0o040_755, 0, 0, 0),
                ("dev/console", 0o020_600, 0, 5, 1),
                ("init", 0o100_755, 9, 0, 0),
                ("README.TXT", 0o100_644, 3, 0, 0),
            ]
        );
        assert_eq!(members[2].5, b"\x7fELF12345");
        assert_eq!(members[3].5, b"hi\n");
    }

    #[test]
    fn an_empty_archive_is_only_the_trailer() {
        let bytes = Archive::default().finish();
        assert!(members(&bytes).is_empty());
        assert_eq!(bytes.len(), (110 + TRAILER.len() + 1).next_multiple_of(4));
    }
}
