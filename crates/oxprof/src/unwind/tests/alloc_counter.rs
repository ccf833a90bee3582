//! A global allocator for this crate's unit tests that counts allocations made on the calling
//! thread while a closure runs, so tests can check that code paths (signal handlers above all)
//! never allocate. One per test binary: reuse it rather than declaring another.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct CountingAllocator;

thread_local! {
    // `const` and without Drop: touching them never allocates, so the allocator can use them.
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<u64> = const { Cell::new(0) };
}

fn note_allocation() {
    if COUNTING.with(Cell::get) {
        COUNT.with(|count| count.set(count.get() + 1));
    }
}

// SAFETY: forwards every call to `System` unchanged; counting touches only const thread-locals.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        // SAFETY: forwarded from the caller.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        // SAFETY: forwarded from the caller.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_allocation();
        // SAFETY: forwarded from the caller.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded from the caller.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Runs `f` and returns its result with the number of allocations it made on this thread
/// (including in signal handlers that interrupted it on this thread). Async-signal-safe itself,
/// so a handler can wrap its own work in it.
pub(crate) fn count_allocations<T>(f: impl FnOnce() -> T) -> (T, u64) {
    let was_counting = COUNTING.with(|counting| counting.replace(true));
    let before = COUNT.with(Cell::get);
    let result = f();
    let allocations = COUNT.with(Cell::get) - before;
    COUNTING.with(|counting| counting.set(was_counting));
    (result, allocations)
}

#[test]
fn counts_allocations_made_inside_the_closure() {
    let (_, n) = count_allocations(|| std::hint::black_box(vec![1u8; 10]));
    assert_eq!(n, 1);
    let (_, n) = count_allocations(|| std::hint::black_box([1u8; 10]).len());
    assert_eq!(n, 0);
}
