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
    let reply = terminal.request(&clients, 1, WRITE, 0, |piece| out.extend_from_slice(piece));
    assert_eq!(reply, Some([OK, 3, 0, 0]));
    assert_eq!(out, b"a\r\nb");
}

#[test]
fn each_write_hands_on_only_its_own_text() {
    // The buffers a write works in are kept between requests: nothing of one may reach the next.
    let long = [b'x'; 300];
    let clients = Fake::with(&[(b"a\nb", false), (&long, false), (b"c\n", false)]);
    let mut terminal = Terminal::new();
    let mut outs: [Vec<u8>; 3] = Default::default();
    for (caller, out) in outs.iter_mut().enumerate() {
        let reply = terminal.request(&clients, caller + 1, WRITE, 0, |p| out.extend_from_slice(p));
        assert_eq!(reply.map(|words| words[0]), Some(OK));
    }
    assert_eq!(outs[0], b"a\r\nb");
    assert_eq!(outs[1], long);
    assert_eq!(outs[2], b"c\r\n");
}

#[test]
fn a_wrong_lease_or_operation_is_refused_at_once() {
    let clients = Fake::with(&[(b"text", false), (&[0; 8], true)]);
    let mut terminal = Terminal::new();
    assert_eq!(terminal.request(&clients, 1, READ_LINE, 0, |_| {}), Some(REFUSED));
    assert_eq!(terminal.request(&clients, 2, WRITE, 0, |_| {}), Some(REFUSED));
    assert_eq!(terminal.request(&clients, 1, 99, 0, |_| {}), Some(REFUSED));
}

#[test]
fn a_line_waits_for_its_reader_and_a_reader_for_its_line() {
    let mut clients = Fake::with(&[(&[0; 4], true), (&[0; 8], true)]);
    let mut terminal = Terminal::new();
    assert_eq!(terminal.request(&clients, 1, READ_LINE, 0, |_| {}), None, "no line yet");
    assert_eq!(terminal.request(&clients, 2, READ_LINE, 0, |_| {}), Some([BUSY, 0, 0, 0]));
    type_in(&mut terminal, &mut clients, b"hello\r");
    assert_eq!(clients.replies, [(1, [OK, 4, 0, 0])], "cut to the lease");
    assert_eq!(clients.leases[1].borrow().0, b"hell");
    // Typed ahead, two lines in one burst: the next readers get them at once, in order.
    type_in(&mut terminal, &mut clients, b"ls\r.\r");
    assert_eq!(terminal.request(&clients, 2, READ_LINE, 0, |_| {}), Some([OK, 2, 0, 0]));
    assert_eq!(&clients.leases[2].borrow().0[..2], b"ls");
    assert_eq!(terminal.request(&clients, 2, READ_LINE, 0, |_| {}), Some([OK, 1, 0, 0]));
    assert_eq!(&clients.leases[2].borrow().0[..1], b".");
    assert_eq!(terminal.request(&clients, 2, READ_LINE, 0, |_| {}), None, "nothing more typed");
}

#[test]
fn ctrl_c_ends_the_read_and_ctrl_d_ends_input() {
    let mut clients = Fake::with(&[(&[0; 8], true), (&[0; 8], true)]);
    let mut terminal = Terminal::new();
    assert_eq!(terminal.request(&clients, 1, READ_LINE, 0, |_| {}), None);
    type_in(&mut terminal, &mut clients, b"x\x03");
    assert_eq!(clients.replies, [(1, [INTERRUPTED, 0, 0, 0])], "the read ends");
    assert!(clients.notified.is_empty(), "the reader already knows");
    assert_eq!(terminal.request(&clients, 2, READ_LINE, 0, |_| {}), None, "x was dropped");
    type_in(&mut terminal, &mut clients, b"\x04");
    assert_eq!(clients.replies[1], (2, [END_OF_INPUT, 0, 0, 0]));
    type_in(&mut terminal, &mut clients, b"\x03");
    assert_eq!(clients.notified, [(2, INTERRUPT_BIT)], "nobody reads: the last reader is told");
}

#[test]
fn ctrl_c_at_the_controllers_prompt_only_prompts_again() {
    let mut clients = Fake::with(&[(&[0; 8], true)]);
    let mut terminal = Terminal::new();
    assert_eq!(terminal.request(&clients, 1, READ_LINE, CONTROLLER, |_| {}), None);
    type_in(&mut terminal, &mut clients, b"\x03");
    assert_eq!(clients.replies, [(1, [INTERRUPTED, 0, 0, 0])]);
    assert!(clients.notified.is_empty(), "no bit is left to stop the next program");
}

#[test]
fn ctrl_c_while_a_program_reads_ends_its_read_and_tells_the_controller() {
    // The shell (1) read its command line, then runs a program (2) that reads.
    let mut clients = Fake::with(&[(&[0; 8], true), (&[0; 8], true)]);
    let mut terminal = Terminal::new();
    assert_eq!(terminal.request(&clients, 1, READ_LINE, CONTROLLER, |_| {}), None);
    type_in(&mut terminal, &mut clients, b"ask\r");
    assert_eq!(terminal.request(&clients, 2, READ_LINE, 0, |_| {}), None);
    type_in(&mut terminal, &mut clients, b"\x03");
    assert_eq!(clients.replies[1], (2, [INTERRUPTED, 0, 0, 0]), "the program's read ends");
    assert_eq!(clients.notified, [(1, INTERRUPT_BIT)], "the shell stops the program");
    // The next line goes to the shell, not to the program.
    clients.waiting[1] = true;
    assert_eq!(terminal.request(&clients, 1, READ_LINE, CONTROLLER, |_| {}), None);
    type_in(&mut terminal, &mut clients, b"ls\r");
    assert_eq!(clients.replies[2], (1, [OK, 2, 0, 0]));
}

#[test]
fn ctrl_c_while_a_program_runs_without_reading_tells_the_controller_once() {
    let mut clients = Fake::with(&[(&[0; 8], true)]);
    let mut terminal = Terminal::new();
    assert_eq!(terminal.request(&clients, 1, READ_LINE, CONTROLLER, |_| {}), None);
    type_in(&mut terminal, &mut clients, b"spin\r\x03");
    assert_eq!(clients.notified, [(1, INTERRUPT_BIT)]);
    assert_eq!(clients.replies.len(), 1, "only the command line was answered");
}

#[test]
fn a_line_for_a_reader_that_has_gone_waits_for_the_next() {
    let mut clients = Fake::with(&[(&[0; 8], true), (&[0; 8], true)]);
    let mut terminal = Terminal::new();
    assert_eq!(terminal.request(&clients, 1, READ_LINE, 0, |_| {}), None);
    clients.waiting[1] = false;
    type_in(&mut terminal, &mut clients, b"hi\r");
    assert!(clients.replies.is_empty());
    assert_eq!(terminal.request(&clients, 2, READ_LINE, 0, |_| {}), Some([OK, 2, 0, 0]));
}
