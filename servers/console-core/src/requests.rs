//! The console's protocol (`service_api::console`) over the `Leases` seam, shared by the
//! ring-3 console and the built-in one: `WRITE`, `READ_LINE` (answered when a line is
//! complete), and what the line editor's events mean for the waiting client.

use crate::{Completed, LineEditor, MAX_LINE, Output};
use service_api::console::{CONTROLLER, INTERRUPT_BIT, READ_LINE, WRITE};
use service_api::leases::Leases;
use service_api::status::{BAD_REQUEST, BUSY, END_OF_INPUT, INTERRUPTED, OK};

/// What the console needs from wherever it runs, besides a way to write to the terminal.
pub trait Clients {
    /// A client's task id.
    type Id: Copy + PartialEq;
    type Leases<'a>: Leases
    where
        Self: 'a;
    /// The leases `caller` lent with its pending call, or `None` if it no longer waits.
    fn leases(&self, caller: Self::Id) -> Option<Self::Leases<'_>>;
    /// Whether `caller` still waits for the console's reply.
    fn awaits(&self, caller: Self::Id) -> bool;
    /// Answers `caller`'s pending call (a `READ_LINE` answered late).
    fn reply(&mut self, caller: Self::Id, words: [u64; 4]);
    fn notify(&mut self, task: Self::Id, bits: u64);
}

const REFUSED: [u64; 4] = [BAD_REQUEST, 0, 0, 0];

/// The line editor and the clients reading from it.
pub struct Terminal<Id> {
    pub editor: LineEditor,
    /// The client waiting in `READ_LINE`: its call is answered when a line is complete.
    reader: Option<Id>,
    /// The task that said it controls the terminal (`CONTROLLER`): the shell. Ctrl-C is
    /// passed on to it.
    controller: Option<Id>,
    /// The last client that read a line: Ctrl-C goes to it when no task said it controls the
    /// terminal.
    last_reader: Option<Id>,
    /// Where a `WRITE`'s text is read and translated, kept between requests so that none
    /// zeroes a buffer (`translated` is empty between them).
    piece: [u8; WRITE_PIECE],
    translated: Output,
}

/// The bytes of a `WRITE` read from its lease at once.
const WRITE_PIECE: usize = 128;

impl<Id: Copy + PartialEq> Terminal<Id> {
    pub const fn new() -> Self {
        Self {
            editor: LineEditor::new(),
            reader: None,
            controller: None,
            last_reader: None,
            piece: [0; WRITE_PIECE],
            translated: Output::new(),
        }
    }

    /// Answers `caller`'s request `op` (with `flags`, its word 0) now, or returns `None` to
    /// answer later (a `READ_LINE` with no line typed yet). `output` writes to the terminal.
    pub fn request<C: Clients<Id = Id>>(
        &mut self,
        clients: &C,
        caller: Id,
        op: u32,
        flags: u64,
        output: impl FnMut(&[u8]),
    ) -> Option<[u64; 4]> {
        let write = match op {
            WRITE => false,
            READ_LINE => true,
            _ => return Some(REFUSED),
        };
        // Lease 0 with the right access, or the request is refused at once (a `READ_LINE`
        // that could never be answered must not wait for a line).
        let Some(leases) = clients.leases(caller) else { return Some(REFUSED) };
        let Some(length) = leases.length(0, write) else { return Some(REFUSED) };
        if op == WRITE {
            let (translated, mut output) = (&mut self.translated, output);
            let written = leases
                .read_all(0, length, &mut self.piece, |text| translated.write(text, &mut output));
            translated.flush(&mut output);
            return Some(if written { [OK, length, 0, 0] } else { REFUSED });
        }
        // Another client waits for the line, unless it has gone meanwhile.
        if self.reader.is_some_and(|r| r != caller && clients.awaits(r)) {
            return Some([BUSY, 0, 0, 0]);
        }
        self.reader = Some(caller);
        self.last_reader = Some(caller);
        if flags & CONTROLLER != 0 {
            self.controller = Some(caller);
        }
        let words = self.take_line(&leases)?;
        self.reader = None;
        Some(words)
    }

    /// Acts on what the editor reported for a byte (after its echo went out): hands a
    /// completed line to the reader, passes Ctrl-C on, ends the reader's input at Ctrl-D.
    pub fn edited<C: Clients<Id = Id>>(&mut self, event: Option<Completed>, clients: &mut C) {
        match event {
            Some(Completed::Line) => self.deliver_line(clients),
            Some(Completed::Interrupt) => self.interrupt(clients),
            Some(Completed::EndOfInput) => {
                if let Some(reader) = self.reader.take() {
                    clients.reply(reader, [END_OF_INPUT, 0, 0, 0]);
                }
            }
            None => {}
        }
    }

    /// Ctrl-C: the waiting read ends with `INTERRUPTED` (at the prompt, the shell simply
    /// prompts again), and the controller, unless it was that reader, hears of it to stop its
    /// program. Nothing is left pending to stop a program started later.
    fn interrupt<C: Clients<Id = Id>>(&mut self, clients: &mut C) {
        let reader = self.reader.take().filter(|&reader| clients.awaits(reader));
        if let Some(reader) = reader {
            clients.reply(reader, [INTERRUPTED, 0, 0, 0]);
        }
        let told = self.controller.or(self.last_reader);
        if let Some(told) = told.filter(|&told| Some(told) != reader) {
            clients.notify(told, INTERRUPT_BIT);
        }
    }

    /// The completed line into lease 0 of the reader whose `leases` these are.
    fn take_line(&mut self, leases: &impl Leases) -> Option<[u64; 4]> {
        let mut line = [0u8; MAX_LINE];
        let mut len = 0;
        let taken = self.editor.take_line(|text| {
            line[..text.len()].copy_from_slice(text);
            len = text.len();
        });
        if !taken {
            return None;
        }
        let fits = leases.length(0, true).unwrap_or(0).min(len as u64) as usize;
        Some(if leases.write(0, 0, &line[..fits]) { [OK, fits as u64, 0, 0] } else { REFUSED })
    }

    /// Answers the waiting reader with the line just completed.
    fn deliver_line<C: Clients<Id = Id>>(&mut self, clients: &mut C) {
        let Some(reader) = self.reader else { return };
        let Some(words) = clients.leases(reader).and_then(|leases| self.take_line(&leases)) else {
            return;
        };
        self.reader = None;
        clients.reply(reader, words);
    }
}

impl<Id: Copy + PartialEq> Default for Terminal<Id> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests;
