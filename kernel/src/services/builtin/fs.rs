//! The built-in file server: `fs-core` over the built-in block driver, with the ring-3 file
//! server's protocol (`service_api::fs`), served by the same `fs_core::requests::handle`.

use super::block;
use super::gate::{Gate, Pass, Service};
use crate::services::host::{Answer, Host};
use fs_core::{BlockError, Chunked, FileStore, Sectors};
use kernel_core::manifest::Service as BuiltinService;
use libipc::TaskId;
use service_api::leases::words;
use service_api::status::{self, BAD_REQUEST, DEVICE_ERROR};
use spin::Mutex;

pub static FS: Mutex<Service<Option<FileStore<Chunked<BuiltinDisk>>>>> =
    Mutex::new(Service { gate: Gate::new(BuiltinService::Fs), state: None });

/// The built-in block driver, called directly.
pub struct BuiltinDisk;

impl Sectors for BuiltinDisk {
    type Error = BlockError;

    fn read(&self, lba: u32, bytes: &mut [u8]) -> Result<(), BlockError> {
        block::read(lba, bytes).map_err(BlockError)
    }

    fn write(&self, lba: u32, bytes: &[u8]) -> Result<(), BlockError> {
        block::write(lba, bytes).map_err(BlockError)
    }

    fn count(&self) -> Result<u32, BlockError> {
        block::sectors().map_err(BlockError)
    }
}

pub fn call(kernel: &mut dyn Host, caller: TaskId, op: u32, payload: [u64; 4]) -> Answer {
    let mut fs = FS.lock();
    let mut registers = [u64::from(op), payload[0], payload[1]];
    match fs.enter(&mut registers) {
        Pass::Proceed => {}
        Pass::Skip => return Answer::Skipped,
        Pass::Stopped => return Answer::Now([DEVICE_ERROR, 0, 0, 0]),
    }
    if fs.state.is_none() {
        match FileStore::mount(Chunked(BuiltinDisk)) {
            Ok(store) => fs.state = Some(store),
            Err(error) => {
                log::warn!("built-in fs: cannot mount the data disk: {}", status::describe(error))
            }
        }
    }
    let Some(leases) = kernel.leases(caller) else { return Answer::Now([BAD_REQUEST, 0, 0, 0]) };
    let reply = match fs.state.as_ref() {
        Some(store) => {
            let op = registers[0] as u32;
            fs_core::requests::handle(store, op, [registers[1], registers[2]], &leases)
        }
        None => Err(DEVICE_ERROR),
    };
    let mut words = words(reply);
    fs.gate.leave(&mut words);
    Answer::Now(words)
}
