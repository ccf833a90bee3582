//! tokio's multi-producer, single-consumer channels with their waits profiled: a receiver
//! awaiting a message on an empty channel, and a sender awaiting room in a full bounded one,
//! record the time they wait in the [block](crate::block) profile at the awaiting code, as Go
//! records channel receives and sends. Same API and semantics as `tokio::sync::mpsc`, errors
//! included (they are tokio's).
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let (tx, mut rx) = oxprof::sync::tokio::mpsc::channel(8);
//! tokio::spawn(async move {
//!     for i in 0..3 {
//!         tx.send(i).await.unwrap();
//!     }
//! });
//! let mut got = Vec::new();
//! while let Some(i) = rx.recv().await {
//!     got.push(i);
//! }
//! assert_eq!(got, [0, 1, 2]);
//! # });
//! ```
//!
//! [`Receiver::poll_recv`] is tokio's, untimed: a caller polling by hand keeps no future
//! that could hold the wait.

use std::fmt;
use std::task::{Context, Poll};

use tokio::sync::mpsc::error::{SendError, TryRecvError, TrySendError};
pub use tokio::sync::mpsc::{error, Permit};

use super::timed::Timed;

/// A bounded channel for `buffer` messages (at least 1: tokio panics on 0).
///
/// ```
/// let (tx, mut rx) = oxprof::sync::tokio::mpsc::channel(1);
/// tx.try_send(1).unwrap();
/// assert!(tx.try_send(2).is_err()); // full
/// assert_eq!(rx.try_recv(), Ok(1));
/// ```
pub fn channel<T>(buffer: usize) -> (Sender<T>, Receiver<T>) {
    let (tx, rx) = tokio::sync::mpsc::channel(buffer);
    (Sender { inner: tx }, Receiver { inner: rx })
}

/// An unbounded channel: sending never waits.
///
/// ```
/// let (tx, mut rx) = oxprof::sync::tokio::mpsc::unbounded_channel();
/// tx.send("hi").unwrap();
/// assert_eq!(rx.try_recv(), Ok("hi"));
/// ```
pub fn unbounded_channel<T>() -> (UnboundedSender<T>, UnboundedReceiver<T>) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    (
        UnboundedSender { inner: tx },
        UnboundedReceiver { inner: rx },
    )
}

/// The sending half of [`channel`]; clone it for more senders.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let (tx, mut rx) = oxprof::sync::tokio::mpsc::channel(1);
/// tx.clone().send(9).await.unwrap();
/// assert_eq!(rx.recv().await, Some(9));
/// # });
/// ```
pub struct Sender<T> {
    inner: tokio::sync::mpsc::Sender<T>,
}

/// The receiving half of [`channel`].
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let (tx, mut rx) = oxprof::sync::tokio::mpsc::channel(1);
/// drop(tx);
/// assert_eq!(rx.recv().await, None::<u8>); // every sender is gone
/// # });
/// ```
pub struct Receiver<T> {
    inner: tokio::sync::mpsc::Receiver<T>,
}

/// The sending half of [`unbounded_channel`]; clone it for more senders.
///
/// ```
/// let (tx, _rx) = oxprof::sync::tokio::mpsc::unbounded_channel();
/// tx.clone().send(1).unwrap();
/// ```
pub struct UnboundedSender<T> {
    inner: tokio::sync::mpsc::UnboundedSender<T>,
}

/// The receiving half of [`unbounded_channel`].
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let (tx, mut rx) = oxprof::sync::tokio::mpsc::unbounded_channel();
/// tx.send(4).unwrap();
/// assert_eq!(rx.recv().await, Some(4));
/// # });
/// ```
pub struct UnboundedReceiver<T> {
    inner: tokio::sync::mpsc::UnboundedReceiver<T>,
}

/// Runs a blocking receive or send that found the channel empty or full: a profiled wait.
fn blocking<R>(wait: impl FnOnce() -> R) -> R {
    let since = crate::block::wait_start();
    let result = wait();
    crate::block::wait_end(since, "chan", 0, 0);
    result
}

impl<T> Sender<T> {
    /// Sends a message, awaiting room while the channel is full (a profiled wait); an error
    /// handing it back if the receiver is gone. As tokio's, dropping the future before it
    /// completes drops the message unsent.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let (tx, rx) = oxprof::sync::tokio::mpsc::channel(1);
    /// drop(rx);
    /// assert_eq!(tx.send(5).await.unwrap_err().0, 5);
    /// # });
    /// ```
    pub async fn send(&self, value: T) -> Result<(), SendError<T>> {
        Timed::plain(self.inner.send(value)).await
    }

    /// Sends a message if there is room now: `Full` or `Closed` hand it back.
    ///
    /// ```
    /// use tokio::sync::mpsc::error::TrySendError;
    /// let (tx, _rx) = oxprof::sync::tokio::mpsc::channel(1);
    /// tx.try_send(1).unwrap();
    /// assert!(matches!(tx.try_send(2), Err(TrySendError::Full(2))));
    /// ```
    pub fn try_send(&self, message: T) -> Result<(), TrySendError<T>> {
        self.inner.try_send(message)
    }

