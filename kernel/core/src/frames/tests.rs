//! Host tests for the frame bitmap.

extern crate std;
use super::*;
use std::vec;
use std::vec::Vec;

const MIB: u64 = 1 << 20;

fn region(start: u64, end: u64) -> PhysRange {
    PhysRange::new(start, end)
}

#[test]
fn whole_frames_round_inward() {
    assert_eq!(region(0x1001, 0x3fff).whole_frames(), region(0x2000, 0x3000));
    assert!(region(0x1001, 0x1fff).whole_frames().is_empty());
}

#[test]
fn plan_covers_all_regions_and_fits_storage_in_one() {
    let usable = [region(0x1000, 0x9f000), region(MIB, 128 * MIB)];
    let plan = plan_bitmap(usable.iter().copied()).unwrap();
    assert_eq!(plan.span, region(0x1000, 128 * MIB));
    assert_eq!(plan.words, words_needed(plan.span));
    // 32767 frames need 512 words per bitmap, two bitmaps: 8 KiB, in the first region.
    assert_eq!(plan.words, 1024);
    assert_eq!(plan.storage, region(0x1000, 0x3000));
}

#[test]
fn plan_skips_regions_too_small_for_the_bitmap() {
    let usable = [region(0x1000, 0x2000), region(MIB, 1024 * MIB)];
    let plan = plan_bitmap(usable.iter().copied()).unwrap();
    assert_eq!(plan.storage.start, MIB);
    assert!(plan.storage.len() >= plan.words as u64 * 8);
}

#[test]
fn plan_of_nothing_is_none() {
    assert_eq!(plan_bitmap(core::iter::empty()), None);
    assert_eq!(plan_bitmap([region(0x1001, 0x1fff)].into_iter()), None);
}

fn allocator<'a>(storage: &'a mut Vec<u64>, usable: &[PhysRange]) -> FrameBitmap<'a> {
    let plan = plan_bitmap(usable.iter().copied()).unwrap();
    storage.resize(plan.words, 0xdead_beef);
    let mut frames = FrameBitmap::new(storage, plan.span).unwrap();
    for r in usable {
        frames.add_free(*r);
    }
    frames
}

#[test]
fn allocates_only_usable_frames_and_each_once() {
    let usable = [region(0x1000, 0x4000), region(0x10000, 0x12000)];
    let mut storage = Vec::new();
    let mut frames = allocator(&mut storage, &usable);
    assert_eq!(frames.free_frames(), 5);
    let mut got: Vec<u64> = core::iter::from_fn(|| frames.allocate()).collect();
    got.sort();
    assert_eq!(got, vec![0x1000, 0x2000, 0x3000, 0x10000, 0x11000]);
    assert_eq!(frames.free_frames(), 0);
    assert_eq!(frames.allocate(), None);
}

#[test]
fn free_rejects_bad_addresses_and_double_free() {
    let usable = [region(0x1000, 0x4000), region(0x8000, 0x9000)];
    let mut storage = Vec::new();
    let mut frames = allocator(&mut storage, &usable);
    let a = frames.allocate().unwrap();
    assert_eq!(frames.free(a + 1), Err(FrameError::Misaligned(a + 1)));
    assert_eq!(frames.free(0x100000), Err(FrameError::OutOfRange(0x100000)));
    assert_eq!(frames.free(0), Err(FrameError::OutOfRange(0)));
    // 0x5000 lies in the hole between the two regions: inside the span, never usable.
    assert_eq!(frames.free(0x5000), Err(FrameError::OutOfRange(0x5000)));
    assert_eq!(frames.free(a), Ok(()));
    assert_eq!(frames.free(a), Err(FrameError::NotAllocated(a)), "double free");
    assert_eq!(frames.free_frames(), 4);
}

#[test]
fn reserve_takes_frames_out_for_good() {
    let usable = [region(0x1000, 0x5000)];
    let mut storage = Vec::new();
    let mut frames = allocator(&mut storage, &usable);
    assert_eq!(frames.managed_frames(), 4);
    frames.reserve(region(0x1000, 0x3000));
    assert_eq!(frames.free_frames(), 2);
    assert_eq!(frames.managed_frames(), 2);
    assert_eq!(frames.free(0x1000), Err(FrameError::OutOfRange(0x1000)));
    let a = frames.allocate().unwrap();
    let b = frames.allocate().unwrap();
    assert!(a >= 0x3000 && b >= 0x3000 && a != b);
    assert_eq!(frames.allocate(), None);
}

#[test]
fn adding_a_region_twice_counts_it_once() {
    let usable = [region(0x1000, 0x5000)];
    let mut storage = Vec::new();
    let mut frames = allocator(&mut storage, &usable);
    frames.add_free(region(0x1000, 0x5000));
    assert_eq!(frames.free_frames(), 4);
    assert_eq!(frames.managed_frames(), 4);
}

#[test]
fn free_then_allocate_reuses_frames_and_counts_balance() {
    let usable = [region(0, 64 * MIB)];
    let mut storage = Vec::new();
    let mut frames = allocator(&mut storage, &usable);
    let before = frames.free_frames();
    let mut taken: Vec<u64> = (0..1000).map(|_| frames.allocate().unwrap()).collect();
    assert_eq!(frames.free_frames(), before - 1000);
    for &f in taken.iter().rev() {
        frames.free(f).unwrap();
    }
    assert_eq!(frames.free_frames(), before);
    let mut again: Vec<u64> = (0..1000).map(|_| frames.allocate().unwrap()).collect();
    taken.sort();
    again.sort();
    assert_eq!(taken, again, "the lowest free frames are reused");
}

#[test]
fn new_rejects_short_storage() {
    let mut storage = vec![0u64; 2];
    assert!(FrameBitmap::new(&mut storage, region(0, 65 * FRAME_SIZE)).is_none());
}
