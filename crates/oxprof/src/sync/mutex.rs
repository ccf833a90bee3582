//! [`Mutex`]: std's mutex with its waits and contended releases profiled.

use std::fmt;
use std::mem::ManuallyDrop;

use super::acquire::{acquire, map_lock, map_try};
use super::{LockResult, TryLockResult};
use crate::contention::Tracker;

/// A mutual exclusion lock, `std::sync::Mutex` with profiled waits: a thread that finds it
/// locked records its wait in the [block](crate::block) profile, and the thread that then
/// unlocks it is charged with its waiters' delay in the [mutex](crate::mutex) profile. Poisons
/// like std's when a thread panics while holding it.
///
/// ```
/// use oxprof::sync::Mutex;
/// use std::sync::Arc;
///
/// let counter = Arc::new(Mutex::new(0));
/// let handles: Vec<_> = (0..4)
///     .map(|_| {
///         let counter = Arc::clone(&counter);
///         std::thread::spawn(move || *counter.lock().unwrap() += 1)
///     })
///     .collect();
/// for h in handles {
///     h.join().unwrap();
/// }
/// assert_eq!(*counter.lock().unwrap(), 4);
/// ```
#[derive(Default)]
pub struct Mutex<T: ?Sized> {
    tracker: Tracker,
    inner: std::sync::Mutex<T>,
}

/// The lock held: derefs to the data, unlocks when dropped. `std::sync::MutexGuard`'s
/// counterpart.
///
/// ```
/// let m = oxprof::sync::Mutex::new(vec![1]);
/// let mut guard = m.lock().unwrap();
/// guard.push(2);
/// assert_eq!(*guard, [1, 2]);
/// ```
#[must_use = "if unused the Mutex will immediately unlock"]
pub struct MutexGuard<'a, T: ?Sized + 'a> {
    tracker: &'a Tracker,
    // Dropped by hand, after the tracker charges the release while the lock is still held.
    inner: ManuallyDrop<std::sync::MutexGuard<'a, T>>,
}

impl<T> Mutex<T> {
    /// A new unlocked mutex.
    ///
    /// ```
    /// static LOCK: oxprof::sync::Mutex<u32> = oxprof::sync::Mutex::new(0);
    /// ```
    pub const fn new(t: T) -> Mutex<T> {
        Mutex {
            tracker: Tracker::new(),
            inner: std::sync::Mutex::new(t),
        }
    }

    /// Consumes the mutex and returns the data; an error carrying it if the mutex is
    /// poisoned.
    ///
    /// ```
    /// let m = oxprof::sync::Mutex::new(7);
    /// assert_eq!(m.into_inner().unwrap(), 7);
    /// ```
    pub fn into_inner(self) -> LockResult<T> {
        self.inner.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Locks the mutex, waiting until it is free; an error carrying the guard if another
    /// thread panicked while holding it. A wait is profiled only when there is one.
    ///
    /// ```
    /// let m = oxprof::sync::Mutex::new(1);
    /// *m.lock().unwrap() += 1;
    /// assert_eq!(*m.lock().unwrap(), 2);
    /// ```
    pub fn lock(&self) -> LockResult<MutexGuard<'_, T>> {
        let result = acquire(
            &self.tracker,
            || self.inner.try_lock(),
            || self.inner.lock(),
        );
        map_lock(result, |g| MutexGuard::from_std(&self.tracker, g))
    }

    /// Locks the mutex if it is free, without waiting: `WouldBlock` if it is not, `Poisoned`
    /// (carrying the guard) if another thread panicked while holding it.
    ///
    /// ```
    /// let m = oxprof::sync::Mutex::new(1);
    /// let held = m.lock().unwrap();
    /// assert!(matches!(m.try_lock(), Err(std::sync::TryLockError::WouldBlock)));
    /// drop(held);
    /// assert!(m.try_lock().is_ok());
    /// ```
    pub fn try_lock(&self) -> TryLockResult<MutexGuard<'_, T>> {
        map_try(self.inner.try_lock(), |g| {
            MutexGuard::from_std(&self.tracker, g)
        })
    }

    /// Whether a thread panicked while holding the lock.
    ///
    /// ```
    /// assert!(!oxprof::sync::Mutex::new(()).is_poisoned());
    /// ```
    pub fn is_poisoned(&self) -> bool {
        self.inner.is_poisoned()
    }

    /// Clears the poisoned state.
    ///
    /// ```
    /// let m = oxprof::sync::Mutex::new(0);
    /// m.clear_poison();
    /// assert!(!m.is_poisoned());
    /// ```
    pub fn clear_poison(&self) {
        self.inner.clear_poison();
    }

    /// The data, through a unique borrow: no locking needed.
    ///
    /// ```
    /// let mut m = oxprof::sync::Mutex::new(0);
    /// *m.get_mut().unwrap() = 10;
    /// assert_eq!(*m.lock().unwrap(), 10);
    /// ```
    pub fn get_mut(&mut self) -> LockResult<&mut T> {
        self.inner.get_mut()
    }
}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    /// The guard of the mutex `tracker` belongs to, from std's guard of its inner mutex.
    pub(super) fn from_std(tracker: &'a Tracker, inner: std::sync::MutexGuard<'a, T>) -> Self {
        MutexGuard {
            tracker,
            inner: ManuallyDrop::new(inner),
        }
    }

    /// Gives up the guard for std's, charging the release it stands for (a condition
    /// variable's wait releases the lock).
    pub(super) fn into_std(self) -> std::sync::MutexGuard<'a, T> {
        self.tracker.unlocking();
        let mut this = ManuallyDrop::new(self);
        // SAFETY: `this` is never used or dropped again, so the inner guard is taken once.
        unsafe { ManuallyDrop::take(&mut this.inner) }
    }

    /// The tracker of the mutex this guard locks, to wrap the guard a condition variable's
    /// wait hands back.
    pub(super) fn tracker(&self) -> &'a Tracker {
        self.tracker
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        self.tracker.unlocking();
        // SAFETY: the inner guard is dropped here once; `into_std` takes it only from a guard
        // that is never dropped.
        unsafe { ManuallyDrop::drop(&mut self.inner) };
    }
}

crate::sync::guard_views!(MutexGuard [] [] mut);

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // std's form: `Mutex { data: .., poisoned: .., .. }`.
        fmt::Debug::fmt(&self.inner, f)
    }
}

impl<T> From<T> for Mutex<T> {
    /// ```
    /// let m = oxprof::sync::Mutex::from(3);
    /// assert_eq!(*m.lock().unwrap(), 3);
    /// ```
    fn from(t: T) -> Self {
        Mutex::new(t)
    }
}
