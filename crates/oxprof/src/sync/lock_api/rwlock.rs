//! [`RwLock`]: `lock_api`'s reader-writer lock with its waits and contended releases profiled.

use std::fmt;
use std::mem::ManuallyDrop;

use lock_api::{RawRwLock, RawRwLockDowngrade, RawRwLockTimed, RawRwLockUpgrade};

use super::wait::{acquire, wait};
use crate::contention::Tracker;

/// A reader-writer lock over any `lock_api` raw lock `R`, `lock_api::RwLock<R, T>` with
/// profiled waits: a reader, writer or upgrader that finds it unavailable records its wait in
/// the [block](crate::block) profile, and every release (read, write or upgradable) while
/// threads wait is charged with their delay in the [mutex](crate::mutex) profile, as Go
/// charges `RWMutex`'s `RUnlock` and `Unlock`. No poisoning.
/// [`parking_lot::RwLock`](crate::sync::parking_lot::RwLock) names it for parking_lot's raw
/// lock.
///
/// ```
/// let lock = oxprof::sync::parking_lot::RwLock::new(5);
/// {
///     let (r1, r2) = (lock.read(), lock.read());
///     assert_eq!(*r1 + *r2, 10);
/// }
/// *lock.write() += 1;
/// assert_eq!(*lock.read(), 6);
/// ```
pub struct RwLock<R, T: ?Sized> {
    tracker: Tracker,
    inner: lock_api::RwLock<R, T>,
}

/// Shared access, released when dropped. `lock_api::RwLockReadGuard`'s counterpart.
///
/// ```
/// let lock = oxprof::sync::parking_lot::RwLock::new("shared");
/// let guard = lock.read();
/// assert_eq!(*guard, "shared");
/// ```
#[must_use = "if unused the RwLock will immediately unlock"]
pub struct RwLockReadGuard<'a, R: RawRwLock, T: ?Sized> {
    tracker: &'a Tracker,
    // Dropped after `Drop::drop` charged the release, so while the lock is still held.
    inner: lock_api::RwLockReadGuard<'a, R, T>,
}

/// Exclusive access, released when dropped. `lock_api::RwLockWriteGuard`'s counterpart.
///
/// ```
/// let lock = oxprof::sync::parking_lot::RwLock::new(vec![1]);
/// lock.write().push(2);
/// assert_eq!(*lock.read(), [1, 2]);
/// ```
#[must_use = "if unused the RwLock will immediately unlock"]
pub struct RwLockWriteGuard<'a, R: RawRwLock, T: ?Sized> {
    lock: &'a RwLock<R, T>,
    // Dropped by hand, after the tracker charges the release while the lock is still held.
    inner: ManuallyDrop<lock_api::RwLockWriteGuard<'a, R, T>>,
}

/// Shared access that can be upgraded to exclusive access without letting another writer in
/// first; only one upgradable reader at a time. `lock_api::RwLockUpgradableReadGuard`'s
/// counterpart.
///
/// ```
/// use oxprof::sync::parking_lot::{RwLock, RwLockUpgradableReadGuard};
/// let lock = RwLock::new(1);
/// let reader = lock.upgradable_read();
/// if *reader == 1 {
///     *RwLockUpgradableReadGuard::upgrade(reader) = 2;
/// }
/// assert_eq!(*lock.read(), 2);
/// ```
#[must_use = "if unused the RwLock will immediately unlock"]
pub struct RwLockUpgradableReadGuard<'a, R: RawRwLockUpgrade, T: ?Sized> {
    lock: &'a RwLock<R, T>,
    // Dropped by hand, after the tracker charges the release while the lock is still held.
    inner: ManuallyDrop<lock_api::RwLockUpgradableReadGuard<'a, R, T>>,
}

impl<R: RawRwLock, T> RwLock<R, T> {
    /// A new unlocked lock.
    ///
    /// ```
    /// static CONFIG: oxprof::sync::parking_lot::RwLock<Vec<String>> =
    ///     oxprof::sync::parking_lot::RwLock::new(Vec::new());
    /// ```
    pub const fn new(val: T) -> RwLock<R, T> {
        RwLock {
            tracker: Tracker::new(),
            inner: lock_api::RwLock::new(val),
        }
    }

    /// Consumes the lock and returns the data.
    ///
    /// ```
    /// assert_eq!(oxprof::sync::parking_lot::RwLock::new(2).into_inner(), 2);
    /// ```
    pub fn into_inner(self) -> T {
        self.inner.into_inner()
    }
}

