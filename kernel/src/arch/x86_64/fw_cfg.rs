//! QEMU's firmware configuration device (fw_cfg): named blobs the host hands the guest.
//!
//! xtask passes the kernel command line as the file `opt/moat/cmdline`
//! (`-fw_cfg name=opt/moat/cmdline,string=...`). The x86 interface is two I/O ports: write a
//! 16-bit selector to 0x510, then read the selected item byte by byte from 0x511. Item 0x19 is
//! a directory of named files. Without QEMU the signature check fails and nothing is read.

use ::x86_64::instructions::port::Port;

const SELECTOR_PORT: u16 = 0x510;
const DATA_PORT: u16 = 0x511;
const SIGNATURE_ITEM: u16 = 0x0000;
const DIRECTORY_ITEM: u16 = 0x0019;
const NAME_LEN: usize = 56;

struct FwCfg {
    selector: Port<u16>,
    data: Port<u8>,
}

impl FwCfg {
    fn select(&mut self, item: u16) {
        // SAFETY: writing the fw_cfg selector only chooses what the data port returns.
        unsafe { self.selector.write(item) }
    }

    fn read(&mut self, buffer: &mut [u8]) {
        for byte in buffer {
            // SAFETY: reading the data port advances within the selected item; no side effect.
            *byte = unsafe { self.data.read() };
        }
    }

    fn read_be_u32(&mut self) -> u32 {
        let mut bytes = [0; 4];
        self.read(&mut bytes);
        u32::from_be_bytes(bytes)
    }
}

/// Copies the fw_cfg file `name` into `buffer` and returns its length (cut to the buffer), or
/// `None` when there is no fw_cfg device or no such file.
pub fn read_file(name: &str, buffer: &mut [u8]) -> Option<usize> {
    let mut fw = FwCfg { selector: Port::new(SELECTOR_PORT), data: Port::new(DATA_PORT) };
    fw.select(SIGNATURE_ITEM);
    let mut signature = [0; 4];
    fw.read(&mut signature);
    if &signature != b"QEMU" {
        return None;
    }
    fw.select(DIRECTORY_ITEM);
    let count = fw.read_be_u32();
    for _ in 0..count {
        // Each entry: size (be32), select (be16), reserved (16 bits), name (56 bytes, NUL-padded).
        let size = fw.read_be_u32() as usize;
        let mut select = [0; 4];
        fw.read(&mut select);
        let mut entry_name = [0; NAME_LEN];
        fw.read(&mut entry_name);
        let entry_name = entry_name.split(|&b| b == 0).next().unwrap_or(&[]);
        if entry_name == name.as_bytes() {
            let len = size.min(buffer.len());
            fw.select(u16::from_be_bytes([select[0], select[1]]));
            fw.read(&mut buffer[..len]);
            return Some(len);
        }
    }
    None
}
