//! The serial port driver, in ring 3: COM1 through the `uart_16550` crate, whose register
//! accesses are `in` and `out` on the ports the manifest grants this task (0x3f8-0x3ff, with
//! interrupt line 4), which the kernel opens to it alone.
//!
//! Both directions are interrupt-driven; each interrupt arrives as notification bit 4. Input:
//! the driver drains the receiver into a ring buffer, acknowledges the line and tells its
//! listener (the console) with `INPUT_READY_BIT`. Output: `WRITE` queues the bytes in a second
//! ring and answers at once; the driver fills the transmitter whenever it reports itself empty
//! (the "transmitter empty" interrupt is enabled only while bytes wait). A writer faster than
//! the line waits only when the queue is full. Protocol: `service_api::serial`.
//!
//! Input waits in a numbered queue (`console_core::InputQueue`): a `READ` names the first byte
//! its reader has not handled, and bytes go only once a later read names a number past them,
//! so a console that dies mid-work reads them again. The queue is kept with the supervisor
//! whenever it changes (`ulib::store`), and a restarted driver starts from it, after taking
//! what the UART received while no driver ran; so no byte typed is lost to a restart of
//! either server, only one the fault caught between the UART and the queue.

#![no_std]
#![no_main]

use console_core::{ByteRing, InputQueue, SAVED_MAX};
use crossbeam_utils::Backoff;
use libipc::TaskId;
use libipc::abi::{LEASE_READ, LEASE_WRITE};
use libipc::sys::{self, Message, Received};
use service_api::leases::Leases;
use service_api::serial::{BASE_PORT, INPUT_READY_BIT, IRQ, READ, WRITE};
use service_api::status::{BAD_REQUEST, OK};
use uart_16550::backend::Backend;
use uart_16550::spec::FIFO_SIZE;
use uart_16550::spec::registers::IER;
use uart_16550::{BaudRate, Config, Uart16550};
use ulib::leases::CallerLeases;
use ulib::store::Keeper;

ulib::entry!(main);

/// UART registers reached with `in` and `out` (`ulib::ports`), not the crate's own port
/// backend, so that the course's student trees can route them through system calls.
///
/// While the crate initialises the UART it never loses a received byte: its "discard stale
/// data" (a FIFO reset, then reads of the receiver until it is empty) would drop what was
/// typed while no driver ran, and bytes that arrive during `init` itself. So the FIFO reset
/// keeps the receiver's FIFO, and each byte the crate reads to discard is caught here
/// instead, for the input queue.
struct DriverPorts {
    catching: bool,
    caught: [u8; FIFO_SIZE + 1],
    caught_len: usize,
}

impl DriverPorts {
    /// Ports that catch received bytes until `take_caught`.
    fn catching() -> Self {
        DriverPorts { catching: true, caught: [0; FIFO_SIZE + 1], caught_len: 0 }
    }

    /// The bytes read from the receiver so far; stops catching them.
    fn take_caught(&mut self) -> &[u8] {
        self.catching = false;
        &self.caught[..self.caught_len]
    }
}

impl Backend for DriverPorts {
    unsafe fn read(&mut self, register_offset: u8) -> u8 {
        let value = ulib::ports::read(BASE_PORT + u16::from(register_offset), 1) as u8;
        // `init` reads the receiver (offset 0 with DLAB clear) only in its discard loop.
        if self.catching && u16::from(register_offset) == RECEIVE {
            if let Some(slot) = self.caught.get_mut(self.caught_len) {
                *slot = value;
                self.caught_len += 1;
            }
        }
        value
    }

    unsafe fn write(&mut self, register_offset: u8, value: u8) {
        let value = if u16::from(register_offset) == FIFO_CONTROL {
            value & !RECEIVE_FIFO_RESET
        } else {
            value
        };
        ulib::ports::write(BASE_PORT + u16::from(register_offset), 1, u32::from(value));
    }
}

fn main(_argument: &str) -> u64 {
    let keeper = Keeper::new();
    let mut kept = [0u8; SAVED_MAX];
    let kept_len = keeper.kept(&mut kept);
    let mut input = InputQueue::restore(&kept[..kept_len]);
    // What was typed while no driver ran. (At the first start the FIFO is off; turning it on
    // empties it, so take the byte it may hold first.)
    take_received(&mut input, FIFO_SIZE + 1);
    // SAFETY: COM1's eight registers are this task's by the manifest, and nobody else in ring 3
    // drives them (the kernel only appends log output through the transmitter).
    let mut uart = unsafe { Uart16550::new_with_backend(DriverPorts::catching()) };
    let config = Config {
        baud_rate: BaudRate::Baud115200,
        interrupts: IER::DATA_READY,
        ..Config::default()
    };
    if uart.init(config).is_err() {
        ulib::println!("COM1 is not there; the serial driver stops");
        return 1;
    }
    // And what arrived during `init`, which it read to discard or left in the FIFO.
    uart.backend_mut().take_caught().iter().for_each(|&byte| input.push(byte));
    take_received(&mut input, FIFO_SIZE + 1);
    keep(&keeper, &input);
    let mut output = Transmitter { queue: ByteRing::new(), interrupt_on: false };
    let mut listener: Option<TaskId> = None;
    if !input.is_empty() {
        listener = ulib::client::notify_by_name("console", listener, INPUT_READY_BIT);
    }
    sys::serve(|request| {
        let Some(bits) = request.notification() else {
            let before = input.len();
            let reply = handle(request, &mut output, &mut input);
            if input.len() != before {
                keep(&keeper, &input);
            }
            return Some(reply);
        };
        if bits & 1 << IRQ != 0 {
            let mut got = false;
            while let Ok(byte) = uart.try_receive_byte() {
                input.push(byte);
                got = true;
            }
            output.pump();
            ulib::irq::acknowledge(IRQ);
            if got {
                keep(&keeper, &input);
                listener = ulib::client::notify_by_name("console", listener, INPUT_READY_BIT);
            }
        }
        None
    })
}