impl<R: RawRwLock, T: ?Sized> RwLock<R, T> {
    /// Takes shared access, waiting while a writer holds (or, with parking_lot's fair
    /// policy, waits for) the lock.
    ///
    /// ```
    /// let lock = oxprof::sync::parking_lot::RwLock::new(1);
    /// assert_eq!(*lock.read(), 1);
    /// ```
    pub fn read(&self) -> RwLockReadGuard<'_, R, T> {
        let inner = acquire(
            &self.tracker,
            || self.inner.try_read(),
            || self.inner.read(),
            |_| true,
        );
        self.read_guard(inner)
    }

    /// Takes shared access if available now.
    ///
    /// ```
    /// let lock = oxprof::sync::parking_lot::RwLock::new(1);
    /// let writer = lock.write();
    /// assert!(lock.try_read().is_none());
    /// # drop(writer);
    /// ```
    pub fn try_read(&self) -> Option<RwLockReadGuard<'_, R, T>> {
        self.inner.try_read().map(|inner| self.read_guard(inner))
    }

    /// Takes exclusive access, waiting for readers and writers to finish.
    ///
    /// ```
    /// let lock = oxprof::sync::parking_lot::RwLock::new(1);
    /// *lock.write() = 2;
    /// assert_eq!(*lock.read(), 2);
    /// ```
    pub fn write(&self) -> RwLockWriteGuard<'_, R, T> {
        let inner = acquire(
            &self.tracker,
            || self.inner.try_write(),
            || self.inner.write(),
            |_| true,
        );
        self.write_guard(inner)
    }

    /// Takes exclusive access if available now.
    ///
    /// ```
    /// let lock = oxprof::sync::parking_lot::RwLock::new(1);
    /// let reader = lock.read();
    /// assert!(lock.try_write().is_none());
    /// # drop(reader);
    /// ```
    pub fn try_write(&self) -> Option<RwLockWriteGuard<'_, R, T>> {
        self.inner.try_write().map(|inner| self.write_guard(inner))
    }

    /// The data, through a unique borrow: no locking needed.
    ///
    /// ```
    /// let mut lock = oxprof::sync::parking_lot::RwLock::new(0);
    /// *lock.get_mut() = 4;
    /// assert_eq!(*lock.read(), 4);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.inner.get_mut()
    }

    /// Whether the lock is held now, shared or exclusive.
    ///
    /// ```
    /// let lock = oxprof::sync::parking_lot::RwLock::new(());
    /// let reader = lock.read();
    /// assert!(lock.is_locked() && !lock.is_locked_exclusive());
    /// # drop(reader);
    /// ```
    pub fn is_locked(&self) -> bool {
        self.inner.is_locked()
    }

    /// Whether a writer holds the lock now.
    ///
    /// ```
    /// let lock = oxprof::sync::parking_lot::RwLock::new(());
    /// let writer = lock.write();
    /// assert!(lock.is_locked_exclusive());
    /// # drop(writer);
    /// ```
    pub fn is_locked_exclusive(&self) -> bool {
        self.inner.is_locked_exclusive()
    }

    /// A raw pointer to the data, as `lock_api`'s: the caller makes sure of the access rules.
    ///
    /// ```
    /// let lock = oxprof::sync::parking_lot::RwLock::new(3);
    /// let guard = lock.read();
    /// // SAFETY: a read lock is held, and nothing writes meanwhile.
    /// assert_eq!(unsafe { *lock.data_ptr() }, 3);
    /// # drop(guard);
    /// ```
    pub fn data_ptr(&self) -> *mut T {
        self.inner.data_ptr()
    }

    fn read_guard<'a>(
        &'a self,
        inner: lock_api::RwLockReadGuard<'a, R, T>,
    ) -> RwLockReadGuard<'a, R, T> {
        RwLockReadGuard {
            tracker: &self.tracker,
            inner,
        }
    }

    fn write_guard<'a>(
        &'a self,
        inner: lock_api::RwLockWriteGuard<'a, R, T>,
    ) -> RwLockWriteGuard<'a, R, T> {
        RwLockWriteGuard {
            lock: self,
            inner: ManuallyDrop::new(inner),
        }
    }
}

