//! The backend of the `log` facade: one timestamped line per record on the serial console.
//!
//! ```text
//! [    0.120] INFO  kernel::mm: 251 MiB of usable memory
//! ```

use log::{Level, LevelFilter, Log, Metadata, Record};

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
        crate::println!(
            "[{:5}.{:03}] {level} {}: {}",
            ms / 1000,
            ms % 1000,
            record.target(),
            record.args()
        );
    }

    fn flush(&self) {}
}

/// Installs the logger at `level` (`error` .. `trace`, or `off`); `info` when absent or unknown.
pub fn init(level: Option<&str>) {
    let filter = level.and_then(|l| l.parse().ok()).unwrap_or(LevelFilter::Info);
    // A second call would fail harmlessly; there is none.
    let _ = log::set_logger(&LOGGER);
    log::set_max_level(filter);
}
