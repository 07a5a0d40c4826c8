//! Input a terminal driver holds for the console, numbered so that a console restarted in the
//! middle of its work handles every byte exactly once.
//!
//! Every byte received gets the next number. A read names the first number its reader has not
//! handled yet (`from`): the bytes before it are let go, and the bytes from it on are copied
//! out but stay, until a later read names a number past them. A console that keeps its `from`
//! with the rest of its state (`ulib::store`) and dies before it kept the next one asks again
//! from the same number after its restart, and gets the same bytes.

use crate::ring::{ByteRing, RING_CAPACITY};

/// The most one read hands out.
pub const READ_CHUNK: usize = 128;

/// The most `InputQueue::save` writes: the first byte's number, then the bytes.
pub const SAVED_MAX: usize = 8 + RING_CAPACITY;

pub struct InputQueue {
    ring: ByteRing,
    /// The number of the oldest byte held.
    first: u64,
}

impl Default for InputQueue {
    fn default() -> Self {
        Self::new()
    }
}

impl InputQueue {
    pub const fn new() -> Self {
        InputQueue { ring: ByteRing::new(), first: 0 }
    }

    /// Adds a byte received; when the queue is full the oldest goes (counted in `dropped`).
    pub fn push(&mut self, byte: u8) {
        if self.ring.len() == RING_CAPACITY {
            self.first += 1;
        }
        self.ring.push(byte);
    }

    /// Bytes lost because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.ring.dropped
    }

    pub fn len(&self) -> usize {
        self.ring.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ring.is_empty()
    }

    /// Lets go of the bytes before `from`, then hands up to `max` (at most `READ_CHUNK`) of
    /// those from there on to `deliver`, keeping them. A `from` this queue cannot place, past
    /// its end (a reader whose numbers came from before the driver lost its state) or before
    /// its oldest byte (bytes dropped while full), lets nothing go and reads from the oldest.
    /// Returns the number of the first byte delivered and how many there were, or `None` if
    /// delivery failed.
    pub fn read_from(
        &mut self,
        from: u64,
        max: usize,
        deliver: impl FnOnce(&[u8]) -> bool,
    ) -> Option<(u64, usize)> {
        let handled = from.checked_sub(self.first).filter(|&n| n <= self.ring.len() as u64);
        let handled = handled.unwrap_or(0) as usize;
        self.ring.consume(handled);
        self.first += handled as u64;
        let mut chunk = [0u8; READ_CHUNK];
        let n = self.ring.peek(&mut chunk[..max.min(READ_CHUNK)]);
        if n > 0 && !deliver(&chunk[..n]) {
            return None;
        }
        Some((self.first, n))
    }

    /// The queue as bytes to keep (`restore` reads them back); returns how many.
    pub fn save(&self, out: &mut [u8; SAVED_MAX]) -> usize {
        out[..8].copy_from_slice(&self.first.to_le_bytes());
        8 + self.ring.copy_into(&mut out[8..])
    }

    /// The queue `save` wrote; anything shorter than a number gives an empty queue.
    pub fn restore(saved: &[u8]) -> Self {
        let mut queue = InputQueue::new();
        if let Some((first, bytes)) = saved.split_first_chunk::<8>() {
            queue.first = u64::from_le_bytes(*first);
            queue.ring.push_up_to(bytes);
        }
        queue
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::{vec, vec::Vec};

    fn queue_of(bytes: &[u8]) -> InputQueue {
        let mut queue = InputQueue::new();
        bytes.iter().for_each(|&b| queue.push(b));
        queue
    }

    /// Reads from `from`, returning (first number, bytes).
    fn read(queue: &mut InputQueue, from: u64, max: usize) -> (u64, Vec<u8>) {
        let mut got = Vec::new();
        let (first, n) = queue
            .read_from(from, max, |bytes| {
                got.extend_from_slice(bytes);
                true
            })
            .expect("delivered");
        assert_eq!(n, got.len());
        (first, got)
    }

    #[test]
    fn a_reader_asking_again_from_the_same_number_gets_the_same_bytes() {
        let mut queue = queue_of(b"hello");
        assert_eq!(read(&mut queue, 0, 3), (0, b"hel".to_vec()));
        assert_eq!(read(&mut queue, 0, 3), (0, b"hel".to_vec()));
        assert_eq!(queue.len(), 5);
    }

    #[test]
    fn the_bytes_before_from_are_let_go() {
        let mut queue = queue_of(b"hello");
        assert_eq!(read(&mut queue, 3, 10), (3, b"lo".to_vec()));
        assert_eq!(queue.len(), 2);
        assert_eq!(read(&mut queue, 5, 10), (5, Vec::new()));
        assert!(queue.is_empty());
        queue.push(b'!');
        assert_eq!(read(&mut queue, 5, 10), (5, b"!".to_vec()));
    }

    #[test]
    fn a_number_the_queue_cannot_place_reads_from_the_oldest() {
        let mut queue = queue_of(b"abc");
        // Ahead of the queue: a reader from before the driver lost its state.
        assert_eq!(read(&mut queue, 1000, 10), (0, b"abc".to_vec()));
        // Behind it: bytes dropped while the queue was full.
        let mut full = InputQueue::new();
        (0..RING_CAPACITY + 4).for_each(|i| full.push(i as u8));
        assert_eq!(full.dropped(), 4);
        let (first, bytes) = read(&mut full, 0, 2);
        assert_eq!((first, bytes), (4, vec![4, 5]));
    }

    #[test]
    fn a_failed_delivery_lets_go_of_nothing_read() {
        let mut queue = queue_of(b"abcd");
        assert_eq!(queue.read_from(2, 10, |_| false), None);
        assert_eq!(read(&mut queue, 2, 10), (2, b"cd".to_vec()));
    }

    #[test]
    fn a_saved_queue_comes_back_with_its_numbers() {
        let mut queue = queue_of(b"typed ahead");
        read(&mut queue, 6, 0);
        let mut saved = [0u8; SAVED_MAX];
        let len = queue.save(&mut saved);
        let mut back = InputQueue::restore(&saved[..len]);
        assert_eq!(read(&mut back, 6, 100), (6, b"ahead".to_vec()));
        assert!(InputQueue::restore(&saved[..5]).is_empty());
    }
}
