//! Liveness beyond CPU time, after MINIX 3's reincarnation server: a server can stop
//! answering without running at all (blocked on something that never comes), and the CPU-time
//! watchdog never sees it. At each of its looks the supervisor notes whether the kernel has
//! the server waiting for a message; a server not seen waiting at `SUSPECT_LOOKS` looks in a
//! row is pinged (a `PING` message sent with a short timeout, which any server's loop takes),
//! and one that has taken no ping by `SILENT_LOOKS` looks has stopped answering.
//!
//! A server busy with work takes the ping between two requests (the supervisor is the most
//! urgent sender, so it is served first), and an idle one is never pinged, so pings cost
//! nothing while all is well and never arrive where a test or an injected fault expects a
//! client's message.

/// The operation of a ping. It is sent, not called: taking it is the answer, and whatever the
/// server replies to an operation it does not know goes nowhere.
pub const PING: u32 = 0xffff_0001;
/// Looks in a row not waiting for work before the supervisor pings.
pub const SUSPECT_LOOKS: u8 = 4;
/// Looks in a row without waiting for work or taking a ping: the server has stopped answering.
pub const SILENT_LOOKS: u8 = 8;
/// Ticks a ping waits for the server to take it.
pub const PING_WAIT: u64 = 5;

/// One server's liveness as the supervisor sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Liveness {
    /// Looks in a row at which it was not waiting for a message.
    quiet: u8,
    /// False once the kernel refused a ping: its manifest entry may not talk to this server
    /// (the shell is watched, but never waits for messages).
    pingable: bool,
}

/// What to do after a look.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    Nothing,
    Ping,
}

/// How a ping went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ping {
    Taken,
    /// Not taken within `PING_WAIT`.
    Missed,
    /// The kernel refused it (`Denied`): this server is not pinged again.
    Refused,
}

impl Default for Liveness {
    fn default() -> Self {
        Self::new()
    }
}

impl Liveness {
    pub const fn new() -> Self {
        Liveness { quiet: 0, pingable: true }
    }

    /// A look: `waiting` says whether the kernel has the server waiting for a message.
    pub fn look(&mut self, waiting: bool) -> Next {
        if waiting {
            self.quiet = 0;
            return Next::Nothing;
        }
        self.quiet = self.quiet.saturating_add(1);
        match self.pingable && self.quiet >= SUSPECT_LOOKS {
            true => Next::Ping,
            false => Next::Nothing,
        }
    }

    /// What the ping said; true when the server has stopped answering.
    pub fn pinged(&mut self, ping: Ping) -> bool {
        match ping {
            Ping::Taken => self.quiet = 0,
            Ping::Refused => self.pingable = false,
            Ping::Missed => return self.quiet >= SILENT_LOOKS,
        }
        false
    }

    /// Looks in a row it has not been seen waiting for work.
    pub fn quiet_looks(&self) -> u8 {
        self.quiet
    }

    /// A new start: nothing held against it.
    pub fn restarted(&mut self) {
        self.quiet = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Looks at a server never seen waiting, answering each ping with `answer`; the look at
    /// which it is found silent, if any.
    fn silent_at(answer: Ping, looks: u8) -> Option<u8> {
        let mut liveness = Liveness::new();
        (1..=looks).find(|_| liveness.look(false) == Next::Ping && liveness.pinged(answer))
    }

    #[test]
    fn an_idle_server_is_never_pinged() {
        let mut liveness = Liveness::new();
        for _ in 0..100 {
            assert_eq!(liveness.look(true), Next::Nothing);
        }
    }

    #[test]
    fn a_server_not_waiting_is_pinged_from_the_suspect_look_on() {
        let mut liveness = Liveness::new();
        for _ in 1..SUSPECT_LOOKS {
            assert_eq!(liveness.look(false), Next::Nothing);
        }
        assert_eq!(liveness.look(false), Next::Ping);
    }

    #[test]
    fn a_silent_server_is_given_up_at_the_silent_look_and_not_before() {
        assert_eq!(silent_at(Ping::Missed, 100), Some(SILENT_LOOKS));
    }

    #[test]
    fn a_busy_server_that_takes_pings_is_never_silent() {
        assert_eq!(silent_at(Ping::Taken, 100), None);
    }

    #[test]
    fn a_refused_ping_is_not_tried_again() {
        let mut liveness = Liveness::new();
        (0..SUSPECT_LOOKS - 1).for_each(|_| assert_eq!(liveness.look(false), Next::Nothing));
        assert_eq!(liveness.look(false), Next::Ping);
        assert!(!liveness.pinged(Ping::Refused));
        for _ in 0..100 {
            assert_eq!(liveness.look(false), Next::Nothing);
        }
    }

    #[test]
    fn waiting_once_or_a_restart_starts_the_count_again() {
        let mut liveness = Liveness::new();
        (0..SUSPECT_LOOKS - 1).for_each(|_| assert_eq!(liveness.look(false), Next::Nothing));
        liveness.look(true);
        (0..SUSPECT_LOOKS - 1).for_each(|_| assert_eq!(liveness.look(false), Next::Nothing));
        liveness.restarted();
        assert_eq!(liveness.quiet_looks(), 0);
        (0..SUSPECT_LOOKS - 1).for_each(|_| assert_eq!(liveness.look(false), Next::Nothing));
        assert_eq!(liveness.look(false), Next::Ping);
    }
}
