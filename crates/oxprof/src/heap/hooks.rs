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
//! Where every instruction counts, as in an interposer, decide before allocating instead:
//! [`allocating`] makes no call, and when [`Allocation::needs_block`] is false (nearly always
//! with [`set_exact_counts`] off) the allocator's call is all that is left, a tail call;
//! [`needs_freeing`] likewise says when a free can skip [`freeing`]. `oxprof-preload` works so.
//!
//! ```
//! use oxprof::heap::hooks;
//! let decision = hooks::allocating(4096);             // before the allocator runs
//! let mut buffer = vec![0u8; 4096];                   // stands for the allocation
//! decision.done(buffer.as_mut_ptr());                 // takes the stack if sampled
//! if hooks::needs_freeing(buffer.as_mut_ptr()) {      // before the block goes back
//!     hooks::freeing(buffer.as_mut_ptr(), 4096);
//! }
//! ```
//!
//! They never dereference the pointers: an address only identifies a sampled block until it is
//! freed. They allocate nothing on the common path, and the sampled path takes no lock the
//! allocator could be holding, so they can run inside `malloc` itself. Threads doing the
//! profiler's own work (and code run through [`untracked`]) are neither counted nor sampled.

use std::sync::atomic::{AtomicBool, Ordering};

use super::thread;
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

/// Notes that allocations come through these hooks. Every thread's first allocation draws its
/// first budget, so calling this from there, off the common path, is enough.
pub(super) fn note_seen() {
    if !SEEN.load(Ordering::Relaxed) {
        SEEN.store(true, Ordering::Relaxed);
    }
}

/// What [`allocating`] decided about one allocation. Hand it the block with
/// [`done`](Allocation::done) once the allocator returned.
#[must_use = "a sampled allocation is recorded by `done`"]
#[derive(Debug, Clone, Copy)]
pub struct Allocation {
    size: usize,
    /// [`COUNTED`], [`COUNT_LATER`] and [`BUDGET_SPENT`]: one byte rather than `bool`s keeps
    /// the whole a pair of scalars, passed in two registers rather than through memory (which
    /// would keep an interposer from tail-calling the allocator).
    flags: u8,
}

/// Counted already (exact counts).
const COUNTED: u8 = 1;
/// To be counted by `done`: the thread has no counter slot yet, and assigning one is a call.
const COUNT_LATER: u8 = 2;
/// The allocation ran the thread's sampling budget out: `done` draws the next budget and says
/// whether this one is sampled (a call, so it is left out of `allocating`).
const BUDGET_SPENT: u8 = 4;

impl Allocation {
    /// Whether [`done`](Allocation::done) needs the block: true when the allocation may be
    /// sampled, or was counted (a failed allocation's count is taken back). When it is false,
    /// nearly always with exact counts off, an interposer can hand the call straight on to the
    /// allocator and never come back.
    ///
    /// ```
    /// oxprof::heap::hooks::set_exact_counts(false);
    /// let decision = oxprof::heap::hooks::allocating(0);
    /// assert!(!decision.needs_block()); // nothing of zero bytes is ever sampled
    /// oxprof::heap::hooks::set_exact_counts(true);
    /// ```
    #[inline]
    pub fn needs_block(&self) -> bool {
        self.flags != 0
    }

    /// Records the block the allocator returned for this allocation: its stack when it is
    /// sampled. A null `ptr` (the allocation failed) takes back what [`allocating`] counted.
    ///
    /// ```
    /// let mut block = vec![0u8; 64]; // stands for what the allocator returned
    /// oxprof::heap::hooks::allocating(64).done(block.as_mut_ptr());
    /// oxprof::heap::hooks::freeing(block.as_mut_ptr(), 64);
    /// ```
    #[inline]
    pub fn done(self, ptr: *mut u8) {
        // Without branches: a failed allocation keeps the COUNTED bit (which is 1).
        const _: () = assert!(COUNTED == 1);
        let failed_and_counted = u8::from(ptr.is_null()) & self.flags;
        if self.flags & (COUNT_LATER | BUDGET_SPENT) | failed_and_counted != 0 {
            self.finish(ptr);
        }
    }

    /// What [`done`](Allocation::done) leaves out of the common path.
    #[cold]
    #[inline(never)]
    fn finish(self, ptr: *mut u8) {
        let failed = ptr.is_null();
        let _ = thread::with(|state| {
            if self.flags & COUNTED != 0 && failed {
                counters::on_failed_alloc(state, self.size);
            }
            if self.flags & COUNT_LATER != 0 && !failed {
                counters::on_alloc(state, self.size);
            }
            if self.flags & BUDGET_SPENT != 0 && sampling::redraw(state, self.size) && !failed {
                sample(state, ptr as usize, self.size);
            }
        });
    }
}

