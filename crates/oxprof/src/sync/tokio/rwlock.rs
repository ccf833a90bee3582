//! [`RwLock`]: tokio's async reader-writer lock with its waits and contended releases
//! profiled.

use std::fmt;
use std::mem::ManuallyDrop;

use tokio::sync::TryLockError;

use super::mutex::blocking_wait;
use super::timed::Timed;
use crate::contention::Tracker;

/// An async reader-writer lock, `tokio::sync::RwLock` with profiled waits: a reader or writer
/// that finds it unavailable records the time it spends awaiting it in the
/// [block](crate::block) profile, and every release (read or write) while tasks wait is
/// charged with their delay in the [mutex](crate::mutex) profile. Fair and write-preferring,
/// as tokio's.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let lock = oxprof::sync::tokio::RwLock::new(5);
/// {
///     let (r1, r2) = (lock.read().await, lock.read().await);
///     assert_eq!(*r1 + *r2, 10);
/// }
/// *lock.write().await += 1;
/// assert_eq!(*lock.read().await, 6);
/// # });
/// ```
#[derive(Default)]
pub struct RwLock<T: ?Sized> {
    tracker: Tracker,
    inner: tokio::sync::RwLock<T>,
}

/// Shared access, released when dropped. `tokio::sync::RwLockReadGuard`'s counterpart.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let lock = oxprof::sync::tokio::RwLock::new("shared");
/// assert_eq!(*lock.read().await, "shared");
/// # });
/// ```
#[must_use = "if unused the RwLock will immediately unlock"]
pub struct RwLockReadGuard<'a, T: ?Sized> {
    tracker: &'a Tracker,
    // Dropped after `Drop::drop` charged the release, so while the lock is still held.
    inner: tokio::sync::RwLockReadGuard<'a, T>,
}

/// Exclusive access, released when dropped. `tokio::sync::RwLockWriteGuard`'s counterpart.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let lock = oxprof::sync::tokio::RwLock::new(vec![1]);
/// lock.write().await.push(2);
/// assert_eq!(*lock.read().await, [1, 2]);
/// # });
/// ```
#[must_use = "if unused the RwLock will immediately unlock"]
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    tracker: &'a Tracker,
    // Dropped by hand, after the tracker charges the release while the lock is still held.
    inner: ManuallyDrop<tokio::sync::RwLockWriteGuard<'a, T>>,
}

impl<T> RwLock<T> {
    /// A new unlocked lock.
    ///
    /// ```
    /// assert_eq!(oxprof::sync::tokio::RwLock::new(2).into_inner(), 2);
    /// ```
    pub fn new(t: T) -> RwLock<T> {
        RwLock {
            tracker: Tracker::new(),
            inner: tokio::sync::RwLock::new(t),
        }
    }

    /// A new unlocked lock that lets at most `max_reads` readers in at once.
    ///
    /// ```
    /// let lock = oxprof::sync::tokio::RwLock::with_max_readers(1, 1);
    /// let reader = lock.try_read().unwrap();
    /// assert!(lock.try_read().is_err());
    /// # drop(reader);
    /// ```
    pub fn with_max_readers(t: T, max_reads: u32) -> RwLock<T> {
        RwLock {
            tracker: Tracker::new(),
            inner: tokio::sync::RwLock::with_max_readers(t, max_reads),
        }
    }

    /// A new unlocked lock, in a constant context.
    ///
    /// ```
    /// static CONFIG: oxprof::sync::tokio::RwLock<Vec<String>> =
    ///     oxprof::sync::tokio::RwLock::const_new(Vec::new());
    /// ```
    pub const fn const_new(t: T) -> RwLock<T> {
        RwLock {
            tracker: Tracker::new(),
            inner: tokio::sync::RwLock::const_new(t),
        }
    }

    /// Consumes the lock and returns the data.
    ///
    /// ```
    /// assert_eq!(oxprof::sync::tokio::RwLock::new(3).into_inner(), 3);
    /// ```
    pub fn into_inner(self) -> T {
        self.inner.into_inner()
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Takes shared access, awaiting it while a writer holds or waits for the lock (a
    /// profiled wait). Cancel safe.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let lock = oxprof::sync::tokio::RwLock::new(1);
    /// assert_eq!(*lock.read().await, 1);
    /// # });
    /// ```
    pub async fn read(&self) -> RwLockReadGuard<'_, T> {
        let inner = Timed::lock(&self.tracker, self.inner.read()).await;
        self.read_guard(inner)
    }

    /// [`read`](RwLock::read) from synchronous code, blocking the thread. Panics inside an
    /// async runtime, as tokio's.
    ///
    /// ```
    /// let lock = oxprof::sync::tokio::RwLock::new(1);
    /// assert_eq!(*lock.blocking_read(), 1);
    /// ```
    pub fn blocking_read(&self) -> RwLockReadGuard<'_, T> {
        let inner = match self.inner.try_read() {
            Ok(inner) => inner,
            Err(_) => blocking_wait(&self.tracker, || self.inner.blocking_read()),
        };
        self.read_guard(inner)
    }

