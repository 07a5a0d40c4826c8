//! The backend of the `log` facade: one timestamped line per record, kept in the kernel's log
//! (`dmesg` reads it: the `kernel_log` system call) and shown on the serial console if it is
//! at least as urgent as the console's level (`klog=` on the command line; `cargo xtask qemu`
//! shows warnings and errors only, so kernel lines stay out of the shell's output).
//!
//! ```text
//! [    0.120] INFO  kernel::mm: 251 MiB of usable memory
//! ```

use core::fmt::Write as _;
use core::sync::atomic::{AtomicUsize, Ordering};
use kernel_core::line::Line;
use kernel_core::log_ring::LogRing;
use log::{Level, LevelFilter, Log, Metadata, Record};
use spin::Mutex;

/// Bytes of log the kernel keeps.
const KEPT: usize = 32 * 1024;
/// The longest line kept (longer ones are cut).
const LONGEST_LINE: usize = 256;

static KEPT_LOG: Mutex<LogRing<KEPT>> = Mutex::new(LogRing::new());
/// The least urgent level shown on the console, as a `LevelFilter` number.
static CONSOLE_LEVEL: AtomicUsize = AtomicUsize::new(LevelFilter::Info as usize);

struct SerialLogger;

static LOGGER: SerialLogger = SerialLogger;

impl Log for SerialLogger {
    fn enabled(&self, metadata: &Metadata) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let ms = crate::time::uptime_ms();
        let level = match record.level() {
            Level::Error => "ERROR",
            Level::Warn => "WARN ",
            Level::Info => "INFO ",
            Level::Debug => "DEBUG",
            Level::Trace => "TRACE",
        };
        let mut line = Line::<LONGEST_LINE>::new();
        let _ = writeln!(
            line,
            "[{:5}.{:03}] {level} {}: {}",
            ms / 1000,
            ms % 1000,
            record.target(),
            record.args()
        );
        let text = line.end();
        // An NMI that logs while the log is held would wait for ever: it loses its line.
        if let Some(mut kept) = KEPT_LOG.try_lock() {
            kept.append(text);
        }
        if record.level() as usize <= CONSOLE_LEVEL.load(Ordering::Relaxed) {
            // `Line` cuts only at character boundaries, so the text is UTF-8.
            let text = core::str::from_utf8(text).unwrap_or("(a log line that is not UTF-8)\n");
            crate::arch::serial::write_fmt(format_args!("{text}"));
        }
    }

    fn flush(&self) {}
}

/// Installs the logger: records at `level` and above are kept (`error` .. `trace`, or
/// `off`; `info` when absent or unknown), and those at `console` and above are also shown on
/// the console (`info` when absent).
pub fn init(level: Option<&str>, console: Option<&str>) {
    let filter = level.and_then(|l| l.parse().ok()).unwrap_or(LevelFilter::Info);
    let shown = console.and_then(|l| l.parse().ok()).unwrap_or(LevelFilter::Info);
    CONSOLE_LEVEL.store(shown as usize, Ordering::Relaxed);
    // A second call would fail harmlessly; there is none.
    let _ = log::set_logger(&LOGGER);
    log::set_max_level(filter);
}

/// Copies the kept log from position `from` into `out`: the bytes copied and the position to
/// read from next (see `LogRing::read`).
pub fn read_kept(from: u64, out: &mut [u8]) -> (usize, u64) {
    KEPT_LOG.lock().read(from, out)
}