impl<R: RawRwLockTimed, T: ?Sized> RwLock<R, T> {
    /// [`read`](RwLock::read), waiting at most `timeout`; `None` if it did not get in. A
    /// wait that gets the lock is profiled; one that gives up is not.
    ///
    /// ```
    /// let lock = oxprof::sync::parking_lot::RwLock::new(1);
    /// let writer = lock.write();
    /// assert!(lock.try_read_for(std::time::Duration::from_millis(1)).is_none());
    /// # drop(writer);
    /// ```
    pub fn try_read_for(&self, timeout: R::Duration) -> Option<RwLockReadGuard<'_, R, T>> {
        acquire(
            &self.tracker,
            || self.inner.try_read().map(Some),
            || self.inner.try_read_for(timeout),
            Option::is_some,
        )
        .map(|inner| self.read_guard(inner))
    }

    /// [`read`](RwLock::read), waiting until `timeout` at most.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let lock = oxprof::sync::parking_lot::RwLock::new(1);
    /// assert!(lock.try_read_until(Instant::now() + Duration::from_millis(1)).is_some());
    /// ```
    pub fn try_read_until(&self, timeout: R::Instant) -> Option<RwLockReadGuard<'_, R, T>> {
        acquire(
            &self.tracker,
            || self.inner.try_read().map(Some),
            || self.inner.try_read_until(timeout),
            Option::is_some,
        )
        .map(|inner| self.read_guard(inner))
    }

    /// [`write`](RwLock::write), waiting at most `timeout`; `None` if it did not get in.
    ///
    /// ```
    /// let lock = oxprof::sync::parking_lot::RwLock::new(1);
    /// let reader = lock.read();
    /// assert!(lock.try_write_for(std::time::Duration::from_millis(1)).is_none());
    /// # drop(reader);
    /// ```
    pub fn try_write_for(&self, timeout: R::Duration) -> Option<RwLockWriteGuard<'_, R, T>> {
        acquire(
            &self.tracker,
            || self.inner.try_write().map(Some),
            || self.inner.try_write_for(timeout),
            Option::is_some,
        )
        .map(|inner| self.write_guard(inner))
    }

    /// [`write`](RwLock::write), waiting until `timeout` at most.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let lock = oxprof::sync::parking_lot::RwLock::new(1);
    /// assert!(lock.try_write_until(Instant::now() + Duration::from_millis(1)).is_some());
    /// ```
    pub fn try_write_until(&self, timeout: R::Instant) -> Option<RwLockWriteGuard<'_, R, T>> {
        acquire(
            &self.tracker,
            || self.inner.try_write().map(Some),
            || self.inner.try_write_until(timeout),
            Option::is_some,
        )
        .map(|inner| self.write_guard(inner))
    }
}

impl<R: RawRwLockUpgrade, T: ?Sized> RwLock<R, T> {
    /// Takes upgradable shared access, waiting while a writer or another upgradable reader
    /// holds the lock.
    ///
    /// ```
    /// let lock = oxprof::sync::parking_lot::RwLock::new(1);
    /// let (a, b) = (lock.upgradable_read(), lock.read());
    /// assert_eq!(*a + *b, 2);
    /// ```
    pub fn upgradable_read(&self) -> RwLockUpgradableReadGuard<'_, R, T> {
        let inner = acquire(
            &self.tracker,
            || self.inner.try_upgradable_read(),
            || self.inner.upgradable_read(),
            |_| true,
        );
        self.upgradable_guard(inner)
    }

    /// Takes upgradable shared access if available now.
    ///
    /// ```
    /// let lock = oxprof::sync::parking_lot::RwLock::new(1);
    /// let first = lock.upgradable_read();
    /// assert!(lock.try_upgradable_read().is_none());
    /// # drop(first);
    /// ```
    pub fn try_upgradable_read(&self) -> Option<RwLockUpgradableReadGuard<'_, R, T>> {
        self.inner
            .try_upgradable_read()
            .map(|inner| self.upgradable_guard(inner))
    }

    fn upgradable_guard<'a>(
        &'a self,
        inner: lock_api::RwLockUpgradableReadGuard<'a, R, T>,
    ) -> RwLockUpgradableReadGuard<'a, R, T> {
        RwLockUpgradableReadGuard {
            lock: self,
            inner: ManuallyDrop::new(inner),
        }
    }
}

impl<'a, R: RawRwLock + 'a, T: ?Sized + 'a> RwLockWriteGuard<'a, R, T> {
    /// Gives up the guard for `lock_api`'s, without releasing.
    fn into_inner(s: Self) -> lock_api::RwLockWriteGuard<'a, R, T> {
        let mut s = ManuallyDrop::new(s);
        // SAFETY: `s` is never used or dropped again, so the inner guard is taken once.
        unsafe { ManuallyDrop::take(&mut s.inner) }
    }
}

impl<'a, R: RawRwLockDowngrade + 'a, T: ?Sized + 'a> RwLockWriteGuard<'a, R, T> {
    /// Turns exclusive access into shared access without letting a writer in between: the
    /// end of the write's critical section, charged as a release if threads wait.
    ///
    /// ```
    /// use oxprof::sync::parking_lot::{RwLock, RwLockWriteGuard};
    /// let lock = RwLock::new(1);
    /// let mut writer = lock.write();
    /// *writer = 2;
    /// let reader = RwLockWriteGuard::downgrade(writer);
    /// assert_eq!((*reader, *lock.read()), (2, 2));
    /// ```
    pub fn downgrade(s: Self) -> RwLockReadGuard<'a, R, T> {
        let lock = s.lock;
        lock.tracker.unlocking();
        lock.read_guard(lock_api::RwLockWriteGuard::downgrade(Self::into_inner(s)))
    }
}

