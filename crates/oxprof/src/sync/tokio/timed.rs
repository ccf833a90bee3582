//! [`Timed`]: a tokio future whose wait, if it has one, is recorded. A wait starts at the
//! first poll that finds the primitive unavailable (returns `Pending`) and ends at the poll
//! that completes, where it is recorded at that poll's stack.
//!
//! That stack is the awaiting code's: an `.await` suspends the whole chain of futures in
//! place, so the poll that completes comes down the same chain, through the same `.await`,
//! as the poll that found the primitive taken; only the executor frames beneath the task may
//! differ (another worker thread). Taking it at the end rather than at the start means only
//! waits the block profile keeps pay for a stack, as with threads.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use crate::contention::{Tracker, Waiting};

/// `future`, with its wait recorded: in the books of `tracker`'s lock (so the release it
/// waits for is charged in the mutex profile) or, without one, in the block profile alone.
pub(super) struct Timed<'a, F> {
    future: F,
    tracker: Option<&'a Tracker>,
    wait: Wait<'a>,
}

enum Wait<'a> {
    /// Not found pending yet.
    None,
    /// Pending since the lock's wait started (`None` with the profiles off).
    Lock(Option<Waiting<'a>>),
    /// Pending since then (`None` with the block profile off).
    Plain(Option<Instant>),
}

impl<'a, F: Future> Timed<'a, F> {
    /// A wait for a lock whose releases `tracker` sees.
    pub(super) fn lock(tracker: &'a Tracker, future: F) -> Self {
        Timed {
            future,
            tracker: Some(tracker),
            wait: Wait::None,
        }
    }

    /// A wait for something that is not a lock (a notification, a message, room in a
    /// channel): block profile only.
    pub(super) fn plain(future: F) -> Self {
        Timed {
            future,
            tracker: None,
            wait: Wait::None,
        }
    }

    /// The wrapped future, pinned.
    pub(super) fn future(self: Pin<&mut Self>) -> Pin<&mut F> {
        // SAFETY: `future` is structurally pinned: it is never moved out of a pinned `Timed`,
        // and `Timed` has no `Drop` that could; the other fields are never pinned.
        unsafe { self.map_unchecked_mut(|timed| &mut timed.future) }
    }
}

impl<F: Future> Future for Timed<'_, F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let poll = self.as_mut().future().poll(cx);
        // SAFETY: only the fields that are not pinned are touched through this borrow.
        let this = unsafe { self.get_unchecked_mut() };
        match (poll, &mut this.wait) {
            // tokio's cooperative budget ran out before the primitive was looked at: the task
            // yields to the scheduler, it does not wait for the primitive. (A primitive found
            // unavailable gives back the budget unit it took, so none left means a yield.)
            (Poll::Pending, Wait::None) if !tokio::task::coop::has_budget_remaining() => {
                Poll::Pending
            }
            (Poll::Pending, Wait::None) => {
                this.wait = match this.tracker {
                    Some(tracker) => Wait::Lock(tracker.start_wait()),
                    None => Wait::Plain(crate::block::wait_start()),
                };
                Poll::Pending
            }
            (Poll::Pending, _) => Poll::Pending,
            (Poll::Ready(out), wait) => {
                match std::mem::replace(wait, Wait::None) {
                    Wait::Lock(Some(waiting)) => waiting.acquired(),
                    Wait::Plain(since @ Some(_)) => crate::block::wait_end(since, "sync", 0, 0),
                    _ => {}
                }
                Poll::Ready(out)
            }
        }
    }
}
