//! [`Mutex`]: tokio's async mutex with its waits and contended releases profiled.

use std::fmt;
use std::mem::ManuallyDrop;

use tokio::sync::TryLockError;

use super::timed::Timed;
use crate::contention::Tracker;

/// An async mutual exclusion lock, `tokio::sync::Mutex` with profiled waits: a task that
/// finds it locked records the time it spends awaiting it in the [block](crate::block)
/// profile, and whoever then unlocks it is charged with its waiters' delay in the
/// [mutex](crate::mutex) profile. Fair (first come, first served), as tokio's.
///
/// ```
/// use oxprof::sync::tokio::Mutex;
/// use std::sync::Arc;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let counter = Arc::new(Mutex::new(0));
/// let tasks: Vec<_> = (0..4)
///     .map(|_| {
///         let counter = Arc::clone(&counter);
///         tokio::spawn(async move { *counter.lock().await += 1 })
///     })
///     .collect();
/// for task in tasks {
///     task.await.unwrap();
/// }
/// assert_eq!(*counter.lock().await, 4);
/// # });
/// ```
#[derive(Default)]
pub struct Mutex<T: ?Sized> {
    tracker: Tracker,
    inner: tokio::sync::Mutex<T>,
}

/// The lock held: derefs to the data, unlocks when dropped. `tokio::sync::MutexGuard`'s
/// counterpart.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let m = oxprof::sync::tokio::Mutex::new(vec![1]);
/// let mut guard = m.lock().await;
/// guard.push(2);
/// assert_eq!(*guard, [1, 2]);
/// # });
/// ```
#[must_use = "if unused the Mutex will immediately unlock"]
pub struct MutexGuard<'a, T: ?Sized> {
    tracker: &'a Tracker,
    // Dropped by hand, after the tracker charges the release while the lock is still held.
    inner: ManuallyDrop<tokio::sync::MutexGuard<'a, T>>,
}

/// The lock held, giving access to a part of the data: from [`MutexGuard::map`].
/// `tokio::sync::MappedMutexGuard`'s counterpart.
///
/// ```
/// use oxprof::sync::tokio::{Mutex, MutexGuard};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let m = Mutex::new((1, String::from("a")));
/// let mut name = MutexGuard::map(m.lock().await, |pair| &mut pair.1);
/// name.push('b');
/// drop(name);
/// assert_eq!(m.lock().await.1, "ab");
/// # });
/// ```
#[must_use = "if unused the Mutex will immediately unlock"]
pub struct MappedMutexGuard<'a, T: ?Sized> {
    tracker: &'a Tracker,
    // Dropped by hand, after the tracker charges the release while the lock is still held.
    inner: ManuallyDrop<tokio::sync::MappedMutexGuard<'a, T>>,
}

impl<T> Mutex<T> {
    /// A new unlocked mutex.
    ///
    /// ```
    /// let m = oxprof::sync::tokio::Mutex::new(5);
    /// assert_eq!(m.into_inner(), 5);
    /// ```
    pub fn new(t: T) -> Mutex<T> {
        Mutex {
            tracker: Tracker::new(),
            inner: tokio::sync::Mutex::new(t),
        }
    }

    /// A new unlocked mutex, in a constant context.
    ///
    /// ```
    /// static LOCK: oxprof::sync::tokio::Mutex<u32> = oxprof::sync::tokio::Mutex::const_new(0);
    /// ```
    pub const fn const_new(t: T) -> Mutex<T> {
        Mutex {
            tracker: Tracker::new(),
            inner: tokio::sync::Mutex::const_new(t),
        }
    }

    /// Consumes the mutex and returns the data.
    ///
    /// ```
    /// assert_eq!(oxprof::sync::tokio::Mutex::new(7).into_inner(), 7);
    /// ```
    pub fn into_inner(self) -> T {
        self.inner.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Locks the mutex, awaiting it while another holds it; the time awaited is a profiled
    /// wait, charged to the code that awaited. Cancel safe, as tokio's: dropping the future
    /// gives up the place in the queue (and records nothing).
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let m = oxprof::sync::tokio::Mutex::new(1);
    /// *m.lock().await += 1;
    /// assert_eq!(*m.lock().await, 2);
    /// # });
    /// ```
    pub async fn lock(&self) -> MutexGuard<'_, T> {
        let inner = Timed::lock(&self.tracker, self.inner.lock()).await;
        self.guard(inner)
    }

