//! A terminal driver's byte buffer: input received but not yet read by the console (when it
//! is full the oldest bytes go, and are counted), or output not yet sent (the driver makes
//! room before it pushes).

pub const RING_CAPACITY: usize = 512;

pub struct ByteRing {
    bytes: [u8; RING_CAPACITY],
    start: usize,
    len: usize,
    /// Bytes dropped because the console did not read in time.
    pub dropped: u64,
}

impl Default for ByteRing {
    fn default() -> Self {
        Self::new()
    }
}

impl ByteRing {
    pub const fn new() -> Self {
        ByteRing { bytes: [0; RING_CAPACITY], start: 0, len: 0, dropped: 0 }
    }

    pub fn push(&mut self, byte: u8) {
        if self.len == RING_CAPACITY {
            self.start = (self.start + 1) % RING_CAPACITY;
            self.len -= 1;
            self.dropped += 1;
        }
        self.bytes[(self.start + self.len) % RING_CAPACITY] = byte;
        self.len += 1;
    }

    /// Hands up to `max` of the oldest bytes (at most 128) to `deliver`, and removes them
    /// only if it reports success, so nothing is lost when a copy to a reader fails. Returns
    /// how many were delivered, or `None` if delivery failed.
    pub fn take_into(&mut self, max: usize, deliver: impl FnOnce(&[u8]) -> bool) -> Option<usize> {
        let mut chunk = [0u8; 128];
        let n = self.peek(&mut chunk[..max.min(128)]);
        if n > 0 && !deliver(&chunk[..n]) {
            return None;
        }
        self.consume(n);
        Some(n)
    }

    /// Copies the oldest bytes into `out` without removing them; returns how many. At most two
    /// copies: up to the end of the array, then from its start.
    pub(crate) fn peek(&self, out: &mut [u8]) -> usize {
        let n = out.len().min(self.len);
        let first = n.min(RING_CAPACITY - self.start);
        out[..first].copy_from_slice(&self.bytes[self.start..self.start + first]);
        out[first..n].copy_from_slice(&self.bytes[..n - first]);
        n
    }

    /// Appends as many of `bytes` as there is room for (dropping none); returns how many.
    pub fn push_up_to(&mut self, bytes: &[u8]) -> usize {
        let n = bytes.len().min(RING_CAPACITY - self.len);
        let end = (self.start + self.len) % RING_CAPACITY;
        let first = n.min(RING_CAPACITY - end);
        self.bytes[end..end + first].copy_from_slice(&bytes[..first]);
        self.bytes[..n - first].copy_from_slice(&bytes[first..n]);
        self.len += n;
        n
    }

    /// Removes the oldest bytes into `out`; returns how many.
    /// Copies the bytes kept, oldest first, into `out` without taking them; returns how many.
    pub fn copy_into(&self, out: &mut [u8]) -> usize {
        self.peek(out)
    }

    pub fn pop_into(&mut self, out: &mut [u8]) -> usize {
        let n = self.peek(out);
        self.consume(n);
        n
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Removes and returns the oldest byte.
    pub fn pop(&mut self) -> Option<u8> {
        let mut byte = [0u8; 1];
        (self.peek(&mut byte) == 1).then(|| {
            self.consume(1);
            byte[0]
        })
    }

    /// Removes the `n` oldest bytes.
    pub(crate) fn consume(&mut self, n: usize) {
        let n = n.min(self.len);
        self.start = (self.start + n) % RING_CAPACITY;
        self.len -= n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_come_out_in_order_across_the_wrap() {
        let mut ring = ByteRing::new();
        let mut out = [0u8; 8];
        for round in 0..200u32 {
            for i in 0..5 {
                ring.push((round * 5 + i) as u8);
            }
            assert_eq!(ring.peek(&mut out), 5);
            ring.consume(5);
            assert_eq!(out[..5], [0, 1, 2, 3, 4].map(|i| (round * 5 + i) as u8));
        }
        assert_eq!(ring.peek(&mut out), 0);
    }

    #[test]
    fn a_full_ring_drops_the_oldest_and_counts_them() {
        let mut ring = ByteRing::new();
        for i in 0..RING_CAPACITY + 3 {
            ring.push(i as u8);
        }
        assert_eq!(ring.dropped, 3);
        let mut first = [0u8; 1];
        ring.peek(&mut first);
        assert_eq!(first[0], 3);
        assert_eq!((ring.len(), ring.pop()), (RING_CAPACITY, Some(3)));
        ring.consume(usize::MAX);
        assert_eq!(ring.peek(&mut first), 0);
        assert!(ring.is_empty() && ring.pop().is_none());
    }

    #[test]
    fn slices_go_in_up_to_the_room_and_come_out_in_order_across_the_wrap() {
        let mut ring = ByteRing::new();
        let mut next_in = 0u32;
        let mut next_out = 0u32;
        let mut out = [0u8; 300];
        for round in 0..50 {
            let piece: [u8; 200] = core::array::from_fn(|i| (next_in + i as u32) as u8);
            let taken = ring.push_up_to(&piece);
            assert_eq!(taken, 200.min(RING_CAPACITY - (ring.len() - taken)), "round {round}");
            next_in += taken as u32;
            let n = ring.pop_into(&mut out[..(round * 37) % 300]);
            for &byte in &out[..n] {
                assert_eq!(byte, next_out as u8);
                next_out += 1;
            }
        }
        // A full ring takes nothing more and drops nothing.
        while ring.push_up_to(&[1; 64]) > 0 {}
        assert_eq!((ring.len(), ring.dropped, ring.push_up_to(&[2])), (RING_CAPACITY, 0, 0));
        assert_eq!(ring.pop_into(&mut [0; 0]), 0);
    }

    #[test]
    fn bytes_stay_queued_when_delivery_fails() {
        let mut ring = ByteRing::new();
        for byte in *b"hello" {
            ring.push(byte);
        }
        assert_eq!(ring.take_into(3, |_| false), None);
        let mut got = [0u8; 3];
        assert_eq!(
            ring.take_into(3, |bytes| {
                got.copy_from_slice(bytes);
                true
            }),
            Some(3)
        );
        assert_eq!(&got, b"hel");
        assert_eq!(ring.take_into(100, |bytes| bytes == b"lo"), Some(2));
        assert_eq!(ring.take_into(100, |_| false), Some(0)); // nothing to deliver is no failure
    }
}
