//! This thread's heap-profiler state, in one thread-local: the allocation path reads it once.
//! In a shared library (the `LD_PRELOAD` library is one) every thread-local is reached through
//! a call to `__tls_get_addr`, so five of them cost five calls per allocation; one costs one.

use std::cell::Cell;

/// What the allocation path keeps per thread.
pub(super) struct ThreadState {
    /// Inside the profiler's own bookkeeping: allocations are neither counted nor sampled, so
    /// the sampled path cannot recurse.
    pub(super) busy: Cell<bool>,
    /// The slot this thread counts into (see `counters`).
    pub(super) slot: Cell<u32>,
    /// Bytes left before this thread's next sample. Starts at 0 so a thread's first
    /// allocation draws its first budget (see `sampling`).
    pub(super) countdown: Cell<i64>,
    /// The state of the generator that draws budgets; 0 until seeded.
    pub(super) random: Cell<u64>,
    /// Whether this thread has drawn its first budget yet.
    pub(super) drawn: Cell<bool>,
}

thread_local! {
    // `const` and without Drop: reading it never allocates or registers a destructor, so it can
    // be read inside `malloc`.
    static STATE: ThreadState = const {
        ThreadState {
            busy: Cell::new(false),
            slot: Cell::new(super::counters::UNASSIGNED),
            countdown: Cell::new(0),
            random: Cell::new(0),
            drawn: Cell::new(false),
        }
    };
}

/// Runs `f` with this thread's state; `None` once the thread's thread-locals are gone (in its
/// last destructors).
#[inline(always)]
pub(super) fn with<R>(f: impl FnOnce(&ThreadState) -> R) -> Option<R> {
    STATE.try_with(f).ok()
}