/// Decides, before the allocator runs, what an allocation of `size` bytes costs the profiler:
/// counts it (exact counts) and takes it off the thread's sampling budget, in one
/// thread-local read and no call. Call it right before the allocation, from the allocating
/// thread, and pass the block the allocator returned to [`Allocation::done`]: the stack taken
/// then is the caller's.
///
/// Deciding first lets an interposer whose allocation is not sampled, nearly every one, hand
/// the call straight on to the allocator instead of coming back to it.
///
/// ```
/// let decision = oxprof::heap::hooks::allocating(64);
/// let block = Box::into_raw(Box::new([0u8; 64])); // stands for the allocator's call
/// decision.done(block.cast());
/// oxprof::heap::hooks::freeing(block.cast(), 64);
/// # drop(unsafe { Box::from_raw(block) });
/// ```
#[inline]
pub fn allocating(size: usize) -> Allocation {
    let exact = EXACT_COUNTS.load(Ordering::Relaxed);
    let flags = thread::with(|state| {
        // A busy thread's budget is parked out of reach: no need to ask before spending.
        let spent = if sampling::spend(state, size) {
            BUDGET_SPENT
        } else {
            0
        };
        if !exact || state.busy() {
            return spent;
        }
        spent
            | match counters::on_alloc_if_assigned(state, size) {
                true => COUNTED,
                false => COUNT_LATER,
            }
    })
    .unwrap_or(0);
    Allocation { size, flags }
}

/// Counts an allocation of `size` bytes that returned `ptr` (nothing when `ptr` is null), and
/// samples it with its stack when its thread's byte budget runs out: [`allocating`] and
/// [`Allocation::done`] at once, for an allocator that cannot call the profiler before it
/// allocates. Call it right after the allocation, from the allocating thread: the stack taken
/// is the caller's.
///
/// ```
/// let mut block = vec![0u8; 64]; // stands for what a foreign allocator returned
/// oxprof::heap::hooks::allocated(block.as_mut_ptr(), 64);
/// oxprof::heap::hooks::freeing(block.as_mut_ptr(), 64);
/// ```
#[inline]
pub fn allocated(ptr: *mut u8, size: usize) {
    if !ptr.is_null() {
        allocating(size).done(ptr);
    }
}

/// Whether [`freeing`] has anything to do for the block at `ptr`: false when exact counts are
/// off and the block was certainly never sampled, which is nearly every free; an interposer
/// can then hand the free straight on to the allocator. One load, no call.
///
/// ```
/// oxprof::heap::hooks::set_exact_counts(false);
/// let mut unsampled = [0u8; 16];
/// assert!(!oxprof::heap::hooks::needs_freeing(unsampled.as_mut_ptr()));
/// oxprof::heap::hooks::set_exact_counts(true);
/// ```
#[inline(always)]
pub fn needs_freeing(ptr: *mut u8) -> bool {
    EXACT_COUNTS.load(Ordering::Relaxed) || stacks::may_be_sampled(ptr as usize)
}

/// Counts the free of the block at `ptr` and, if it was sampled, takes it out of the in-use
/// figures. Call it before the allocator takes the block back (after, another thread could be
/// handed the address and sample it first). `size` is the block's size when the caller knows
/// it, else 0: the free is counted, its bytes are not (a sampled block's own size is known).
///
/// ```
/// oxprof::heap::hooks::freeing(std::ptr::null_mut(), 0); // an unknown block: nothing to undo
/// ```
#[inline(always)]
pub fn freeing(ptr: *mut u8, size: usize) {
    if EXACT_COUNTS.load(Ordering::Relaxed) {
        count_free(size);
    }
    stacks::on_free(ptr as usize);
}

#[inline]
fn count_free(size: usize) {
    let _ = thread::with(|state| {
        if !state.busy() {
            counters::on_free(state, size);
        }
    });
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
        count_free(old_size);
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
    let was = thread::with(|state| state.set_busy(true)).unwrap_or(true);
    let result = f();
    let _ = thread::with(|state| state.set_busy(was));
    result
}

/// Marks the calling thread as oxprof's own for the rest of its life: its allocations are
/// neither counted nor sampled. Without this, the unwinder's watcher, re-reading the memory map
/// under its update lock, could sample its own allocation and re-enter that lock.
pub(crate) fn exclude_current_thread() {
    let _ = thread::with(|state| state.set_busy(true));
}

/// Records a sampled allocation as the profiler's own work: its allocations (reading the memory
/// map for a new thread's stack) are neither counted nor sampled, so this never nests.
#[cold]
#[inline(never)]
fn sample(state: &thread::ThreadState, ptr: usize, size: usize) {
    state.set_busy(true);
    stacks::on_sampled_alloc(ptr, size);
    state.set_busy(false);
}

#[cfg(test)]
mod tests {
    use super::*;

    // The lib's tests do not install `Profiled`, so this thread's counts move only with the
    // hooks called here.

    #[test]
    fn a_failed_allocation_is_not_counted() {
        let (_, counts) = super::super::measure(|| {
            allocating(100).done(std::ptr::null_mut());
            allocated(std::ptr::null_mut(), 100);
        });
        assert_eq!(counts, Default::default());
    }

    #[test]
    fn a_decided_allocation_is_counted_once() {
        let mut block = [0u8; 48];
        let (_, counts) = super::super::measure(|| {
            let decision = allocating(48);
            assert!(decision.needs_block(), "exact counts are on");
            decision.done(block.as_mut_ptr());
            freeing(block.as_mut_ptr(), 48);
        });
        assert_eq!((counts.allocs, counts.allocated_bytes), (1, 48));
        assert_eq!((counts.frees, counts.freed_bytes), (1, 48));
    }

    #[test]
    fn the_profilers_own_allocations_need_nothing() {
        untracked(|| {
            let decision = allocating(1 << 30);
            assert!(!decision.needs_block());
        });
    }
}
