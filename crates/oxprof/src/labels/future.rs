//! Labels that travel with a future: set around every poll, on whichever thread polls it.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::{active, merged_with_current};

/// Labels for futures: [`with_labels`](WithLabels::with_labels) is available on every
/// [`Future`].
///
/// ```
/// use std::future::Future;
/// use std::pin::pin;
/// use std::task::{Context, Poll, Waker};
///
/// use oxprof::labels::{self, WithLabels};
///
/// let request = async { labels::current() }.with_labels(&[("handler", "/api")]);
///
/// // Any executor works the same way; here the future is polled by hand.
/// let mut cx = Context::from_waker(Waker::noop());
/// let seen = pin!(request).poll(&mut cx);
/// assert_eq!(seen, Poll::Ready(vec![("handler".to_owned(), "/api".to_owned())]));
/// assert!(labels::current().is_empty());
/// ```
pub trait WithLabels: Future + Sized {
    /// Wraps the future so that, while it is polled, the current labels are the labels current
    /// now with `labels` merged over them (inner keys override, others kept), as Go's
    /// `pprof.WithLabels` derives a context from its parent.
    ///
    /// The labels replace whatever labels the polling thread has for the duration of each poll
    /// and are restored afterwards, so the executor's own labels neither leak into the future nor
    /// are disturbed by it. With an empty `labels` the future simply carries the labels current
    /// now, for example into a task spawned on another thread.
    ///
    /// The label set is interned here, once; polling only swaps a thread-local id.
    ///
    /// ```
    /// use std::future::Future;
    /// use std::pin::pin;
    /// use std::task::{Context, Poll, Waker};
    ///
    /// use oxprof::labels::{self, WithLabels};
    ///
    /// let job = labels::scope(&[("tenant", "acme"), ("kind", "batch")], || {
    ///     async { labels::current() }.with_labels(&[("kind", "export")])
    /// });
    ///
    /// let mut cx = Context::from_waker(Waker::noop());
    /// let Poll::Ready(seen) = pin!(job).poll(&mut cx) else { unreachable!() };
    /// assert_eq!(seen, [
    ///     ("kind".to_owned(), "export".to_owned()),
    ///     ("tenant".to_owned(), "acme".to_owned()),
    /// ]);
    /// ```
    fn with_labels(self, labels: &[(&str, &str)]) -> Labeled<Self> {
        Labeled {
            inner: self,
            id: merged_with_current(labels),
        }
    }
}

impl<F: Future> WithLabels for F {}

/// A future whose labels are current while it is polled; made by [`WithLabels::with_labels`].
///
/// ```
/// use oxprof::labels::{Labeled, WithLabels};
///
/// let labeled: Labeled<_> = std::future::ready(1).with_labels(&[("stage", "parse")]);
/// # drop(labeled);
/// ```
#[derive(Debug)]
#[must_use = "futures do nothing unless polled"]
pub struct Labeled<F> {
    inner: F,
    id: u32,
}

impl<F: Future> Future for Labeled<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let _entered = active::enter(self.id);
        // SAFETY: `inner` is structurally pinned: it is never moved out of or handed out unpinned,
        // `Labeled` has no `Drop` impl, and `Labeled` is `Unpin` only when `F` is (the id is
        // `Unpin`), so pinning `Labeled` pins `inner` for as long as the pin lasts.
        let inner = unsafe { self.map_unchecked_mut(|labeled| &mut labeled.inner) };
        inner.poll(cx)
    }
}
