//! [`oxprof::heap::Profiled`] around mimalloc: counts and profiles work as around the system
//! allocator, and the blocks really come from mimalloc. `heap_jemalloc.rs` does the same around
//! jemalloc.

use std::hint::black_box;

mod heap_allocator_checks;

#[global_allocator]
static ALLOC: oxprof::heap::Profiled<mimalloc::MiMalloc> =
    oxprof::heap::Profiled::new(mimalloc::MiMalloc);

#[test]
fn blocks_come_from_mimalloc() {
    let block = black_box(Box::new([0u8; 100]));
    // SAFETY: mi_is_in_heap_region only compares the address with mimalloc's heap regions.
    let ours = unsafe { libmimalloc_sys::mi_is_in_heap_region(block.as_ptr().cast()) };
    assert!(ours, "the block was not allocated by mimalloc");
}

#[test]
fn measure_is_exact_around_mimalloc() {
    heap_allocator_checks::measure_is_exact();
}

#[test]
fn profile_names_the_allocating_function_around_mimalloc() {
    heap_allocator_checks::profile_names_the_allocating_function();
}