impl<'a, R: RawRwLockUpgrade + 'a, T: ?Sized + 'a> RwLockUpgradableReadGuard<'a, R, T> {
    /// Upgrades to exclusive access, waiting for the other readers to leave: a profiled wait
    /// when there is one.
    ///
    /// ```
    /// use oxprof::sync::parking_lot::{RwLock, RwLockUpgradableReadGuard};
    /// let lock = RwLock::new(vec![1]);
    /// let reader = lock.upgradable_read();
    /// RwLockUpgradableReadGuard::upgrade(reader).push(2);
    /// assert_eq!(*lock.read(), [1, 2]);
    /// ```
    pub fn upgrade(s: Self) -> RwLockWriteGuard<'a, R, T> {
        match Self::try_upgrade(s) {
            Ok(writer) => writer,
            Err(s) => {
                let lock = s.lock;
                let inner = Self::into_inner(s);
                let writer = wait(
                    &lock.tracker,
                    || lock_api::RwLockUpgradableReadGuard::upgrade(inner),
                    |_| true,
                );
                lock.write_guard(writer)
            }
        }
    }

    /// Upgrades to exclusive access if no other reader is in; the guard back if one is.
    ///
    /// ```
    /// use oxprof::sync::parking_lot::{RwLock, RwLockUpgradableReadGuard};
    /// let lock = RwLock::new(1);
    /// let reader = lock.upgradable_read();
    /// let other = lock.read();
    /// let reader = RwLockUpgradableReadGuard::try_upgrade(reader).unwrap_err();
    /// drop(other);
    /// assert!(RwLockUpgradableReadGuard::try_upgrade(reader).is_ok());
    /// ```
    pub fn try_upgrade(s: Self) -> Result<RwLockWriteGuard<'a, R, T>, Self> {
        let lock = s.lock;
        match lock_api::RwLockUpgradableReadGuard::try_upgrade(Self::into_inner(s)) {
            Ok(writer) => Ok(lock.write_guard(writer)),
            Err(inner) => Err(lock.upgradable_guard(inner)),
        }
    }

    /// Gives up the guard for `lock_api`'s, without releasing.
    fn into_inner(s: Self) -> lock_api::RwLockUpgradableReadGuard<'a, R, T> {
        let mut s = ManuallyDrop::new(s);
        // SAFETY: `s` is never used or dropped again, so the inner guard is taken once.
        unsafe { ManuallyDrop::take(&mut s.inner) }
    }
}

impl<R: RawRwLock, T: ?Sized> Drop for RwLockReadGuard<'_, R, T> {
    #[inline]
    fn drop(&mut self) {
        self.tracker.unlocking();
    }
}

impl<R: RawRwLock, T: ?Sized> Drop for RwLockWriteGuard<'_, R, T> {
    #[inline]
    fn drop(&mut self) {
        self.lock.tracker.unlocking();
        // SAFETY: the inner guard is dropped here once; `into_inner` takes it only from a
        // guard that is never dropped.
        unsafe { ManuallyDrop::drop(&mut self.inner) };
    }
}

impl<R: RawRwLockUpgrade, T: ?Sized> Drop for RwLockUpgradableReadGuard<'_, R, T> {
    #[inline]
    fn drop(&mut self) {
        self.lock.tracker.unlocking();
        // SAFETY: the inner guard is dropped here once; `into_inner` takes it only from a
        // guard that is never dropped.
        unsafe { ManuallyDrop::drop(&mut self.inner) };
    }
}

crate::sync::guard_views!(RwLockReadGuard [R: RawRwLock] [R]);
crate::sync::guard_views!(RwLockWriteGuard [R: RawRwLock] [R] mut);
crate::sync::guard_views!(RwLockUpgradableReadGuard [R: RawRwLockUpgrade] [R]);

impl<R: RawRwLock, T: ?Sized + fmt::Debug> fmt::Debug for RwLock<R, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // lock_api's form: `RwLock { data: .. }`, or `<locked>` while written.
        fmt::Debug::fmt(&self.inner, f)
    }
}

impl<R: RawRwLock, T: Default> Default for RwLock<R, T> {
    fn default() -> Self {
        RwLock::new(T::default())
    }
}

impl<R: RawRwLock, T> From<T> for RwLock<R, T> {
    /// ```
    /// let lock = oxprof::sync::parking_lot::RwLock::from(3);
    /// assert_eq!(*lock.read(), 3);
    /// ```
    fn from(t: T) -> Self {
        RwLock::new(t)
    }
}
