//! [`oxprof::heap::Profiled`] around jemalloc: counts and profiles work as around the system
//! allocator, and the blocks really come from jemalloc.

use std::hint::black_box;

mod heap_allocator_checks;

#[global_allocator]
static ALLOC: oxprof::heap::Profiled<tikv_jemallocator::Jemalloc> =
    oxprof::heap::Profiled::new(tikv_jemallocator::Jemalloc);

#[test]
fn blocks_come_from_jemalloc() {
    let block = black_box(Box::new([0u8; 100]));
    // SAFETY: the block is live and was allocated through the global allocator.
    let usable = unsafe { tikv_jemallocator::usable_size(block.as_ptr()) };
    // jemalloc's size class for 100 bytes; glibc's malloc would give 104.
    assert_eq!(usable, 112, "the block was not allocated by jemalloc");
}

#[test]
fn measure_is_exact_around_jemalloc() {
    heap_allocator_checks::measure_is_exact();
}

#[test]
fn profile_names_the_allocating_function_around_jemalloc() {
    heap_allocator_checks::profile_names_the_allocating_function();
}
