//! What the block and mutex profiles share: events of (stack, count, delay), kept as Go's
//! runtime keeps them (`sampling`), summed per stack in bounded tables (`events`), the books of
//! each lock's waiters that say what a release cost them (`books`), the [`Tracker`] locks use
//! to feed both profiles (`tracker`), and the profiles themselves (`report`).
//!
//! Nothing here uses `oxprof::sync`: recording goes through std locks only, so contention on
//! the profiler's own tables is never recorded (and never recurses).

mod books;
mod events;
mod report;
mod sampling;
mod stack;
mod tracker;

pub(crate) use report::{profile, write_text};
pub(crate) use sampling::{block_rate, mutex_fraction, set_block_rate, set_mutex_fraction};
#[cfg(feature = "trace")]
pub(crate) use stack::Stack;
pub(crate) use stack::{capture, TRUNCATED};
pub use tracker::{Tracker, Waiting};

use events::Events;
pub(crate) use events::ForkLock;

static BLOCK_EVENTS: Events = Events::new();
static MUTEX_EVENTS: Events = Events::new();

/// Which profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Time threads spent waiting, at the waiting stack.
    Block,
    /// Time waiters spent waiting for a lock, at the stack that released it.
    Mutex,
}

/// The number of records (distinct stacks) the profile of `kind` has now, without building it.
pub(crate) fn record_count(kind: Kind) -> usize {
    let events = match kind {
        Kind::Block => &BLOCK_EVENTS,
        Kind::Mutex => &MUTEX_EVENTS,
    };
    let snapshot = events.snapshot();
    snapshot.by_stack.len() + usize::from(snapshot.overflow.recorded > 0)
}

/// Takes both event tables' locks for the span of a `fork`.
pub(crate) fn lock_for_fork() -> [ForkLock; 2] {
    [BLOCK_EVENTS.lock_for_fork(), MUTEX_EVENTS.lock_for_fork()]
}

/// A block event of `delay` ns at the caller's stack, if the block rate keeps it.
pub(crate) fn record_block(delay: u64) {
    if let Some(w) = sampling::block_weight(delay, block_rate(), sampling::draw()) {
        BLOCK_EVENTS.add(stack::capture().frames(), w);
    }
}

/// A contended release that cost its waiters `delay` ns, at the caller's stack, if the mutex
/// fraction keeps it.
pub(crate) fn record_mutex(delay: u64) {
    if let Some(w) = sampling::mutex_weight(delay, mutex_fraction(), sampling::draw()) {
        MUTEX_EVENTS.add(stack::capture().frames(), w);
    }
}
