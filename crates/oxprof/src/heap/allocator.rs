//! [`Profiled`]: the `GlobalAlloc` wrapper. Every allocation and free is counted exactly; one
//! allocation in about every `rate` bytes is sampled with its stack.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use super::{counters, sampling, stacks};

thread_local! {
    /// Set while this thread is inside the profiler's own bookkeeping: allocations made there
    /// are neither counted nor sampled, so the sampled path cannot recurse.
    static BUSY: Cell<bool> = const { Cell::new(false) };
}

/// A global allocator that wraps another (the system allocator by default) and profiles it:
/// exact counts for [`stats`](super::stats) and [`measure`](super::measure), and sampled
/// stacks for the `heap` and `allocs` profiles.
///
/// ```
/// #[global_allocator]
/// static ALLOC: oxprof::heap::Profiled = oxprof::heap::Profiled::system();
/// # fn main() {}
/// ```
///
/// Around another allocator, such as mimalloc:
///
/// ```
/// #[global_allocator]
/// static ALLOC: oxprof::heap::Profiled<mimalloc::MiMalloc> =
///     oxprof::heap::Profiled::new(mimalloc::MiMalloc);
/// # fn main() {}
/// ```
#[derive(Debug, Default)]
pub struct Profiled<A = System> {
    inner: A,
}

impl Profiled<System> {
    /// Profiles the system allocator.
    ///
    /// ```
    /// static ALLOC: oxprof::heap::Profiled = oxprof::heap::Profiled::system();
    /// ```
    pub const fn system() -> Self {
        Profiled { inner: System }
    }
}

impl<A> Profiled<A> {
    /// Profiles `inner`.
    ///
    /// ```
    /// static ALLOC: oxprof::heap::Profiled<std::alloc::System> =
    ///     oxprof::heap::Profiled::new(std::alloc::System);
    /// ```
    pub const fn new(inner: A) -> Self {
        Profiled { inner }
    }
}

/// Marks the calling thread as oxprof's own for the rest of its life: its allocations are
/// neither counted nor sampled. Without this, the unwinder's watcher, re-reading the memory map
/// under its update lock, could sample its own allocation and re-enter that lock.
pub(crate) fn exclude_current_thread() {
    let _ = BUSY.try_with(|busy| busy.set(true));
}

/// Runs `f` as the profiler's own work on this thread, unless it already is; `None` then.
fn as_profiler<R>(f: impl FnOnce() -> R) -> Option<R> {
    let entered = BUSY.try_with(|busy| !busy.replace(true)).unwrap_or(false);
    if !entered {
        return None;
    }
    let result = f();
    let _ = BUSY.try_with(|busy| busy.set(false));
    Some(result)
}

/// Whether this thread is inside the profiler's own bookkeeping. Its allocations there are
/// neither counted nor sampled: [`measure`](super::measure) reports the program's allocations,
/// not the profiler's.
#[inline]
fn busy() -> bool {
    BUSY.try_with(Cell::get).unwrap_or(true)
}

#[inline]
fn after_alloc(ptr: *mut u8, size: usize) {
    if ptr.is_null() || busy() {
        return;
    }
    counters::on_alloc(size);
    if sampling::should_sample(size) {
        sample(ptr as usize, size);
    }
}

#[inline]
fn before_free(ptr: *mut u8, size: usize) {
    if !busy() {
        counters::on_free(size);
    }
    stacks::on_free(ptr as usize);
}

#[cold]
#[inline(never)]
fn sample(ptr: usize, size: usize) {
    as_profiler(|| stacks::on_sampled_alloc(ptr, size));
}

// SAFETY: every method forwards to the inner allocator with the caller's arguments unchanged and
// returns its result; the bookkeeping around it never touches the blocks.
unsafe impl<A: GlobalAlloc> GlobalAlloc for Profiled<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded from the caller.
        let ptr = unsafe { self.inner.alloc(layout) };
        after_alloc(ptr, layout.size());
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded from the caller.
        let ptr = unsafe { self.inner.alloc_zeroed(layout) };
        after_alloc(ptr, layout.size());
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        before_free(ptr, layout.size());
        // SAFETY: forwarded from the caller.
        unsafe { self.inner.dealloc(ptr, layout) };
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // The old block's record goes first: once the inner allocator moves the block, another
        // thread may be handed the old address and sample it.
        let record = stacks::take(ptr as usize);
        // SAFETY: forwarded from the caller.
        let new = unsafe { self.inner.realloc(ptr, layout, new_size) };
        if new.is_null() {
            if let Some(record) = record {
                stacks::restore(ptr as usize, record);
            }
            return new;
        }
        // As Go and pprof see it: the old block is freed and a new one allocated.
        if !busy() {
            counters::on_free(layout.size());
        }
        if let Some(record) = record {
            stacks::freed(record);
        }
        after_alloc(new, new_size);
        new
    }
}