    /// [`send`](Sender::send) from synchronous code, blocking the thread while the channel
    /// is full. Panics inside an async runtime, as tokio's.
    ///
    /// ```
    /// let (tx, mut rx) = oxprof::sync::tokio::mpsc::channel(1);
    /// tx.blocking_send(3).unwrap();
    /// assert_eq!(rx.blocking_recv(), Some(3));
    /// ```
    pub fn blocking_send(&self, value: T) -> Result<(), SendError<T>> {
        match self.inner.try_send(value) {
            Ok(()) => Ok(()),
            Err(TrySendError::Closed(value)) => Err(SendError(value)),
            Err(TrySendError::Full(value)) => blocking(|| self.inner.blocking_send(value)),
        }
    }

    /// Reserves room for one message, awaiting it while the channel is full (a profiled
    /// wait); tokio's [`Permit`] sends into it.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let (tx, mut rx) = oxprof::sync::tokio::mpsc::channel(1);
    /// tx.reserve().await.unwrap().send(8);
    /// assert_eq!(rx.recv().await, Some(8));
    /// # });
    /// ```
    pub async fn reserve(&self) -> Result<Permit<'_, T>, SendError<()>> {
        Timed::plain(self.inner.reserve()).await
    }

    /// Reserves room for one message if there is some now.
    ///
    /// ```
    /// let (tx, _rx) = oxprof::sync::tokio::mpsc::channel::<u8>(1);
    /// let permit = tx.try_reserve().unwrap();
    /// assert!(tx.try_reserve().is_err());
    /// # drop(permit);
    /// ```
    pub fn try_reserve(&self) -> Result<Permit<'_, T>, TrySendError<()>> {
        self.inner.try_reserve()
    }

    /// Completes when the receiver is gone (not a profiled wait: nothing is being sent).
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let (tx, rx) = oxprof::sync::tokio::mpsc::channel::<u8>(1);
    /// drop(rx);
    /// tx.closed().await;
    /// # });
    /// ```
    pub async fn closed(&self) {
        self.inner.closed().await;
    }

    /// Whether the receiver is gone or closed.
    ///
    /// ```
    /// let (tx, rx) = oxprof::sync::tokio::mpsc::channel::<u8>(1);
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// The room left now.
    ///
    /// ```
    /// let (tx, _rx) = oxprof::sync::tokio::mpsc::channel(2);
    /// tx.try_send(1).unwrap();
    /// assert_eq!(tx.capacity(), 1);
    /// ```
    pub fn capacity(&self) -> usize {
        self.inner.capacity()
    }

    /// The channel's buffer size.
    ///
    /// ```
    /// let (tx, _rx) = oxprof::sync::tokio::mpsc::channel::<u8>(2);
    /// assert_eq!(tx.max_capacity(), 2);
    /// ```
    pub fn max_capacity(&self) -> usize {
        self.inner.max_capacity()
    }

    /// Whether both senders send into the same channel.
    ///
    /// ```
    /// let (tx, _rx) = oxprof::sync::tokio::mpsc::channel::<u8>(1);
    /// assert!(tx.same_channel(&tx.clone()));
    /// ```
    pub fn same_channel(&self, other: &Self) -> bool {
        self.inner.same_channel(&other.inner)
    }
}

