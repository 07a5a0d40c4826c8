//! The kernel heap: allocation, growth, and memory coming back on free.

use super::{GuestTest, TestResult};
use crate::mm::heap;
use crate::{check, check_eq};
use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;

pub const TESTS: &[GuestTest] = &[
    GuestTest { name: "heap::box_and_vec", run: box_and_vec },
    GuestTest { name: "heap::large_block_is_returned", run: large_block_is_returned },
    GuestTest { name: "heap::many_small_blocks", run: many_small_blocks },
];

fn box_and_vec() -> TestResult {
    let boxed = Box::new(41u64);
    check_eq!(*boxed + 1, 42);
    let squares: Vec<u64> = (0..1000).map(|i| i * i).collect();
    check_eq!(squares.iter().sum::<u64>(), 332_833_500);
    Ok(())
}

/// A block of half the heap can be taken, given back, and taken again.
fn large_block_is_returned() -> TestResult {
    let (used_before, free_before) = heap::usage();
    let size = free_before / 2;
    for round in 0..3 {
        let mut block: Vec<u8> = Vec::with_capacity(size);
        block.resize(size, round as u8);
        check_eq!(block[size - 1], round as u8);
    }
    check_eq!(heap::usage().0, used_before);
    Ok(())
}

fn many_small_blocks() -> TestResult {
    let used_before = heap::usage().0;
    {
        let map: BTreeMap<u32, Box<[u8; 24]>> =
            (0..2000).map(|i| (i, Box::new([i as u8; 24]))).collect();
        check_eq!(map.len(), 2000);
        check!(map.iter().all(|(k, v)| v[23] == *k as u8));
        check!(heap::usage().0 > used_before + 2000 * 24);
    }
    check_eq!(heap::usage().0, used_before);
    Ok(())
}
