//! Heap profiling of allocations that do not go through a Rust `GlobalAlloc`: an allocator
//! called from C, a `malloc` interposer (what `oxprof-preload` is), an arena of the program's
//! own. Call [`allocated`] after each allocation, [`freeing`] before each free and
//! [`reallocating`] around each reallocation, and the blocks are counted and sampled exactly as
//! [`Profiled`](super::Profiled) counts and samples its own (it calls these same functions).
//!
//! ```
//! use oxprof::heap::hooks;
//! let mut buffer = vec![0u8; 4096];
//! let ptr = buffer.as_mut_ptr();
//! hooks::allocated(ptr, 4096);   // right after the allocator returned `ptr`
//! // ... the block is used ...
//! hooks::freeing(ptr, 4096);     // right before the allocator takes it back
//! ```
//!
//! They never dereference the pointers: an address only identifies a sampled block until it is
//! freed. They allocate nothing on the common path, and the sampled path takes no lock the
//! allocator could be holding, so they can run inside `malloc` itself. Threads doing the
//! profiler's own work (and code run through [`untracked`]) are neither counted nor sampled.

use std::sync::atomic::{AtomicBool, Ordering};

use super::thread::{self, ThreadState};
use super::{counters, sampling, stacks};

/// Whether every allocation and free is counted ([`set_exact_counts`]).
static EXACT_COUNTS: AtomicBool = AtomicBool::new(true);
/// Whether an allocation was ever seen here: the profiles are refused until one was.
static SEEN: AtomicBool = AtomicBool::new(false);

/// Turns the exact counts ([`stats`](super::stats), [`measure`](super::measure)) off, or back
/// on; sampling, and so the heap profiles, go on either way. For an interposer that only needs
/// the profiles: a free then costs no thread-local read at all, only the check of whether the
/// block was sampled (`oxprof-preload` turns them off: `free` does not know the block's size).
///
/// ```
/// oxprof::heap::hooks::set_exact_counts(true); // the default
/// ```
pub fn set_exact_counts(on: bool) {
    EXACT_COUNTS.store(on, Ordering::Relaxed);
}

/// Whether an allocation has been seen through these hooks (by [`Profiled`](super::Profiled)
/// or an interposer).
pub(crate) fn seen() -> bool {
    SEEN.load(Ordering::Relaxed)
}

/// Counts an allocation of `size` bytes that returned `ptr` (nothing when `ptr` is null), and
/// samples it with its stack when its thread's byte budget runs out. Call it right after the
/// allocation, from the allocating thread: the stack taken is the caller's.
///
/// ```
/// let mut block = vec![0u8; 64]; // stands for what a foreign allocator returned
/// oxprof::heap::hooks::allocated(block.as_mut_ptr(), 64);
/// oxprof::heap::hooks::freeing(block.as_mut_ptr(), 64);
/// ```
#[inline]
pub fn allocated(ptr: *mut u8, size: usize) {
    if ptr.is_null() {
        return;
    }
    if !SEEN.load(Ordering::Relaxed) {
        SEEN.store(true, Ordering::Relaxed);
    }
    let exact = EXACT_COUNTS.load(Ordering::Relaxed);
    // One thread-local read for the whole decision.
    let _ = thread::with(|state| {
        if state.busy.get() {
            return;
        }
        if exact {
            counters::on_alloc(state, size);
        }
        if sampling::should_sample(state, size) {
            sample(state, ptr as usize, size);
        }
    });
}

/// Counts the free of the block at `ptr` and, if it was sampled, takes it out of the in-use
/// figures. Call it before the allocator takes the block back (after, another thread could be
/// handed the address and sample it first). `size` is the block's size when the caller knows
/// it, else 0: the free is counted, its bytes are not (a sampled block's own size is known).
///
/// ```
/// oxprof::heap::hooks::freeing(std::ptr::null_mut(), 0); // an unknown block: nothing to undo
/// ```
#[inline]
pub fn freeing(ptr: *mut u8, size: usize) {
    if EXACT_COUNTS.load(Ordering::Relaxed) {
        let _ = thread::with(|state| {
            if !state.busy.get() {
                counters::on_free(state, size);
            }
        });
    }
    stacks::on_free(ptr as usize);
}

/// Moves the bookkeeping of the block at `ptr` (`old_size` bytes, 0 when unknown) across
/// `realloc`, which returns the new block: as Go and pprof see it, the old block is freed and
/// a new one of `new_size` bytes allocated. When `realloc` fails (returns null) the old block
/// stays as it was. The old block's sampled record is withdrawn before `realloc` runs, so no
/// other thread can be handed the old address while it is still recorded.
///
/// ```
/// let ptr = oxprof::heap::hooks::reallocating(std::ptr::null_mut(), 0, 32, || {
///     std::ptr::NonNull::<u64>::dangling().as_ptr().cast() // what the allocator returned
/// });
/// assert!(!ptr.is_null());
/// ```
#[inline]
pub fn reallocating(
    ptr: *mut u8,
    old_size: usize,
    new_size: usize,
    realloc: impl FnOnce() -> *mut u8,
) -> *mut u8 {
    let record = stacks::take(ptr as usize);
    let new = realloc();
    if new.is_null() {
        if let Some(record) = record {
            stacks::restore(ptr as usize, record);
        }
        return new;
    }
    if !ptr.is_null() && EXACT_COUNTS.load(Ordering::Relaxed) {
        let _ = thread::with(|state| {
            if !state.busy.get() {
                counters::on_free(state, old_size);
            }
        });
    }
    if let Some(record) = record {
        stacks::freed(record);
    }
    allocated(new, new_size);
    new
}

/// Runs `f` with this thread's allocations neither counted nor sampled: for work done for the
/// profiler rather than by the program, such as writing profiles at exit from inside the
/// profiled process.
///
/// ```
/// let v = oxprof::heap::hooks::untracked(|| vec![1u8; 100]);
/// assert_eq!(v.len(), 100);
/// ```
pub fn untracked<R>(f: impl FnOnce() -> R) -> R {
    let was = thread::with(|state| state.busy.replace(true)).unwrap_or(true);
    let result = f();
    let _ = thread::with(|state| state.busy.set(was));
    result
}

/// Marks the calling thread as oxprof's own for the rest of its life: its allocations are
/// neither counted nor sampled. Without this, the unwinder's watcher, re-reading the memory map
/// under its update lock, could sample its own allocation and re-enter that lock.
pub(crate) fn exclude_current_thread() {
    let _ = thread::with(|state| state.busy.set(true));
}

/// Records a sampled allocation as the profiler's own work: its allocations (reading the memory
/// map for a new thread's stack) are neither counted nor sampled, so this never nests.
#[cold]
#[inline(never)]
fn sample(state: &ThreadState, ptr: usize, size: usize) {
    state.busy.set(true);
    stacks::on_sampled_alloc(ptr, size);
    state.busy.set(false);
}
