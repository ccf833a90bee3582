//! The one lock path of the `lock_api` wrappers: take the lock if it is free, and only when it
//! is not, wait for it as a profiled wait.

use crate::contention::Tracker;

/// Takes a lock with `try_take` if it is free; otherwise waits for it in `take`, a wait the
/// `tracker` records if it ends with the lock (`held` says whether it did: timed waits give
/// up).
#[inline]
pub(super) fn acquire<G>(
    tracker: &Tracker,
    try_take: impl FnOnce() -> Option<G>,
    take: impl FnOnce() -> G,
    held: impl FnOnce(&G) -> bool,
) -> G {
    match try_take() {
        Some(guard) => guard,
        None => wait(tracker, take, held),
    }
}

#[cold]
pub(super) fn wait<G>(
    tracker: &Tracker,
    take: impl FnOnce() -> G,
    held: impl FnOnce(&G) -> bool,
) -> G {
    let waiting = tracker.start_wait();
    let got = take();
    if let Some(waiting) = waiting {
        if held(&got) {
            waiting.acquired();
        }
    }
    got
}
