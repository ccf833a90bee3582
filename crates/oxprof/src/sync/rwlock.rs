//! [`RwLock`]: std's reader-writer lock with its waits and contended releases profiled.

use std::fmt;

use super::acquire::{acquire, map_lock, map_try};
use super::{LockResult, TryLockResult};
use crate::contention::Tracker;

/// A reader-writer lock, `std::sync::RwLock` with profiled waits: a reader or writer that
/// finds it unavailable records its wait in the [block](crate::block) profile, and every
/// release (of a read or a write lock) while threads wait is charged with their delay in the
/// [mutex](crate::mutex) profile, as Go charges `RWMutex`'s `RUnlock` and `Unlock`. Poisons
/// like std's when a writer panics.
///
/// ```
/// let lock = oxprof::sync::RwLock::new(5);
/// {
///     let (r1, r2) = (lock.read().unwrap(), lock.read().unwrap());
///     assert_eq!(*r1 + *r2, 10);
/// }
/// *lock.write().unwrap() += 1;
/// assert_eq!(*lock.read().unwrap(), 6);
/// ```
#[derive(Default)]
pub struct RwLock<T: ?Sized> {
    tracker: Tracker,
    inner: std::sync::RwLock<T>,
}

/// Shared access, released when dropped. `std::sync::RwLockReadGuard`'s counterpart.
///
/// ```
/// let lock = oxprof::sync::RwLock::new("shared");
/// let guard = lock.read().unwrap();
/// assert_eq!(*guard, "shared");
/// ```
#[must_use = "if unused the RwLock will immediately unlock"]
pub struct RwLockReadGuard<'a, T: ?Sized + 'a> {
    tracker: &'a Tracker,
    // Dropped after `Drop::drop` charged the release, so while the lock is still held.
    inner: std::sync::RwLockReadGuard<'a, T>,
}

/// Exclusive access, released when dropped. `std::sync::RwLockWriteGuard`'s counterpart.
///
/// ```
/// let lock = oxprof::sync::RwLock::new(vec![1]);
/// lock.write().unwrap().push(2);
/// assert_eq!(*lock.read().unwrap(), [1, 2]);
/// ```
#[must_use = "if unused the RwLock will immediately unlock"]
pub struct RwLockWriteGuard<'a, T: ?Sized + 'a> {
    tracker: &'a Tracker,
    // Dropped after `Drop::drop` charged the release, so while the lock is still held.
    inner: std::sync::RwLockWriteGuard<'a, T>,
}

impl<T> RwLock<T> {
    /// A new unlocked lock.
    ///
    /// ```
    /// static CONFIG: oxprof::sync::RwLock<Vec<String>> = oxprof::sync::RwLock::new(Vec::new());
    /// ```
    pub const fn new(t: T) -> RwLock<T> {
        RwLock {
            tracker: Tracker::new(),
            inner: std::sync::RwLock::new(t),
        }
    }

    /// Consumes the lock and returns the data; an error carrying it if the lock is poisoned.
    ///
    /// ```
    /// assert_eq!(oxprof::sync::RwLock::new(2).into_inner().unwrap(), 2);
    /// ```
    pub fn into_inner(self) -> LockResult<T> {
        self.inner.into_inner()
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Takes shared access, waiting while a writer holds (or, as std's lock prefers writers,
    /// waits for) the lock; an error carrying the guard if the lock is poisoned.
    ///
    /// ```
    /// let lock = oxprof::sync::RwLock::new(1);
    /// assert_eq!(*lock.read().unwrap(), 1);
    /// ```
    pub fn read(&self) -> LockResult<RwLockReadGuard<'_, T>> {
        let result = acquire(
            &self.tracker,
            || self.inner.try_read(),
            || self.inner.read(),
        );
        map_lock(result, |inner| self.read_guard(inner))
    }

    /// Takes shared access if available now: `WouldBlock` if not, `Poisoned` (carrying the
    /// guard) if the lock is poisoned.
    ///
    /// ```
    /// let lock = oxprof::sync::RwLock::new(1);
    /// let writer = lock.write().unwrap();
    /// assert!(matches!(lock.try_read(), Err(std::sync::TryLockError::WouldBlock)));
    /// # drop(writer);
    /// ```
    pub fn try_read(&self) -> TryLockResult<RwLockReadGuard<'_, T>> {
        map_try(self.inner.try_read(), |inner| self.read_guard(inner))
    }

    /// Takes exclusive access, waiting for readers and writers to finish; an error carrying
    /// the guard if the lock is poisoned.
    ///
    /// ```
    /// let lock = oxprof::sync::RwLock::new(1);
    /// *lock.write().unwrap() = 2;
    /// assert_eq!(*lock.read().unwrap(), 2);
    /// ```
    pub fn write(&self) -> LockResult<RwLockWriteGuard<'_, T>> {
        let result = acquire(
            &self.tracker,
            || self.inner.try_write(),
            || self.inner.write(),
        );
        map_lock(result, |inner| self.write_guard(inner))
    }

    /// Takes exclusive access if available now: `WouldBlock` if not, `Poisoned` (carrying the
    /// guard) if the lock is poisoned.
    ///
    /// ```
    /// let lock = oxprof::sync::RwLock::new(1);
    /// let reader = lock.read().unwrap();
    /// assert!(matches!(lock.try_write(), Err(std::sync::TryLockError::WouldBlock)));
    /// # drop(reader);
    /// ```
    pub fn try_write(&self) -> TryLockResult<RwLockWriteGuard<'_, T>> {
        map_try(self.inner.try_write(), |inner| self.write_guard(inner))
    }

    /// Whether a writer panicked while holding the lock.
    ///
    /// ```
    /// assert!(!oxprof::sync::RwLock::new(()).is_poisoned());
    /// ```
    pub fn is_poisoned(&self) -> bool {
        self.inner.is_poisoned()
    }

    /// Clears the poisoned state.
    ///
    /// ```
    /// let lock = oxprof::sync::RwLock::new(());
    /// lock.clear_poison();
    /// assert!(!lock.is_poisoned());
    /// ```
    pub fn clear_poison(&self) {
        self.inner.clear_poison();
    }

    /// The data, through a unique borrow: no locking needed.
    ///
    /// ```
    /// let mut lock = oxprof::sync::RwLock::new(0);
    /// *lock.get_mut().unwrap() = 4;
    /// assert_eq!(*lock.read().unwrap(), 4);
    /// ```
    pub fn get_mut(&mut self) -> LockResult<&mut T> {
        self.inner.get_mut()
    }

    fn read_guard<'a>(
        &'a self,
        inner: std::sync::RwLockReadGuard<'a, T>,
    ) -> RwLockReadGuard<'a, T> {
        RwLockReadGuard {
            tracker: &self.tracker,
            inner,
        }
    }

    fn write_guard<'a>(
        &'a self,
        inner: std::sync::RwLockWriteGuard<'a, T>,
    ) -> RwLockWriteGuard<'a, T> {
        RwLockWriteGuard {
            tracker: &self.tracker,
            inner,
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
    }
}

crate::sync::guard_views!(RwLockReadGuard [] []);
crate::sync::guard_views!(RwLockWriteGuard [] [] mut);

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // std's form: `RwLock { data: .., poisoned: .., .. }`.
        fmt::Debug::fmt(&self.inner, f)
    }
}

impl<T> From<T> for RwLock<T> {
    /// ```
    /// let lock = oxprof::sync::RwLock::from(3);
    /// assert_eq!(*lock.read().unwrap(), 3);
    /// ```
    fn from(t: T) -> Self {
        RwLock::new(t)
    }
}
