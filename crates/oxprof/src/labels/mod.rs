//! Profiler labels that follow work: key/value pairs attached to every sample taken while they
//! are set, as Go's `pprof.Do`, `pprof.Labels` and `pprof.SetGoroutineLabels` attach them to a
//! goroutine.
//!
//! A Go program's unit of work is a goroutine. A Rust program's is a closure running on a thread
//! or a future polled by whichever executor thread is free, so labels come two ways:
//!
//! - [`scope`] sets labels for the current thread while a closure runs.
//! - [`WithLabels::with_labels`] wraps a future so its labels are set around every poll, on
//!   whatever thread polls it: they survive `.await` and moves between executor threads.
//!
//! Both merge with the labels current when they are called (inner keys override outer ones, the
//! rest are kept), the way Go's `pprof.WithLabels` merges with the parent context's labels.
//! [`current`] returns the labels in effect.
//!
//! ```
//! use oxprof::labels;
//!
//! labels::scope(&[("handler", "/api/users"), ("method", "GET")], || {
//!     labels::scope(&[("method", "POST")], || {
//!         assert_eq!(labels::current(), [
//!             ("handler".to_owned(), "/api/users".to_owned()),
//!             ("method".to_owned(), "POST".to_owned()),
//!         ]);
//!     });
//! });
//! assert!(labels::current().is_empty());
//! ```
//!
//! # Threads
//!
//! Unlike goroutines, spawned threads do not inherit labels: a thread starts with none. To carry
//! labels into a thread, read [`current`] before spawning and open a [`scope`] with them inside.
//! A future wrapped with [`with_labels`](WithLabels::with_labels) carries them by itself.
//!
//! # Memory
//!
//! Each distinct label set is interned once, process-wide, and kept for the life of the process,
//! so a sample records a small id that still resolves after its scope has ended. At most
//! [`MAX_SETS`] distinct sets are kept. After that, every new set is replaced by the single set
//! `{"oxprof_labels": "overflow"}`, and [`overflow_count`] says how often that happened. As in
//! Go, give labels few distinct values (routes, tenants, job kinds), not one per request.

mod active;
mod future;
mod intern;
mod merge;

use std::sync::{Arc, LazyLock};

pub use future::{Labeled, WithLabels};
use intern::Interner;

/// The most distinct label sets kept; further new sets become `{"oxprof_labels": "overflow"}`.
///
/// ```
/// assert_eq!(oxprof::labels::MAX_SETS, 65_536);
/// ```
pub const MAX_SETS: usize = 65_536;

static INTERNER: LazyLock<Interner> = LazyLock::new(|| Interner::new(MAX_SETS));

/// Runs `f` with `labels` merged over the current thread's labels, and returns what `f` returns.
///
/// Keys in `labels` override the same keys set by an enclosing scope; its other keys stay. If a
/// key appears more than once in `labels`, the last value wins. The previous labels come back
/// when `f` returns or unwinds. An empty `labels` changes nothing.
///
/// Each call takes a process-wide lock once, to intern the merged set; code that re-enters the
/// same labels in a tight loop should open the scope outside the loop.
///
/// ```
/// use oxprof::labels;
///
/// let total = labels::scope(&[("stage", "sum")], || {
///     assert_eq!(labels::current(), [("stage".to_owned(), "sum".to_owned())]);
///     (1..=10).sum::<u32>()
/// });
/// assert_eq!(total, 55);
/// assert!(labels::current().is_empty());
/// ```
pub fn scope<R>(labels: &[(&str, &str)], f: impl FnOnce() -> R) -> R {
    let _entered = active::enter(merged_with_current(labels));
    f()
}

/// The labels in effect on the calling thread, sorted by key; empty outside any scope.
///
/// Inside a poll of a [`Labeled`] future these are the future's labels, not the polling thread's.
///
/// ```
/// use oxprof::labels;
///
/// assert!(labels::current().is_empty());
/// labels::scope(&[("b", "2"), ("a", "1")], || {
///     assert_eq!(labels::current(), [
///         ("a".to_owned(), "1".to_owned()),
///         ("b".to_owned(), "2".to_owned()),
///     ]);
/// });
/// ```
pub fn current() -> Vec<(String, String)> {
    resolve(current_id()).map_or_else(Vec::new, |set| set.to_vec())
}

/// How many times a new label set was replaced by `{"oxprof_labels": "overflow"}` because
/// [`MAX_SETS`] distinct sets were already kept.
///
/// ```
/// // Far fewer than `MAX_SETS` distinct sets: nothing overflows.
/// oxprof::labels::scope(&[("k", "v")], || {});
/// assert_eq!(oxprof::labels::overflow_count(), 0);
/// ```
pub fn overflow_count() -> u64 {
    INTERNER.overflow_count()
}

/// The interned id of the calling thread's current label set; 0 when it has none.
///
/// Async-signal-safe: a plain thread-local load, no lazy initialisation, allocation or lock.
pub(crate) fn current_id() -> u32 {
    active::id()
}

/// The labels of the set with id `id`, sorted by key; `None` for 0 (no labels) and for ids never
/// handed out. Ids are never reused, so this works after the labels' scope has ended.
pub(crate) fn resolve(id: u32) -> Option<Arc<[(String, String)]>> {
    if id == 0 {
        return None;
    }
    INTERNER.resolve(id)
}

/// The id of the current labels with `labels` merged over them.
fn merged_with_current(labels: &[(&str, &str)]) -> u32 {
    let base = current_id();
    if labels.is_empty() {
        return base;
    }
    INTERNER.intern_merged(base, labels)
}

#[cfg(test)]
mod tests {
    use super::{current, current_id, resolve, scope};

    fn on_fresh_thread<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
        std::thread::spawn(f).join().unwrap()
    }

    #[test]
    fn no_labels_outside_any_scope() {
        on_fresh_thread(|| {
            assert_eq!(current_id(), 0);
            assert!(resolve(0).is_none());
            scope(&[("k", "v")], || assert_ne!(current_id(), 0));
            assert_eq!(current_id(), 0);
        });
    }

    #[test]
    fn the_current_id_resolves_to_the_current_labels() {
        on_fresh_thread(|| {
            scope(&[("route", "/a"), ("tenant", "t")], || {
                let set = resolve(current_id()).unwrap();
                assert_eq!(set.to_vec(), current());
                assert_eq!(
                    set.to_vec(),
                    [
                        ("route".to_owned(), "/a".to_owned()),
                        ("tenant".to_owned(), "t".to_owned())
                    ]
                );
            });
        });
    }

    #[test]
    fn ids_are_stable_and_resolve_after_the_scope_ends() {
        let first = on_fresh_thread(|| scope(&[("job", "stable-ids")], current_id));
        let again = on_fresh_thread(|| scope(&[("job", "stable-ids")], current_id));
        let nested = on_fresh_thread(|| {
            scope(&[("job", "other")], || {
                scope(&[("job", "stable-ids")], current_id)
            })
        });
        assert_eq!(first, again);
        assert_eq!(first, nested);
        assert_eq!(
            resolve(first).unwrap().to_vec(),
            [("job".to_owned(), "stable-ids".to_owned())]
        );
    }

    #[test]
    fn an_empty_scope_keeps_the_id() {
        on_fresh_thread(|| {
            scope(&[("k", "v")], || {
                let outer = current_id();
                scope(&[], || assert_eq!(current_id(), outer));
            });
            scope(&[], || assert_eq!(current_id(), 0));
        });
    }
}
