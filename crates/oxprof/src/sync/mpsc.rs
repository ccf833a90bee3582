//! `std::sync::mpsc` with profiled waits: a receiver that finds the channel empty, or a
//! bounded sender that finds it full, records its wait in the [block](crate::block) profile,
//! as Go records channel sends and receives. Same API and semantics as std's, errors included
//! (they are std's types).
//!
//! ```
//! use oxprof::sync::mpsc;
//!
//! let (tx, rx) = mpsc::channel();
//! std::thread::spawn(move || {
//!     for i in 0..3 {
//!         tx.send(i).unwrap();
//!     }
//! });
//! assert_eq!(rx.iter().sum::<i32>(), 3);
//! ```

use std::fmt;
use std::time::{Duration, Instant};

pub use std::sync::mpsc::{RecvError, RecvTimeoutError, SendError, TryRecvError, TrySendError};

/// An unbounded channel: sends never wait.
///
/// ```
/// let (tx, rx) = oxprof::sync::mpsc::channel();
/// tx.send("hello").unwrap();
/// assert_eq!(rx.recv().unwrap(), "hello");
/// ```
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let (tx, rx) = std::sync::mpsc::channel();
    (Sender { inner: tx }, Receiver { inner: rx })
}

/// A channel holding at most `bound` messages: sends wait while it is full (with a bound of
/// 0, until a receiver takes the message).
///
/// ```
/// let (tx, rx) = oxprof::sync::mpsc::sync_channel(1);
/// tx.send(1).unwrap();
/// assert!(tx.try_send(2).is_err()); // full
/// assert_eq!(rx.recv().unwrap(), 1);
/// ```
pub fn sync_channel<T>(bound: usize) -> (SyncSender<T>, Receiver<T>) {
    let (tx, rx) = std::sync::mpsc::sync_channel(bound);
    (SyncSender { inner: tx }, Receiver { inner: rx })
}

/// The sending half of [`channel`]; clone it for more senders.
///
/// ```
/// let (tx, rx) = oxprof::sync::mpsc::channel();
/// let tx2 = tx.clone();
/// tx.send(1).unwrap();
/// tx2.send(2).unwrap();
/// assert_eq!(rx.recv().unwrap() + rx.recv().unwrap(), 3);
/// ```
pub struct Sender<T> {
    inner: std::sync::mpsc::Sender<T>,
}

impl<T> Sender<T> {
    /// Sends a message without waiting; an error handing it back if the receiver is gone.
    ///
    /// ```
    /// let (tx, rx) = oxprof::sync::mpsc::channel();
    /// drop(rx);
    /// assert_eq!(tx.send(5).unwrap_err().0, 5);
    /// ```
    pub fn send(&self, t: T) -> Result<(), SendError<T>> {
        self.inner.send(t)
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        Sender {
            inner: self.inner.clone(),
        }
    }
}

/// The sending half of [`sync_channel`]; clone it for more senders.
///
/// ```
/// let (tx, rx) = oxprof::sync::mpsc::sync_channel(0);
/// std::thread::spawn(move || tx.send(9).unwrap());
/// assert_eq!(rx.recv().unwrap(), 9);
/// ```
pub struct SyncSender<T> {
    inner: std::sync::mpsc::SyncSender<T>,
}

impl<T> SyncSender<T> {
    /// Sends a message, waiting while the channel is full (a recorded wait); an error handing
    /// it back if the receiver is gone.
    ///
    /// ```
    /// let (tx, rx) = oxprof::sync::mpsc::sync_channel(1);
    /// tx.send(1).unwrap();
    /// drop(rx);
    /// assert_eq!(tx.send(2).unwrap_err().0, 2);
    /// ```
    pub fn send(&self, t: T) -> Result<(), SendError<T>> {
        if !crate::block::waits_recorded() {
            return self.inner.send(t);
        }
        match self.inner.try_send(t) {
            Ok(()) => Ok(()),
            Err(TrySendError::Disconnected(t)) => Err(SendError(t)),
            Err(TrySendError::Full(t)) => {
                let since = Instant::now();
                let result = self.inner.send(t);
                crate::block::wait_end(Some(since), "chan send", 0, 0);
                result
            }
        }
    }

    /// Sends a message if there is room now: `Full` or `Disconnected` hand it back.
    ///
    /// ```
    /// let (tx, _rx) = oxprof::sync::mpsc::sync_channel(0);
    /// assert!(matches!(tx.try_send(1), Err(std::sync::mpsc::TrySendError::Full(1))));
    /// ```
    pub fn try_send(&self, t: T) -> Result<(), TrySendError<T>> {
        self.inner.try_send(t)
    }
}

impl<T> Clone for SyncSender<T> {
    fn clone(&self) -> Self {
        SyncSender {
            inner: self.inner.clone(),
        }
    }
}

/// The receiving half of a channel.
///
/// ```
/// let (tx, rx) = oxprof::sync::mpsc::channel();
/// tx.send(1).unwrap();
/// drop(tx);
/// assert_eq!(rx.recv(), Ok(1));
/// assert!(rx.recv().is_err()); // every sender is gone
/// ```
pub struct Receiver<T> {
    inner: std::sync::mpsc::Receiver<T>,
}

