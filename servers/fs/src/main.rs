//! The file server, in ring 3: a thin message loop around `fs-core`, whose sectors come from
//! the block driver through `call`s with leases, through a write-through sector cache.
//! Requests name their file by path and the server keeps no client state between them, so a
//! restart loses only its cache; clients that see it restart simply ask again (`ulib::fs` does,
//! for requests that are safe to repeat).
//!
//! It mounts the volume as it starts, so a restarted server repairs what its predecessor's
//! last request left (`fs_core::repair`) before anyone asks; a mount or a repair the disk did
//! not answer (a block driver waiting out a restart backoff), and sectors a failed write left
//! unsure (`Cached::settle`), are tried again every `RETRY_TICKS` while no request comes, and
//! before each request. After a change, once no request has come for
//! `IDLE_TICKS_BEFORE_CHECK`, it walks the volume and repairs what a change that did not fail
//! left wrong (`FileStore::check_if_changed`).
//! Protocol: `service_api::fs`.

#![no_std]
#![no_main]

use fs_core::{BlockError, Cached, FileStore, Scratch, Sectors};
use libipc::abi::{FOREVER, Lease};
use libipc::sys::{self, Message, Received, ServeLoop};
use service_api::leases::words;
use service_api::status::DEVICE_ERROR;
use service_api::supervisor::{self, complaints::FailureRuns};
use service_api::{block, status};
use static_cell::ConstStaticCell;
use ulib::client::{Retry, Server};
use ulib::leases::CallerLeases;

ulib::entry!(main);

/// The sector cache, in static memory: at 36 KiB it would take half the stack.
static DISK: ConstStaticCell<Cached<BlockClient>> =
    ConstStaticCell::new(Cached::new(BlockClient::new()));

/// Where requests work (`fs_core::Scratch`: 8 KiB, better not built on the stack).
static SCRATCH: ConstStaticCell<Scratch> = ConstStaticCell::new(Scratch::new());

/// The block driver, found by name and found again after it restarts.
struct BlockClient {
    driver: Server,
    /// The driver's failed requests in a row, to complain of a driver that fails them all.
    failures: FailureRuns,
    /// Where complaints go.
    supervisor: Server,
}

impl Sectors for BlockClient {
    type Error = BlockError;

    fn read(&self, lba: u32, bytes: &mut [u8]) -> Result<(), BlockError> {
        self.call(block::READ, lba, Lease::write(bytes)).map(drop)
    }

    fn write(&self, lba: u32, bytes: &[u8]) -> Result<(), BlockError> {
        self.call(block::WRITE, lba, Lease::read(bytes)).map(drop)
    }

    fn count(&self) -> Result<u32, BlockError> {
        self.call(block::INFO, 0, Lease::read(&[])).map(|sectors| sectors as u32)
    }

    fn not_kept(&self) -> BlockError {
        // Twice the driver said it wrote sectors it had not: broken, however it answers.
        ulib::println!("the block driver did not write what it said it wrote");
        self.complain();
        BlockError(DEVICE_ERROR)
    }
}

impl BlockClient {
    const fn new() -> Self {
        let supervisor = Server::answering_within("supervisor", COMPLAINT_PATIENCE);
        let driver = Server::new("block").sealed();
        BlockClient { driver, failures: FailureRuns::new(), supervisor }
    }

    /// One call to the driver with a sector buffer lent; sector reads and writes are safe to
    /// repeat, so a restart of the driver in the middle is retried. A driver that fails every
    /// request while it runs and answers (its state damaged) is complained of to the
    /// supervisor, which restarts it.
    fn call(&self, op: u32, sector: u32, lease: Lease) -> Result<u64, BlockError> {
        let words = [u64::from(sector), 0, 0, 0];
        let result = self.driver.call(op, words, &[lease], Retry::Safe);
        if self.failures.answered(op == block::WRITE, result.map(drop)) {
            self.complain();
        }
        result.map(|reply| reply[1]).map_err(BlockError)
    }