    /// Locks the mutex from synchronous code, blocking the thread while another holds it
    /// (a profiled wait). Panics inside an async runtime, as tokio's.
    ///
    /// ```
    /// let m = oxprof::sync::tokio::Mutex::new(1);
    /// *m.blocking_lock() += 1;
    /// assert_eq!(*m.blocking_lock(), 2);
    /// ```
    pub fn blocking_lock(&self) -> MutexGuard<'_, T> {
        let inner = match self.inner.try_lock() {
            Ok(inner) => inner,
            Err(_) => blocking_wait(&self.tracker, || self.inner.blocking_lock()),
        };
        self.guard(inner)
    }

    /// Locks the mutex if it is free, without waiting.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let m = oxprof::sync::tokio::Mutex::new(1);
    /// let held = m.lock().await;
    /// assert!(m.try_lock().is_err());
    /// drop(held);
    /// assert!(m.try_lock().is_ok());
    /// # });
    /// ```
    pub fn try_lock(&self) -> Result<MutexGuard<'_, T>, TryLockError> {
        self.inner.try_lock().map(|inner| self.guard(inner))
    }

    /// The data, through a unique borrow: no locking needed.
    ///
    /// ```
    /// let mut m = oxprof::sync::tokio::Mutex::new(0);
    /// *m.get_mut() = 10;
    /// assert_eq!(*m.blocking_lock(), 10);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.inner.get_mut()
    }

    fn guard<'a>(&'a self, inner: tokio::sync::MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        MutexGuard {
            tracker: &self.tracker,
            inner: ManuallyDrop::new(inner),
        }
    }
}

/// `take` a lock from synchronous code after finding it taken: a profiled wait.
pub(super) fn blocking_wait<G>(tracker: &Tracker, take: impl FnOnce() -> G) -> G {
    let waiting = tracker.start_wait();
    let guard = take();
    if let Some(waiting) = waiting {
        waiting.acquired();
    }
    guard
}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    /// A guard of a part of the data, still holding the lock. An associated function, as
    /// tokio's, so it does not hide a method of the data.
    ///
    /// ```
    /// use oxprof::sync::tokio::{Mutex, MutexGuard};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let m = Mutex::new([1, 2, 3]);
    /// let mut last = MutexGuard::map(m.lock().await, |a| &mut a[2]);
    /// *last = 30;
    /// drop(last);
    /// assert_eq!(*m.lock().await, [1, 2, 30]);
    /// # });
    /// ```
    pub fn map<U: ?Sized, F>(this: Self, f: F) -> MappedMutexGuard<'a, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        let mut this = ManuallyDrop::new(this);
        // SAFETY: `this` is never used or dropped again, so the inner guard is taken once.
        let inner = unsafe { ManuallyDrop::take(&mut this.inner) };
        MappedMutexGuard {
            tracker: this.tracker,
            inner: ManuallyDrop::new(tokio::sync::MutexGuard::map(inner, f)),
        }
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        self.tracker.unlocking();
        // SAFETY: the inner guard is dropped here once; `map` takes it only from a guard that
        // is never dropped.
        unsafe { ManuallyDrop::drop(&mut self.inner) };
    }
}

impl<T: ?Sized> Drop for MappedMutexGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        self.tracker.unlocking();
        // SAFETY: the inner guard is dropped here, once.
        unsafe { ManuallyDrop::drop(&mut self.inner) };
    }
}

crate::sync::guard_views!(MutexGuard [] [] mut);
crate::sync::guard_views!(MappedMutexGuard [] [] mut);

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // tokio's form: `Mutex { data: .. }`, or `Mutex { data: <locked> }` while held.
        fmt::Debug::fmt(&self.inner, f)
    }
}

impl<T> From<T> for Mutex<T> {
    /// ```
    /// let m = oxprof::sync::tokio::Mutex::from(3);
    /// assert_eq!(*m.blocking_lock(), 3);
    /// ```
    fn from(t: T) -> Self {
        Mutex::new(t)
    }
}
