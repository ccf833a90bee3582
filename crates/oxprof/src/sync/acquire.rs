//! The one lock path every wrapped lock shares: take the lock if it is free, and only when it
//! is not, wait for it as a profiled wait. Results keep std's poisoning, mapped to the
//! wrapper's guards.

use super::{LockResult, PoisonError, TryLockError, TryLockResult};
use crate::contention::Tracker;

/// Takes a lock with `try_take` if it is free; otherwise waits in `take`, a wait the
/// `tracker` records.
#[inline]
pub(super) fn acquire<G>(
    tracker: &Tracker,
    try_take: impl FnOnce() -> TryLockResult<G>,
    take: impl FnOnce() -> LockResult<G>,
) -> LockResult<G> {
    match try_take() {
        Ok(guard) => Ok(guard),
        Err(TryLockError::Poisoned(e)) => Err(e),
        Err(TryLockError::WouldBlock) => wait(tracker, take),
    }
}

#[cold]
fn wait<G>(tracker: &Tracker, take: impl FnOnce() -> LockResult<G>) -> LockResult<G> {
    let waiting = tracker.start_wait();
    let result = take();
    if let Some(waiting) = waiting {
        waiting.acquired();
    }
    result
}

/// std's result with its guard, poisoned or not, turned into another by `f`.
#[inline]
pub(super) fn map_lock<G, H>(result: LockResult<G>, f: impl FnOnce(G) -> H) -> LockResult<H> {
    match result {
        Ok(guard) => Ok(f(guard)),
        Err(e) => Err(PoisonError::new(f(e.into_inner()))),
    }
}

/// [`map_lock`] for `try_` results.
#[inline]
pub(super) fn map_try<G, H>(result: TryLockResult<G>, f: impl FnOnce(G) -> H) -> TryLockResult<H> {
    match result {
        Ok(guard) => Ok(f(guard)),
        Err(TryLockError::Poisoned(e)) => {
            Err(TryLockError::Poisoned(PoisonError::new(f(e.into_inner()))))
        }
        Err(TryLockError::WouldBlock) => Err(TryLockError::WouldBlock),
    }
}
