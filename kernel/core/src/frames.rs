//! Physical frame bookkeeping: one bit per 4 KiB frame, set when the frame is free.
//!
//! The kernel builds one `FrameBitmap` at boot over the usable regions of the bootloader's
//! memory map, keeping the bitmap itself in frames carved out of that memory (`plan_bitmap`
//! picks them). Everything here works on plain physical addresses, so the host tests can drive
//! it with a `Vec<u64>` for storage.

pub const FRAME_SIZE: u64 = 4096;
const BITS_PER_WORD: u64 = u64::BITS as u64;

/// Physical memory from `start` (inclusive) to `end` (exclusive).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PhysRange {
    pub start: u64,
    pub end: u64,
}

impl PhysRange {
    pub const fn new(start: u64, end: u64) -> Self {
        Self { start, end }
    }

    pub const fn len(&self) -> u64 {
        self.end.saturating_sub(self.start)
    }

    pub const fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The whole frames inside the range: start rounded up, end rounded down.
    pub const fn whole_frames(&self) -> PhysRange {
        let start = self.start.next_multiple_of(FRAME_SIZE);
        let end = self.end - self.end % FRAME_SIZE;
        if start < end { PhysRange::new(start, end) } else { PhysRange::new(start, start) }
    }
}

/// Why a frame could not be given back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameError {
    /// The address is not the start of a frame.
    Misaligned(u64),
    /// The address is not usable memory this allocator manages.
    OutOfRange(u64),
    /// The frame is already free: a double free, or memory never handed out.
    NotAllocated(u64),
}

/// Where the bitmap for a set of usable regions goes, decided before any memory is touched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BitmapPlan {
    /// From the first to the last usable frame; the bitmap has a bit for every frame in it.
    pub span: PhysRange,
    /// How many `u64` words the bitmap needs.
    pub words: usize,
    /// The whole frames, inside one usable region, that will hold the bitmap.
    pub storage: PhysRange,
}

/// Plans a bitmap over `usable` regions: its span, its size, and the first region big enough to
/// hold it. `None` when no region is.
pub fn plan_bitmap<I>(usable: I) -> Option<BitmapPlan>
where
    I: Iterator<Item = PhysRange> + Clone,
{
    let frames = usable.clone().map(|r| r.whole_frames()).filter(|r| !r.is_empty());
    let start = frames.clone().map(|r| r.start).min()?;
    let end = frames.clone().map(|r| r.end).max()?;
    let span = PhysRange::new(start, end);
    let words = words_needed(span);
    let storage_len = (words as u64 * 8).next_multiple_of(FRAME_SIZE);
    let home = frames.into_iter().find(|r| r.len() >= storage_len)?;
    Some(BitmapPlan { span, words, storage: PhysRange::new(home.start, home.start + storage_len) })
}

/// How many words the bitmaps over `span` need: one bit per frame for "free" and one for
/// "managed" (usable memory, as opposed to holes and reserved frames inside the span).
pub fn words_needed(span: PhysRange) -> usize {
    2 * words_per_bitmap(span)
}

fn words_per_bitmap(span: PhysRange) -> usize {
    (span.whole_frames().len() / FRAME_SIZE).div_ceil(BITS_PER_WORD) as usize
}

/// A bitmap allocator of physical frames.
pub struct FrameBitmap<'a> {
    /// Bit `i` describes the frame at `span.start + i * FRAME_SIZE`; set means free.
    free_bits: &'a mut [u64],
    /// Same indexing; set means the frame is usable memory this allocator owns, so a frame in a
    /// hole of the memory map can never be "freed" into circulation.
    managed_bits: &'a mut [u64],
    span: PhysRange,
    free: usize,
    /// Frames that were ever released to this allocator: the usable memory it manages.
    managed: usize,
    /// No free frame lies in a word below this one, so the search for one starts here. Keeps
    /// allocation lowest-first (deterministic) without rescanning the full front of the bitmap.
    next_word: usize,
}

