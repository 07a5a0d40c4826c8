//! The console's protocol against fake clients, each with one writable or readable lease.

extern crate std;

use super::*;
use core::cell::RefCell;
use std::vec::Vec;

/// Clients 1, 2, ...: each has lease 0 (`leases[id]`) and waits while `waiting[id]`.
#[derive(Default)]
struct Fake {
    leases: Vec<RefCell<(Vec<u8>, bool)>>,
    waiting: Vec<bool>,
    replies: Vec<(usize, [u64; 4])>,
    notified: Vec<(usize, u64)>,
}

struct Lent<'a>(&'a RefCell<(Vec<u8>, bool)>);

impl Leases for Lent<'_> {
    fn length(&self, index: usize, write: bool) -> Option<u64> {
        let lease = self.0.borrow();
        (index == 0 && lease.1 == write).then_some(lease.0.len() as u64)
    }

    fn read(&self, _index: usize, offset: u64, into: &mut [u8]) -> bool {
        let lease = self.0.borrow();
        let start = offset as usize;
        let Some(bytes) = lease.0.get(start..start + into.len()) else { return false };
        into.copy_from_slice(bytes);
        true
    }

    fn write(&self, _index: usize, offset: u64, bytes: &[u8]) -> bool {
        let mut lease = self.0.borrow_mut();
        let start = offset as usize;
        let Some(room) = lease.0.get_mut(start..start + bytes.len()) else { return false };
        room.copy_from_slice(bytes);
        true
    }
}

impl Clients for Fake {
    type Id = usize;
    type Leases<'a> = Lent<'a>;

    fn leases(&self, caller: usize) -> Option<Lent<'_>> {
        self.waiting[caller].then(|| Lent(&self.leases[caller]))
    }

    fn awaits(&self, caller: usize) -> bool {
        self.waiting[caller]
    }

    fn reply(&mut self, caller: usize, words: [u64; 4]) {
        self.waiting[caller] = false;
        self.replies.push((caller, words));
    }

    fn notify(&mut self, task: usize, bits: u64) {
        self.notified.push((task, bits));
    }
}

impl Fake {
    fn with(leases: &[(&[u8], bool)]) -> Self {
        let mut fake = Fake { waiting: std::vec![false], ..Default::default() };
        fake.leases.push(RefCell::new((Vec::new(), false)));
        for (bytes, write) in leases {
            fake.leases.push(RefCell::new((bytes.to_vec(), *write)));
            fake.waiting.push(true);
        }
        fake
    }
}

fn type_in(terminal: &mut Terminal<usize>, clients: &mut Fake, text: &[u8]) {
    for &byte in text {
        let event = terminal.editor.feed(byte, |_| {});
        terminal.edited(event, clients);
    }
}

#[test]
fn write_translates_newlines_and_counts_the_bytes() {
    let clients = Fake::with(&[(b"a\nb", false)]);
    let mut terminal = Terminal::new();
    let mut out = Vec::new();
    let reply = terminal.request(&clients, 1, WRITE, |piece| out.extend_from_slice(piece));
    assert_eq!(reply, Some([OK, 3, 0, 0]));
    assert_eq!(out, b"a\r\nb");
}

#[test]
fn a_wrong_lease_or_operation_is_refused_at_once() {
    let clients = Fake::with(&[(b"text", false), (&[0; 8], true)]);
    let mut terminal = Terminal::new();
    assert_eq!(terminal.request(&clients, 1, READ_LINE, |_| {}), Some(REFUSED));
    assert_eq!(terminal.request(&clients, 2, WRITE, |_| {}), Some(REFUSED));
    assert_eq!(terminal.request(&clients, 1, 99, |_| {}), Some(REFUSED));
}

#[test]
fn a_line_waits_for_its_reader_and_a_reader_for_its_line() {
    let mut clients = Fake::with(&[(&[0; 4], true), (&[0; 8], true)]);
    let mut terminal = Terminal::new();
    assert_eq!(terminal.request(&clients, 1, READ_LINE, |_| {}), None, "no line yet");
    assert_eq!(terminal.request(&clients, 2, READ_LINE, |_| {}), Some([BUSY, 0, 0, 0]));
    type_in(&mut terminal, &mut clients, b"hello\r");
    assert_eq!(clients.replies, [(1, [OK, 4, 0, 0])], "cut to the lease");
    assert_eq!(clients.leases[1].borrow().0, b"hell");
    // Typed ahead, two lines in one burst: the next readers get them at once, in order.
    type_in(&mut terminal, &mut clients, b"ls\r.\r");
    assert_eq!(terminal.request(&clients, 2, READ_LINE, |_| {}), Some([OK, 2, 0, 0]));
    assert_eq!(&clients.leases[2].borrow().0[..2], b"ls");
    assert_eq!(terminal.request(&clients, 2, READ_LINE, |_| {}), Some([OK, 1, 0, 0]));
    assert_eq!(&clients.leases[2].borrow().0[..1], b".");
    assert_eq!(terminal.request(&clients, 2, READ_LINE, |_| {}), None, "nothing more typed");
}

#[test]
fn ctrl_c_goes_to_the_last_reader_and_ctrl_d_ends_input() {
    let mut clients = Fake::with(&[(&[0; 8], true)]);
    let mut terminal = Terminal::new();
    assert_eq!(terminal.request(&clients, 1, READ_LINE, |_| {}), None);
    type_in(&mut terminal, &mut clients, b"x\x03");
    assert_eq!(clients.notified, [(1, INTERRUPT_BIT)]);
    type_in(&mut terminal, &mut clients, b"\x04");
    assert_eq!(clients.replies, [(1, [END_OF_INPUT, 0, 0, 0])]);
    type_in(&mut terminal, &mut clients, b"\x03");
    assert_eq!(clients.notified.len(), 2, "nobody reads: the last reader is told");
}

#[test]
fn a_line_for_a_reader_that_has_gone_waits_for_the_next() {
    let mut clients = Fake::with(&[(&[0; 8], true), (&[0; 8], true)]);
    let mut terminal = Terminal::new();
    assert_eq!(terminal.request(&clients, 1, READ_LINE, |_| {}), None);
    clients.waiting[1] = false;
    type_in(&mut terminal, &mut clients, b"hi\r");
    assert!(clients.replies.is_empty());
    assert_eq!(terminal.request(&clients, 2, READ_LINE, |_| {}), Some([OK, 2, 0, 0]));
}
