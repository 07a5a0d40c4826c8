//! The kernel heap: `KERNEL_HEAP_SIZE` bytes at `KERNEL_HEAP_START`, backed by fresh frames at
//! boot and managed by `linked_list_allocator`. The lock is taken with interrupts off.

use super::layout::{KERNEL_HEAP_SIZE, KERNEL_HEAP_START};
use crate::arch::cpu::without_interrupts;
use crate::arch::paging;
use core::alloc::{GlobalAlloc, Layout};
use core::ptr::{self, NonNull};
use linked_list_allocator::Heap;
use spin::Mutex;

struct KernelHeap(Mutex<Heap>);

#[global_allocator]
static HEAP: KernelHeap = KernelHeap(Mutex::new(Heap::empty()));

// SAFETY: `Heap` hands out non-overlapping blocks of the requested layout from memory that
// `init` mapped for it, and takes back only what it handed out (the `GlobalAlloc` contract on
// callers guarantees `dealloc` gets such blocks).
unsafe impl GlobalAlloc for KernelHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        without_interrupts(|| {
            self.0.lock().allocate_first_fit(layout).map_or(ptr::null_mut(), NonNull::as_ptr)
        })
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        let Some(block) = NonNull::new(block) else { return };
        // SAFETY: the caller passes a block this allocator returned, with its layout.
        without_interrupts(|| unsafe { self.0.lock().deallocate(block, layout) });
    }
}

/// Maps the heap range and hands it to the allocator.
pub fn init() {
    let pages = KERNEL_HEAP_SIZE / 4096;
    if let Err(error) = paging::map_kernel_data(KERNEL_HEAP_START, pages) {
        panic!("mapping the kernel heap: {error}");
    }
    // SAFETY: the range was just mapped writable and is used by nothing else; `init` runs once.
    without_interrupts(|| unsafe {
        HEAP.0.lock().init(KERNEL_HEAP_START as *mut u8, KERNEL_HEAP_SIZE as usize)
    });
}

/// Bytes in use and bytes free in the heap.
pub fn usage() -> (usize, usize) {
    without_interrupts(|| {
        let heap = HEAP.0.lock();
        (heap.used(), heap.free())
    })
}