/// Keeps the bytes received and not yet handled, with their numbers, with the supervisor.
fn keep(keeper: &Keeper, input: &InputQueue) {
    let mut saved = [0u8; SAVED_MAX];
    let len = input.save(&mut saved);
    keeper.keep(&saved[..len]);
}

/// Moves what the receiver holds into `input`, at most `most` bytes (a missing UART reads as
/// all ones, which would otherwise look like endless input).
fn take_received(input: &mut InputQueue, most: usize) {
    for _ in 0..most {
        if port(LINE_STATUS) & DATA_READY == 0 {
            return;
        }
        input.push(port(RECEIVE) as u8);
    }
}

/// Register offsets and bits the transmitter uses directly (the crate's API sends by polling).
const TRANSMIT: u16 = 0;
const RECEIVE: u16 = 0;
const INTERRUPT_ENABLE: u16 = 1;
const FIFO_CONTROL: u16 = 2;
const RECEIVE_FIFO_RESET: u8 = 1 << 1;
const LINE_STATUS: u16 = 5;
const DATA_READY: u32 = 1 << 0;
const TRANSMITTER_EMPTY: u32 = 1 << 5;
const DATA_READY_INTERRUPT: u32 = 1 << 0;
const TRANSMITTER_EMPTY_INTERRUPT: u32 = 1 << 1;
/// Bytes the 16550's transmit FIFO takes at once when it reports itself empty.
const FIFO_DEPTH: usize = 16;

/// Output waiting for the line.
struct Transmitter {
    queue: ByteRing,
    /// Whether the "transmitter empty" interrupt is on (the register is written on changes).
    interrupt_on: bool,
}

impl Transmitter {
    /// Sends `bytes`: straight to the line while the queue is empty and the transmitter
    /// takes them, the rest through the queue (polling only while the queue is full).
    fn write(&mut self, bytes: &[u8]) {
        let mut rest = if self.queue.is_empty() { send_while_empty(bytes) } else { bytes };
        while !rest.is_empty() {
            rest = &rest[self.queue.push_up_to(rest)..];
            if !rest.is_empty() {
                self.wait_and_send();
            }
        }
        self.pump();
    }

    /// Fills the transmitter from the queue as long as it reports itself empty; asks for its
    /// interrupt while bytes remain. (QEMU's line takes bytes as fast as they come, so there
    /// the queue drains at once; a real line at 115200 baud empties a FIFO in about 1.4 ms.)
    fn pump(&mut self) {
        let mut fifo = [0u8; FIFO_DEPTH];
        while !self.queue.is_empty() && port(LINE_STATUS) & TRANSMITTER_EMPTY != 0 {
            let n = self.queue.pop_into(&mut fifo);
            fifo[..n].iter().for_each(|&byte| set_port(TRANSMIT, u32::from(byte)));
        }
        let wanted = !self.queue.is_empty();
        if wanted != self.interrupt_on {
            let transmit_interrupt = if wanted { TRANSMITTER_EMPTY_INTERRUPT } else { 0 };
            set_port(INTERRUPT_ENABLE, DATA_READY_INTERRUPT | transmit_interrupt);
            self.interrupt_on = wanted;
        }
    }

    fn wait_and_send(&mut self) {
        // Back off between polls of the line status (a doubling run of `pause`s, capped at
        // 64): each is an access to the device, slow on real hardware.
        let backoff = Backoff::new();
        while port(LINE_STATUS) & TRANSMITTER_EMPTY == 0 {
            backoff.spin();
        }
        self.pump();
    }
}

/// Puts `bytes` into the transmitter a FIFO at a time while it reports itself empty; returns
/// what it did not take.
fn send_while_empty(mut bytes: &[u8]) -> &[u8] {
    while !bytes.is_empty() && port(LINE_STATUS) & TRANSMITTER_EMPTY != 0 {
        let (now, later) = bytes.split_at(bytes.len().min(FIFO_DEPTH));
        now.iter().for_each(|&byte| set_port(TRANSMIT, u32::from(byte)));
        bytes = later;
    }
    bytes
}

fn port(register: u16) -> u32 {
    ulib::ports::read(BASE_PORT + register, 1)
}

fn set_port(register: u16, value: u32) {
    ulib::ports::write(BASE_PORT + register, 1, value);
}

fn handle(request: &Received, output: &mut Transmitter, input: &mut InputQueue) -> Message {
    let caller = request.sender;
    let refuse = Message::new(0, [BAD_REQUEST, 0, 0, 0]);
    let needs = match request.message.op {
        WRITE => LEASE_READ,
        READ => LEASE_WRITE,
        _ => return refuse,
    };
    // Every request needs lease 0 with the right access; anything else is refused up front.
    let leases = CallerLeases::of_request(request);
    let Some(length) = leases.length(0, needs == LEASE_WRITE) else { return refuse };
    if request.message.op == WRITE {
        let mut chunk = [0u8; 128];
        if !leases.read_all(0, length, &mut chunk, |bytes| output.write(bytes)) {
            return refuse;
        }
        return Message::new(0, [OK, length, input.dropped(), 0]);
    }
    let from = request.message.payload[0];
    let deliver = |bytes: &[u8]| sys::lease_write(caller, 0, 0, bytes).is_ok();
    match input.read_from(from, length as usize, deliver) {
        Some((first, n)) => Message::new(0, [OK, n as u64, input.dropped(), first]),
        None => refuse,
    }
}
