//! Heap profiles and exact allocation counts, as Go's `heap` and `allocs` profiles and
//! `-benchmem` give Go programs, for any Rust global allocator.
//!
//! Install [`Profiled`] as the global allocator (around `System`, or around another allocator
//! such as mimalloc or jemalloc):
//!
//! ```
//! #[global_allocator]
//! static ALLOC: oxprof::heap::Profiled = oxprof::heap::Profiled::system();
//! # fn main() {}
//! ```
//!
//! From then on every allocation is counted ([`stats`], [`measure`]), and about one in every
//! 512 KiB allocated is sampled with its stack ([`set_sample_rate`]), Go's `MemProfileRate`
//! scheme. [`profile`] and [`allocs_profile`] turn the samples into pprof profiles with Go's
//! four sample types, unsampled as Go does. Unlike Go's, the in-use figures are exact as of the
//! call: Rust frees deterministically, so there is no "as of the last GC".
//!
//! ```no_run
//! oxprof::heap::profile()?.write_to(std::fs::File::create("heap.pprof")?)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod allocator;
mod blocks;
mod buckets;
mod counters;
pub mod hooks;
mod report;
mod sampling;
mod stacks;
mod text;
mod thread;

pub use allocator::Profiled;
pub use counters::Counts;
pub(crate) use hooks::exclude_current_thread;
pub use report::{allocs_profile, profile, write_allocs, STACK_UNAVAILABLE_FRAME};
pub use text::write_text;

/// Sets the mean number of bytes between sampled allocations, Go's `runtime.MemProfileRate`:
/// 512 KiB by default, 1 samples every allocation, 0 turns sampling off. Exact counting is not
/// affected. Threads pick up a new rate at their next sample (at most 1 MiB later when sampling
/// was off).
///
/// ```
/// oxprof::heap::set_sample_rate(64 * 1024);
/// assert_eq!(oxprof::heap::sample_rate(), 64 * 1024);
/// oxprof::heap::set_sample_rate(512 * 1024);
/// ```
pub fn set_sample_rate(bytes: usize) {
    sampling::set_rate(bytes);
}

/// Caps the memory the heap profiler keeps for its sampled stacks and blocks (default 16 MiB).
/// Takes effect only before the first sampled allocation; past the cap, samples are dropped and
/// counted in the profile's comments.
///
/// ```
/// oxprof::heap::set_memory_budget(32 << 20);
/// ```
pub fn set_memory_budget(bytes: usize) {
    buckets::set_budget(bytes);
}

/// Bytes the heap profiler has mapped for its tables (at most the budget).
///
/// ```
/// assert!(oxprof::heap::profiler_memory() <= 16 << 20);
/// ```
pub fn profiler_memory() -> usize {
    buckets::memory_used()
}

/// The mean number of bytes between sampled allocations (0: sampling is off).
///
/// ```
/// assert!(oxprof::heap::sample_rate() > 0);
/// ```
pub fn sample_rate() -> usize {
    sampling::rate()
}

/// Starts the unwinder for heap samples now rather than at the first sample; false when it
/// cannot run (samples then go without stacks).
pub(crate) fn prepare_sampling() -> bool {
    stacks::prepare()
}

/// Registers the heap profiler's `fork` handlers now, if they are not yet: whoever needs its
/// own handlers to run before them at a fork registers them after.
pub(crate) fn register_fork_handlers() {
    stacks::register_fork_handlers_once();
}

/// The number of records a heap profile would have now (allocation sites by size class), as
/// Go's profile index counts them, without building the profile.
pub(crate) fn record_count() -> usize {
    buckets::snapshot().iter().filter(|b| b.allocs > 0).count()
}

/// Exact allocation counts: for the whole process since it started, and for the calling thread.
///
/// ```
/// let stats = oxprof::heap::stats();
/// assert!(stats.process.allocs >= stats.thread.allocs);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Every thread, including threads that have ended.
    pub process: Counts,
    /// The calling thread.
    pub thread: Counts,
}

/// The exact counts now. All zero unless [`Profiled`] is the global allocator.
///
/// ```
/// let before = oxprof::heap::stats().process;
/// # let _ = before;
/// ```
pub fn stats() -> Stats {
    Stats {
        process: counters::process(),
        thread: counters::this_thread(),
    }
}

/// Runs `f` and returns its result with what it allocated and freed on this thread.
///
/// ```
/// let (v, counts) = oxprof::heap::measure(|| vec![0u8; 100]);
/// // With `Profiled` installed: counts.allocs == 1, counts.allocated_bytes == 100.
/// # let _ = (v, counts);
/// ```
pub fn measure<R>(f: impl FnOnce() -> R) -> (R, Counts) {
    let before = counters::this_thread();
    let result = f();
    (result, counters::this_thread().since(&before))
}

/// Runs `f` and panics, naming the excess, if it allocated more than `max` times on this thread.
/// Panics too when [`Profiled`] is not the global allocator, since nothing could be counted.
///
/// ```no_run
/// let v = oxprof::heap::assert_allocs_at_most(1, || Vec::<u8>::with_capacity(64));
/// # let _ = v;
/// ```
pub fn assert_allocs_at_most<R>(max: u64, f: impl FnOnce() -> R) -> R {
    check(f, |c| {
        (c.allocs > max).then(|| {
            format!(
                "allocated {} times ({} bytes), at most {max} allowed: {} too many",
                c.allocs,
                c.allocated_bytes,
                c.allocs - max
            )
        })
    })
}

/// Runs `f` and panics, naming the excess, if it allocated more than `max` bytes on this
/// thread. Panics too when [`Profiled`] is not the global allocator.
///
/// ```no_run
/// let s = oxprof::heap::assert_bytes_at_most(64, || String::from("short"));
/// # let _ = s;
/// ```
pub fn assert_bytes_at_most<R>(max: u64, f: impl FnOnce() -> R) -> R {
    check(f, |c| {
        (c.allocated_bytes > max).then(|| {
            format!(
                "allocated {} bytes in {} allocations, at most {max} bytes allowed: {} too many",
                c.allocated_bytes,
                c.allocs,
                c.allocated_bytes - max
            )
        })
    })
}

fn check<R>(f: impl FnOnce() -> R, excess: impl FnOnce(&Counts) -> Option<String>) -> R {
    assert!(
        is_installed(),
        "oxprof::heap::Profiled is not the global allocator, so allocations cannot be counted"
    );
    let (result, counts) = measure(f);
    if let Some(message) = excess(&counts) {
        panic!("{message}");
    }
    result
}

/// Whether [`Profiled`] is the global allocator (or an interposer calls [`hooks`]): at least
/// one allocation went through them.
///
/// ```
/// let _ = oxprof::heap::is_installed();
/// ```
pub fn is_installed() -> bool {
    hooks::seen()
}