impl<'a> FrameBitmap<'a> {
    /// An allocator over `span` with every frame in use. `words` must hold at least
    /// `words_needed(span)` words; its contents are overwritten.
    pub fn new(words: &'a mut [u64], span: PhysRange) -> Option<Self> {
        let span = span.whole_frames();
        let per_bitmap = words_per_bitmap(span);
        let words = words.get_mut(..2 * per_bitmap)?;
        words.fill(0);
        let (free_bits, managed_bits) = words.split_at_mut(per_bitmap);
        Some(Self { free_bits, managed_bits, span, free: 0, managed: 0, next_word: 0 })
    }

    /// Hands the whole frames of `range` (clipped to the span) to the allocator.
    pub fn add_free(&mut self, range: PhysRange) {
        for frame in self.frames_of(range) {
            if !test_bit(self.managed_bits, frame) {
                set_bit(self.managed_bits, frame, true);
                set_bit(self.free_bits, frame, true);
                self.free += 1;
                self.managed += 1;
                self.next_word = self.next_word.min(word_of(frame));
            }
        }
    }

    /// Takes the whole frames of `range` (clipped to the span) away for good, for example the
    /// frames holding the bitmap itself.
    pub fn reserve(&mut self, range: PhysRange) {
        for frame in self.frames_of(range) {
            if test_bit(self.managed_bits, frame) {
                if test_bit(self.free_bits, frame) {
                    self.free -= 1;
                }
                set_bit(self.managed_bits, frame, false);
                set_bit(self.free_bits, frame, false);
                self.managed -= 1;
            }
        }
    }

    /// The physical address of a free frame, now marked in use.
    pub fn allocate(&mut self) -> Option<u64> {
        for index in self.next_word..self.free_bits.len() {
            let word = self.free_bits[index];
            if word != 0 {
                let frame = index as u64 * BITS_PER_WORD + u64::from(word.trailing_zeros());
                set_bit(self.free_bits, frame, false);
                self.free -= 1;
                self.next_word = index;
                return Some(self.span.start + frame * FRAME_SIZE);
            }
        }
        self.next_word = self.free_bits.len();
        None
    }

    /// Gives back a frame that `allocate` returned.
    pub fn free(&mut self, address: u64) -> Result<(), FrameError> {
        if address % FRAME_SIZE != 0 {
            return Err(FrameError::Misaligned(address));
        }
        if address < self.span.start || address >= self.span.end {
            return Err(FrameError::OutOfRange(address));
        }
        let frame = (address - self.span.start) / FRAME_SIZE;
        if !test_bit(self.managed_bits, frame) {
            return Err(FrameError::OutOfRange(address));
        }
        if test_bit(self.free_bits, frame) {
            return Err(FrameError::NotAllocated(address));
        }
        set_bit(self.free_bits, frame, true);
        self.free += 1;
        self.next_word = self.next_word.min(word_of(frame));
        Ok(())
    }

    /// Frames ready to allocate.
    pub fn free_frames(&self) -> usize {
        self.free
    }

    /// All frames this allocator manages, free or handed out.
    pub fn managed_frames(&self) -> usize {
        self.managed
    }

    /// Frame indices (relative to the span) of the whole frames of `range` inside the span.
    fn frames_of(&self, range: PhysRange) -> core::ops::Range<u64> {
        let range = range.whole_frames();
        let start = range.start.clamp(self.span.start, self.span.end);
        let end = range.end.clamp(self.span.start, self.span.end);
        (start - self.span.start) / FRAME_SIZE..(end.max(start) - self.span.start) / FRAME_SIZE
    }
}

fn word_of(frame: u64) -> usize {
    (frame / BITS_PER_WORD) as usize
}

fn test_bit(bits: &[u64], frame: u64) -> bool {
    bits[word_of(frame)] & (1 << (frame % BITS_PER_WORD)) != 0
}

fn set_bit(bits: &mut [u64], frame: u64, value: bool) {
    let word = &mut bits[word_of(frame)];
    let bit = 1 << (frame % BITS_PER_WORD);
    if value { *word |= bit } else { *word &= !bit }
}

#[cfg(test)]
mod tests;