/// The receiving halves' methods, the same for both kinds of channel: `$new` makes a channel
/// with room for four messages and `$put` puts one in it without waiting.
macro_rules! receiver_methods {
    ($ty:ident, $new:literal, $put:literal) => {
        impl<T> $ty<T> {
            /// Takes the next message, awaiting one while the channel is empty (a profiled
            /// wait); `None` once it is empty and every sender is gone. Cancel safe.
            ///
            /// ```
            /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
            #[doc = concat!("let (tx, mut rx) = oxprof::sync::tokio::mpsc::", $new, ";")]
            #[doc = concat!("tokio::spawn(async move { tx.", $put, "(3).unwrap() });")]
            /// assert_eq!(rx.recv().await, Some(3));
            /// # });
            /// ```
            pub async fn recv(&mut self) -> Option<T> {
                Timed::plain(self.inner.recv()).await
            }

            /// Takes up to `limit` messages into `buffer`, awaiting the first while the
            /// channel is empty (a profiled wait); how many it took, 0 once every sender is
            /// gone.
            ///
            /// ```
            /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
            #[doc = concat!("let (tx, mut rx) = oxprof::sync::tokio::mpsc::", $new, ";")]
            /// for i in 0..3 {
            #[doc = concat!("    tx.", $put, "(i).unwrap();")]
            /// }
            /// let mut got = Vec::new();
            /// assert_eq!(rx.recv_many(&mut got, 10).await, 3);
            /// # });
            /// ```
            pub async fn recv_many(&mut self, buffer: &mut Vec<T>, limit: usize) -> usize {
                Timed::plain(self.inner.recv_many(buffer, limit)).await
            }

            /// Takes the next message if there is one now.
            ///
            /// ```
            /// use tokio::sync::mpsc::error::TryRecvError;
            #[doc = concat!("let (_tx, mut rx) = oxprof::sync::tokio::mpsc::", $new, ";")]
            /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
            /// ```
            pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
                self.inner.try_recv()
            }

            /// [`recv`](Self::recv) from synchronous code, blocking the thread while the
            /// channel is empty. Panics inside an async runtime, as tokio's.
            ///
            /// ```
            #[doc = concat!("let (tx, mut rx) = oxprof::sync::tokio::mpsc::", $new, ";")]
            #[doc = concat!("std::thread::spawn(move || tx.", $put, "(2).unwrap());")]
            /// assert_eq!(rx.blocking_recv(), Some(2));
            /// ```
            pub fn blocking_recv(&mut self) -> Option<T> {
                match self.inner.try_recv() {
                    Ok(value) => Some(value),
                    Err(TryRecvError::Disconnected) => None,
                    Err(TryRecvError::Empty) => blocking(|| self.inner.blocking_recv()),
                }
            }

            /// Closes the channel to senders; messages already in it can still be received.
            ///
            /// ```
            #[doc = concat!("let (tx, mut rx) = oxprof::sync::tokio::mpsc::", $new, ";")]
            #[doc = concat!("tx.", $put, "(1).unwrap();")]
            /// rx.close();
            #[doc = concat!("assert!(tx.", $put, "(2).is_err());")]
            /// assert_eq!(rx.try_recv(), Ok(1));
            /// ```
            pub fn close(&mut self) {
                self.inner.close();
            }

            /// Whether the channel is closed: by [`close`](Self::close) or every sender gone.
            ///
            /// ```
            #[doc = concat!("let (tx, rx) = oxprof::sync::tokio::mpsc::", $new, ";")]
            /// drop(tx);
            /// assert!(rx.is_closed());
            /// ```
            pub fn is_closed(&self) -> bool {
                self.inner.is_closed()
            }

            /// Whether no message is waiting.
            ///
            /// ```
            #[doc = concat!("let (_tx, rx) = oxprof::sync::tokio::mpsc::", $new, ";")]
            /// assert!(rx.is_empty());
            /// ```
            pub fn is_empty(&self) -> bool {
                self.inner.is_empty()
            }

            /// How many messages are waiting.
            ///
            /// ```
            #[doc = concat!("let (tx, rx) = oxprof::sync::tokio::mpsc::", $new, ";")]
            #[doc = concat!("tx.", $put, "(1).unwrap();")]
            /// assert_eq!(rx.len(), 1);
            /// ```
            pub fn len(&self) -> usize {
                self.inner.len()
            }

            /// tokio's `poll_recv`, untimed (see the [module](self) docs).
            ///
            /// ```
            /// use std::task::{Context, Poll, Waker};
            #[doc = concat!("let (tx, mut rx) = oxprof::sync::tokio::mpsc::", $new, ";")]
            #[doc = concat!("tx.", $put, "(1).unwrap();")]
            /// let mut cx = Context::from_waker(Waker::noop());
            /// assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(Some(1)));
            /// ```
            pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
                self.inner.poll_recv(cx)
            }
        }
    };
}
receiver_methods!(Receiver, "channel::<u8>(4)", "try_send");
receiver_methods!(UnboundedReceiver, "unbounded_channel::<u8>()", "send");

impl<T> UnboundedSender<T> {
    /// Sends a message without waiting; an error handing it back if the receiver is gone.
    ///
    /// ```
    /// let (tx, rx) = oxprof::sync::tokio::mpsc::unbounded_channel();
    /// drop(rx);
    /// assert_eq!(tx.send(5).unwrap_err().0, 5);
    /// ```
    pub fn send(&self, message: T) -> Result<(), SendError<T>> {
        self.inner.send(message)
    }

    /// Completes when the receiver is gone (not a profiled wait).
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let (tx, rx) = oxprof::sync::tokio::mpsc::unbounded_channel::<u8>();
    /// drop(rx);
    /// tx.closed().await;
    /// # });
    /// ```
    pub async fn closed(&self) {
        self.inner.closed().await;
    }

    /// Whether the receiver is gone or closed.
    ///
    /// ```
    /// let (tx, rx) = oxprof::sync::tokio::mpsc::unbounded_channel::<u8>();
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// Whether both senders send into the same channel.
    ///
    /// ```
    /// let (tx, _rx) = oxprof::sync::tokio::mpsc::unbounded_channel::<u8>();
    /// assert!(tx.same_channel(&tx.clone()));
    /// ```
    pub fn same_channel(&self, other: &Self) -> bool {
        self.inner.same_channel(&other.inner)
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        Sender {
            inner: self.inner.clone(),
        }
    }
}

impl<T> Clone for UnboundedSender<T> {
    fn clone(&self) -> Self {
        UnboundedSender {
            inner: self.inner.clone(),
        }
    }
}

macro_rules! debug_as_tokio {
    ($($ty:ident),*) => {$(
        impl<T> fmt::Debug for $ty<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.inner, f)
            }
        }
    )*};
}
debug_as_tokio!(Sender, Receiver, UnboundedSender, UnboundedReceiver);