impl<T> Receiver<T> {
    /// Takes the next message, waiting while the channel is empty (a recorded wait); an error
    /// once it is empty and every sender is gone.
    ///
    /// ```
    /// let (tx, rx) = oxprof::sync::mpsc::channel();
    /// std::thread::spawn(move || tx.send(3).unwrap());
    /// assert_eq!(rx.recv(), Ok(3));
    /// ```
    pub fn recv(&self) -> Result<T, RecvError> {
        if !crate::block::waits_recorded() {
            return self.inner.recv();
        }
        match self.inner.try_recv() {
            Ok(t) => Ok(t),
            Err(TryRecvError::Disconnected) => Err(RecvError),
            Err(TryRecvError::Empty) => {
                let since = Instant::now();
                let result = self.inner.recv();
                crate::block::wait_end(Some(since), "chan receive", 0, 0);
                result
            }
        }
    }

    /// Takes the next message if there is one now.
    ///
    /// ```
    /// let (_tx, rx) = oxprof::sync::mpsc::channel::<u8>();
    /// assert_eq!(rx.try_recv(), Err(std::sync::mpsc::TryRecvError::Empty));
    /// ```
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        self.inner.try_recv()
    }

    /// [`recv`](Receiver::recv), waiting at most `timeout`; the time waited is recorded
    /// whether a message came or not.
    ///
    /// ```
    /// use std::sync::mpsc::RecvTimeoutError;
    /// let (_tx, rx) = oxprof::sync::mpsc::channel::<u8>();
    /// let waited = rx.recv_timeout(std::time::Duration::from_millis(1));
    /// assert_eq!(waited, Err(RecvTimeoutError::Timeout));
    /// ```
    pub fn recv_timeout(&self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        if !crate::block::waits_recorded() {
            return self.inner.recv_timeout(timeout);
        }
        match self.inner.try_recv() {
            Ok(t) => Ok(t),
            Err(TryRecvError::Disconnected) => Err(RecvTimeoutError::Disconnected),
            Err(TryRecvError::Empty) => {
                let since = Instant::now();
                let result = self.inner.recv_timeout(timeout);
                crate::block::wait_end(Some(since), "chan receive", 0, 0);
                result
            }
        }
    }

    /// The messages as they come, until every sender is gone: [`recv`](Receiver::recv) in a
    /// loop.
    ///
    /// ```
    /// let (tx, rx) = oxprof::sync::mpsc::channel();
    /// tx.send(1).unwrap();
    /// tx.send(2).unwrap();
    /// drop(tx);
    /// assert_eq!(rx.iter().collect::<Vec<_>>(), [1, 2]);
    /// ```
    pub fn iter(&self) -> Iter<'_, T> {
        Iter { rx: self }
    }

    /// The messages there are now, without waiting.
    ///
    /// ```
    /// let (tx, rx) = oxprof::sync::mpsc::channel();
    /// tx.send(1).unwrap();
    /// assert_eq!(rx.try_iter().collect::<Vec<_>>(), [1]);
    /// ```
    pub fn try_iter(&self) -> TryIter<'_, T> {
        TryIter { rx: self }
    }
}

/// Messages as they come; from [`Receiver::iter`].
///
/// ```
/// let (tx, rx) = oxprof::sync::mpsc::channel::<u8>();
/// drop(tx);
/// let mut messages: oxprof::sync::mpsc::Iter<'_, u8> = rx.iter();
/// assert_eq!(messages.next(), None);
/// ```
pub struct Iter<'a, T: 'a> {
    rx: &'a Receiver<T>,
}

/// Messages there are now; from [`Receiver::try_iter`].
///
/// ```
/// let (_tx, rx) = oxprof::sync::mpsc::channel::<u8>();
/// let mut messages: oxprof::sync::mpsc::TryIter<'_, u8> = rx.try_iter();
/// assert_eq!(messages.next(), None);
/// ```
pub struct TryIter<'a, T: 'a> {
    rx: &'a Receiver<T>,
}

/// Messages as they come, owning the receiver; from `Receiver::into_iter`.
///
/// ```
/// let (tx, rx) = oxprof::sync::mpsc::channel();
/// tx.send(4).unwrap();
/// drop(tx);
/// let messages: oxprof::sync::mpsc::IntoIter<u8> = rx.into_iter();
/// assert_eq!(messages.collect::<Vec<_>>(), [4]);
/// ```
pub struct IntoIter<T> {
    rx: Receiver<T>,
}

impl<T> Iterator for Iter<'_, T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.rx.recv().ok()
    }
}

impl<T> Iterator for TryIter<'_, T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.rx.try_recv().ok()
    }
}

impl<T> Iterator for IntoIter<T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.rx.recv().ok()
    }
}

impl<'a, T> IntoIterator for &'a Receiver<T> {
    type Item = T;
    type IntoIter = Iter<'a, T>;
    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

impl<T> IntoIterator for Receiver<T> {
    type Item = T;
    type IntoIter = IntoIter<T>;
    fn into_iter(self) -> IntoIter<T> {
        IntoIter { rx: self }
    }
}

/// std's form for every half and iterator: the type name and nothing inside.
macro_rules! opaque_debug {
    ($($ty:ident $(<$lt:lifetime>)?),*) => {$(
        impl<$($lt,)? T> fmt::Debug for $ty<$($lt,)? T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($ty)).finish_non_exhaustive()
            }
        }
    )*};
}

opaque_debug!(
    Sender,
    SyncSender,
    Receiver,
    Iter<'a>,
    TryIter<'a>,
    IntoIter
);