    /// Takes shared access if available now.
    ///
    /// ```
    /// let lock = oxprof::sync::tokio::RwLock::new(1);
    /// let writer = lock.try_write().unwrap();
    /// assert!(lock.try_read().is_err());
    /// # drop(writer);
    /// ```
    pub fn try_read(&self) -> Result<RwLockReadGuard<'_, T>, TryLockError> {
        self.inner.try_read().map(|inner| self.read_guard(inner))
    }

    /// Takes exclusive access, awaiting the readers and writers before it (a profiled wait).
    /// Cancel safe.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let lock = oxprof::sync::tokio::RwLock::new(1);
    /// *lock.write().await = 2;
    /// assert_eq!(*lock.read().await, 2);
    /// # });
    /// ```
    pub async fn write(&self) -> RwLockWriteGuard<'_, T> {
        let inner = Timed::lock(&self.tracker, self.inner.write()).await;
        self.write_guard(inner)
    }

    /// [`write`](RwLock::write) from synchronous code, blocking the thread. Panics inside an
    /// async runtime, as tokio's.
    ///
    /// ```
    /// let lock = oxprof::sync::tokio::RwLock::new(1);
    /// *lock.blocking_write() = 2;
    /// assert_eq!(*lock.blocking_read(), 2);
    /// ```
    pub fn blocking_write(&self) -> RwLockWriteGuard<'_, T> {
        let inner = match self.inner.try_write() {
            Ok(inner) => inner,
            Err(_) => blocking_wait(&self.tracker, || self.inner.blocking_write()),
        };
        self.write_guard(inner)
    }

    /// Takes exclusive access if available now.
    ///
    /// ```
    /// let lock = oxprof::sync::tokio::RwLock::new(1);
    /// let reader = lock.try_read().unwrap();
    /// assert!(lock.try_write().is_err());
    /// # drop(reader);
    /// ```
    pub fn try_write(&self) -> Result<RwLockWriteGuard<'_, T>, TryLockError> {
        self.inner.try_write().map(|inner| self.write_guard(inner))
    }

    /// The data, through a unique borrow: no locking needed.
    ///
    /// ```
    /// let mut lock = oxprof::sync::tokio::RwLock::new(0);
    /// *lock.get_mut() = 4;
    /// assert_eq!(*lock.blocking_read(), 4);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.inner.get_mut()
    }

    fn read_guard<'a>(
        &'a self,
        inner: tokio::sync::RwLockReadGuard<'a, T>,
    ) -> RwLockReadGuard<'a, T> {
        RwLockReadGuard {
            tracker: &self.tracker,
            inner,
        }
    }

    fn write_guard<'a>(
        &'a self,
        inner: tokio::sync::RwLockWriteGuard<'a, T>,
    ) -> RwLockWriteGuard<'a, T> {
        RwLockWriteGuard {
            tracker: &self.tracker,
            inner: ManuallyDrop::new(inner),
        }
    }
}

impl<'a, T: ?Sized> RwLockWriteGuard<'a, T> {
    /// Turns exclusive access into shared access without letting a writer in between: the end
    /// of the write's critical section, charged as a release if tasks wait.
    ///
    /// ```
    /// use oxprof::sync::tokio::{RwLock, RwLockWriteGuard};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let lock = RwLock::new(1);
    /// let mut writer = lock.write().await;
    /// *writer = 2;
    /// let reader = writer.downgrade();
    /// assert_eq!((*reader, *lock.read().await), (2, 2));
    /// # });
    /// ```
    pub fn downgrade(self) -> RwLockReadGuard<'a, T> {
        self.tracker.unlocking();
        let mut this = ManuallyDrop::new(self);
        // SAFETY: `this` is never used or dropped again, so the inner guard is taken once.
        let inner = unsafe { ManuallyDrop::take(&mut this.inner) };
        RwLockReadGuard {
            tracker: this.tracker,
            inner: inner.downgrade(),
        }
    }
}

impl<T: ?Sized> Drop for RwLockReadGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        self.tracker.unlocking();
    }
}

impl<T: ?Sized> Drop for RwLockWriteGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        self.tracker.unlocking();
        // SAFETY: the inner guard is dropped here once; `downgrade` takes it only from a guard
        // that is never dropped.
        unsafe { ManuallyDrop::drop(&mut self.inner) };
    }
}

crate::sync::guard_views!(RwLockReadGuard [] []);
crate::sync::guard_views!(RwLockWriteGuard [] [] mut);

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // tokio's form: `RwLock { data: .. }`, or `<locked>` while written.
        fmt::Debug::fmt(&self.inner, f)
    }
}

impl<T> From<T> for RwLock<T> {
    /// ```
    /// let lock = oxprof::sync::tokio::RwLock::from(3);
    /// assert_eq!(*lock.blocking_read(), 3);
    /// ```
    fn from(t: T) -> Self {
        RwLock::new(t)
    }
}
