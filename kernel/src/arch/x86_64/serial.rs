//! COM1 (I/O port 0x3f8), the kernel's console and the channel `xtask` reads test results from.
//!
//! Every writer takes `PORT` with interrupts disabled, so an interrupt handler that logs can
//! never spin on a lock its own CPU holds.

use super::cpu::without_interrupts;
use core::fmt;
use spin::Mutex;
use uart_16550::backend::PioBackend;
use uart_16550::{BaudRate, Config, Uart16550};

const COM1: u16 = 0x3f8;

/// `None` until `init` has configured the UART.
static PORT: Mutex<Option<Uart16550<PioBackend>>> = Mutex::new(None);

/// Configures COM1 for 115200 baud, 8N1, interrupts off (the kernel polls).
pub fn init() {
    // SAFETY: 0x3f8..0x3ff is COM1 on every PC; the kernel is its only user.
    let Ok(mut uart) = (unsafe { Uart16550::new_port(COM1) }) else { return };
    let config = Config { baud_rate: BaudRate::Baud115200, ..Config::default() };
    if uart.init(config).is_ok() {
        without_interrupts(|| *PORT.lock() = Some(uart));
    }
}

/// Writes formatted text as one piece, turning `\n` into `\r\n` for terminals.
pub fn write_fmt(args: fmt::Arguments) {
    struct Crlf<'a>(&'a mut Uart16550<PioBackend>);
    impl fmt::Write for Crlf<'_> {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            for (i, line) in s.split('\n').enumerate() {
                if i > 0 {
                    self.0.send_bytes_exact(b"\r\n");
                }
                self.0.send_bytes_exact(line.as_bytes());
            }
            Ok(())
        }
    }
    without_interrupts(|| {
        if let Some(uart) = PORT.lock().as_mut() {
            let _ = fmt::Write::write_fmt(&mut Crlf(uart), args);
        }
    });
}

/// Sends raw bytes (the monolithic flavour's console output; no `\n` translation).
#[cfg_attr(not(feature = "monolithic"), allow(dead_code))]
pub fn write_bytes(bytes: &[u8]) {
    without_interrupts(|| {
        if let Some(uart) = PORT.lock().as_mut() {
            uart.send_bytes_exact(bytes);
        }
    });
}

/// Lets received bytes interrupt (line 4): the monolithic flavour's serial driver takes its
/// input here instead of in a ring-3 server.
#[cfg_attr(not(feature = "monolithic"), allow(dead_code))]
pub fn enable_receive_interrupt() {
    const INTERRUPT_ENABLE: u16 = COM1 + 1;
    const DATA_READY: u32 = 1;
    super::ports::port_write(INTERRUPT_ENABLE, 1, DATA_READY);
}

/// Moves received bytes into `into`; returns how many there were.
#[cfg_attr(not(feature = "monolithic"), allow(dead_code))]
pub fn receive(into: &mut [u8]) -> usize {
    without_interrupts(|| {
        let mut port = PORT.lock();
        let Some(uart) = port.as_mut() else { return 0 };
        let mut count = 0;
        while count < into.len() {
            let Ok(byte) = uart.try_receive_byte() else { break };
            into[count] = byte;
            count += 1;
        }
        count
    })
}

/// Frees the port lock for the panic path: the CPU that panicked may have held it, and it is
/// about to stop, so nobody else can be inside.
pub fn unlock_for_panic() {
    if PORT.is_locked() {
        // SAFETY: called with interrupts off on the only CPU, right before it halts; the
        // holder (if any) was interrupted by this panic and never runs again.
        unsafe { PORT.force_unlock() };
    }
}
