//! The kernel command line: whitespace-separated words, each `key` or `key=value`.
//!
//! The command line tells a booted kernel how to behave without rebuilding it: which in-guest
//! tests to run, the log level, whether to power off after booting. The last word for a key
//! wins, as on Linux.

/// A borrowed command line. Parsing never fails: unknown words are simply not asked for.
#[derive(Clone, Copy, Debug, Default)]
pub struct Cmdline<'a> {
    text: &'a str,
}

impl<'a> Cmdline<'a> {
    pub const fn new(text: &'a str) -> Self {
        Self { text }
    }

    /// The whole text, as given.
    pub fn as_str(&self) -> &'a str {
        self.text
    }

    /// The value of the last `key=value` word for `key`; `Some("")` for a bare `key`.
    pub fn value(&self, key: &str) -> Option<&'a str> {
        self.text
            .split_ascii_whitespace()
            .filter_map(|word| match word.split_once('=') {
                Some((k, v)) if k == key => Some(v),
                None if word == key => Some(""),
                _ => None,
            })
            .last()
    }

    /// True when `key` appears at all, bare or with a value other than `0`, `no` or `false`.
    pub fn flag(&self, key: &str) -> bool {
        matches!(self.value(key), Some(v) if !matches!(v, "0" | "no" | "false"))
    }
}

#[cfg(test)]
mod tests {
    use super::Cmdline;

    #[test]
    fn values_and_flags() {
        let line = Cmdline::new("log=debug  exit-after-boot test=heap quiet=no");
        assert_eq!(line.value("log"), Some("debug"));
        assert_eq!(line.value("test"), Some("heap"));
        assert_eq!(line.value("exit-after-boot"), Some(""));
        assert!(line.flag("exit-after-boot"));
        assert!(!line.flag("quiet"));
        assert!(!line.flag("missing"));
        assert_eq!(line.value("missing"), None);
    }

    #[test]
    fn last_word_wins_and_prefixes_do_not_match() {
        let line = Cmdline::new("log=info logger=x log=trace");
        assert_eq!(line.value("log"), Some("trace"));
        assert_eq!(line.value("logg"), None);
    }

    #[test]
    fn empty_line() {
        let line = Cmdline::new("");
        assert_eq!(line.value("anything"), None);
        assert!(!line.flag("anything"));
    }
}
