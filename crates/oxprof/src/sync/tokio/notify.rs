//! [`Notify`]: tokio's notification primitive with its waits profiled.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::timed::Timed;

/// Wakes a task waiting for an event, `tokio::sync::Notify` with profiled waits: the time a
/// task spends awaiting [`notified`](Notify::notified) is recorded in the
/// [block](crate::block) profile at the awaiting code, as Go records a goroutine waiting on a
/// channel. (There is no lock to charge in the mutex profile.)
///
/// ```
/// use oxprof::sync::tokio::Notify;
/// use std::sync::Arc;
///
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let notify = Arc::new(Notify::new());
/// let notify2 = Arc::clone(&notify);
/// let waiter = tokio::spawn(async move { notify2.notified().await });
/// tokio::time::sleep(std::time::Duration::from_millis(1)).await;
/// notify.notify_one();
/// waiter.await.unwrap();
/// # });
/// ```
#[derive(Default)]
pub struct Notify {
    inner: tokio::sync::Notify,
}

/// The future of [`Notify::notified`]: completes when notified. `tokio::sync::Notified`'s
/// counterpart, [`enable`](Notified::enable) included.
///
/// ```
/// use std::pin::pin;
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let notify = oxprof::sync::tokio::Notify::new();
/// let mut notified = pin!(notify.notified());
/// notified.as_mut().enable(); // from here on, notify_waiters reaches it
/// notify.notify_waiters();
/// notified.await;
/// # });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Notified<'a> {
    inner: Timed<'a, tokio::sync::futures::Notified<'a>>,
}

impl Notify {
    /// A new `Notify` with no permit stored.
    ///
    /// ```
    /// let notify = oxprof::sync::tokio::Notify::new();
    /// notify.notify_one(); // stores a permit: the next notified() completes at once
    /// ```
    pub fn new() -> Notify {
        Notify {
            inner: tokio::sync::Notify::new(),
        }
    }

    /// A new `Notify`, in a constant context.
    ///
    /// ```
    /// static EVENT: oxprof::sync::tokio::Notify = oxprof::sync::tokio::Notify::const_new();
    /// ```
    pub const fn const_new() -> Notify {
        Notify {
            inner: tokio::sync::Notify::const_new(),
        }
    }

    /// A future that completes when this is notified: by [`notify_one`](Notify::notify_one)
    /// (or a permit it stored), [`notify_last`](Notify::notify_last), or, once
    /// [enabled](Notified::enable) or polled, [`notify_waiters`](Notify::notify_waiters). The
    /// time spent awaiting it is a profiled wait.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let notify = oxprof::sync::tokio::Notify::new();
    /// notify.notify_one();
    /// notify.notified().await; // the stored permit
    /// # });
    /// ```
    pub fn notified(&self) -> Notified<'_> {
        Notified {
            inner: Timed::plain(self.inner.notified()),
        }
    }

    /// Wakes the first waiting task, or stores a permit for the next one if none waits.
    ///
    /// ```
    /// oxprof::sync::tokio::Notify::new().notify_one();
    /// ```
    pub fn notify_one(&self) {
        self.inner.notify_one();
    }

    /// Wakes the last waiting task, or stores a permit for the next one if none waits.
    ///
    /// ```
    /// oxprof::sync::tokio::Notify::new().notify_last();
    /// ```
    pub fn notify_last(&self) {
        self.inner.notify_last();
    }

    /// Wakes every task waiting now; stores no permit.
    ///
    /// ```
    /// oxprof::sync::tokio::Notify::new().notify_waiters();
    /// ```
    pub fn notify_waiters(&self) {
        self.inner.notify_waiters();
    }
}

impl<'a> Notified<'a> {
    /// Registers the future as waiting without polling it, so
    /// [`notify_waiters`](Notify::notify_waiters) reaches it; whether it was notified
    /// already.
    ///
    /// ```
    /// use std::pin::pin;
    /// let notify = oxprof::sync::tokio::Notify::new();
    /// notify.notify_one();
    /// assert!(pin!(notify.notified()).enable());
    /// ```
    pub fn enable(self: Pin<&mut Self>) -> bool {
        self.timed().future().enable()
    }

    fn timed<'s>(
        self: Pin<&'s mut Self>,
    ) -> Pin<&'s mut Timed<'a, tokio::sync::futures::Notified<'a>>> {
        // SAFETY: `inner` is structurally pinned: never moved out of a pinned `Notified`,
        // which has no `Drop`.
        unsafe { self.map_unchecked_mut(|notified| &mut notified.inner) }
    }
}

impl Future for Notified<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.timed().poll(cx)
    }
}

impl fmt::Debug for Notify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.inner, f)
    }
}

impl fmt::Debug for Notified<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notified").finish_non_exhaustive()
    }
}