    fn complain(&self) {
        if let Ok(driver) = sys::lookup("block") {
            let complaint = [driver.to_raw(), 0, 0, 0];
            let _ = self.supervisor.call(supervisor::COMPLAIN, complaint, &[], Retry::Unsafe);
        }
    }
}

/// Ticks a complaint waits for the supervisor (which answers at once).
const COMPLAINT_PATIENCE: u64 = 100;

/// Ticks between the server's own tries of a mount or a repair the disk did not answer (a
/// block driver waiting out a restart backoff), while no request comes.
const RETRY_TICKS: u64 = 25;

/// Ticks without a request after a change before the server walks the volume
/// (`FileStore::check_if_changed`).
const IDLE_TICKS_BEFORE_CHECK: u64 = 10;

type Store = FileStore<&'static Cached<BlockClient>>;

fn main(_argument: &str) -> u64 {
    let disk: &Cached<BlockClient> = DISK.take();
    let scratch: &mut Scratch = SCRATCH.take();
    // Mount at once, so that a restarted server repairs what its predecessor left before
    // anyone asks (and before anyone looks at the disk); a block driver that is not there
    // yet is tried again.
    let mut store = mount(disk, false);
    let mut server = ServeLoop::new();
    loop {
        let retrying = store.as_ref().is_none_or(Store::repair_pending) || disk.holds_unsure();
        let checking = store.as_ref().is_some_and(Store::check_pending);
        let patience = match (retrying, checking) {
            (true, _) => RETRY_TICKS,
            (false, true) => IDLE_TICKS_BEFORE_CHECK,
            (false, false) => FOREVER,
        };
        match server.next(patience) {
            Ok(request) if request.notification().is_none() => {
                let reply = serve(&request, &mut store, disk, scratch);
                server.answer(&request, reply);
            }
            Ok(_) => {}
            // Nothing came in time: the server's own try.
            Err(_) => match &store {
                Some(mounted) => {
                    if disk.settle().is_ok() {
                        mounted.repair_if_needed();
                        mounted.check_if_changed();
                        tell_repair(mounted.take_repair_report());
                    }
                }
                None => store = mount(disk, false),
            },
        }
    }
}

/// Mounts the data disk and says what its repair changed; says why it cannot if `say_why`.
fn mount(disk: &'static Cached<BlockClient>, say_why: bool) -> Option<Store> {
    match FileStore::mount(disk) {
        Ok(mounted) => {
            tell_repair(mounted.take_repair_report());
            Some(mounted)
        }
        Err(error) => {
            if say_why {
                ulib::println!("cannot mount the data disk: {}", status::describe(error));
            }
            None
        }
    }
}

/// One request: mounted first if the disk was not yet (the block driver may still have been
/// starting), then handled by `fs-core`.
fn serve(
    request: &Received,
    store: &mut Option<Store>,
    disk: &'static Cached<BlockClient>,
    scratch: &mut Scratch,
) -> Message {
    if store.is_none() {
        *store = mount(disk, true);
    }
    let reply = match store {
        Some(store) => {
            let leases = CallerLeases::of_request(request);
            let (op, payload) = (request.message.op, request.message.payload);
            let reply = fs_core::requests::handle(store, scratch, op, payload, &leases);
            tell_repair(store.take_repair_report());
            reply
        }
        None => Err(DEVICE_ERROR),
    };
    Message::new(0, words(reply))
}

/// Says what a repair of the volume changed (space a write cut short left nobody owning), or
/// why it could not walk the volume; nothing when it found nothing to do.
fn tell_repair(report: Option<Result<fs_core::Repaired, u64>>) {
    match report {
        Some(Ok(r)) if r != fs_core::Repaired::default() => {
            ulib::println!("repaired the volume: {r}")
        }
        Some(Err(error)) => {
            ulib::println!("could not check the volume: {}", status::describe(error))
        }
        _ => {}
    }
}
