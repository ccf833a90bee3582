//! [`Mutex`]: `lock_api`'s mutex with its waits and contended releases profiled.

use std::fmt;
use std::mem::ManuallyDrop;

use lock_api::{RawMutex, RawMutexFair, RawMutexTimed};

use super::wait::acquire;
use crate::contention::Tracker;

/// A mutual exclusion lock over any `lock_api` raw mutex `R`, `lock_api::Mutex<R, T>` with
/// profiled waits: a thread that finds it locked records its wait in the
/// [block](crate::block) profile, and the thread that then unlocks it is charged with its
/// waiters' delay in the [mutex](crate::mutex) profile. No poisoning, as `lock_api`'s.
/// [`parking_lot::Mutex`](crate::sync::parking_lot::Mutex) and
/// [`FairMutex`](crate::sync::parking_lot::FairMutex) name it for parking_lot's raw locks.
///
/// ```
/// use oxprof::sync::parking_lot::Mutex;
/// use std::sync::Arc;
///
/// let counter = Arc::new(Mutex::new(0));
/// let handles: Vec<_> = (0..4)
///     .map(|_| {
///         let counter = Arc::clone(&counter);
///         std::thread::spawn(move || *counter.lock() += 1)
///     })
///     .collect();
/// for h in handles {
///     h.join().unwrap();
/// }
/// assert_eq!(*counter.lock(), 4);
/// ```
pub struct Mutex<R, T: ?Sized> {
    tracker: Tracker,
    inner: lock_api::Mutex<R, T>,
}

/// The lock held: derefs to the data, unlocks when dropped. `lock_api::MutexGuard`'s
/// counterpart.
///
/// ```
/// let m = oxprof::sync::parking_lot::Mutex::new(vec![1]);
/// let mut guard = m.lock();
/// guard.push(2);
/// assert_eq!(*guard, [1, 2]);
/// ```
#[must_use = "if unused the Mutex will immediately unlock"]
pub struct MutexGuard<'a, R: RawMutex, T: ?Sized> {
    mutex: &'a Mutex<R, T>,
    // Dropped by hand, after the tracker charges the release while the lock is still held.
    inner: ManuallyDrop<lock_api::MutexGuard<'a, R, T>>,
}

/// The lock held, giving access to a part of the data: from [`MutexGuard::map`]. Unlocks when
/// dropped. `lock_api::MappedMutexGuard`'s counterpart.
///
/// ```
/// use oxprof::sync::parking_lot::{MappedMutexGuard, Mutex, MutexGuard};
///
/// let m = Mutex::new((1, String::from("a")));
/// let mut name: MappedMutexGuard<'_, String> = MutexGuard::map(m.lock(), |pair| &mut pair.1);
/// name.push('b');
/// drop(name);
/// assert_eq!(m.lock().1, "ab");
/// ```
#[must_use = "if unused the Mutex will immediately unlock"]
pub struct MappedMutexGuard<'a, R: RawMutex, T: ?Sized> {
    tracker: &'a Tracker,
    // Dropped by hand, after the tracker charges the release while the lock is still held.
    inner: ManuallyDrop<lock_api::MappedMutexGuard<'a, R, T>>,
}

impl<R: RawMutex, T> Mutex<R, T> {
    /// A new unlocked mutex.
    ///
    /// ```
    /// static LOCK: oxprof::sync::parking_lot::Mutex<u32> = oxprof::sync::parking_lot::Mutex::new(0);
    /// ```
    pub const fn new(val: T) -> Mutex<R, T> {
        Mutex {
            tracker: Tracker::new(),
            inner: lock_api::Mutex::new(val),
        }
    }

    /// Consumes the mutex and returns the data.
    ///
    /// ```
    /// assert_eq!(oxprof::sync::parking_lot::Mutex::new(7).into_inner(), 7);
    /// ```
    pub fn into_inner(self) -> T {
        self.inner.into_inner()
    }
}

impl<R: RawMutex, T: ?Sized> Mutex<R, T> {
    /// Locks the mutex, waiting until it is free. A wait is profiled only when there is one.
    ///
    /// ```
    /// let m = oxprof::sync::parking_lot::Mutex::new(1);
    /// *m.lock() += 1;
    /// assert_eq!(*m.lock(), 2);
    /// ```
    pub fn lock(&self) -> MutexGuard<'_, R, T> {
        let inner = acquire(
            &self.tracker,
            || self.inner.try_lock(),
            || self.inner.lock(),
            |_| true,
        );
        self.guard(inner)
    }

    /// Locks the mutex if it is free, without waiting.
    ///
    /// ```
    /// let m = oxprof::sync::parking_lot::Mutex::new(1);
    /// let held = m.lock();
    /// assert!(m.try_lock().is_none());
    /// drop(held);
    /// assert!(m.try_lock().is_some());
    /// ```
    pub fn try_lock(&self) -> Option<MutexGuard<'_, R, T>> {
        self.inner.try_lock().map(|inner| self.guard(inner))
    }

    /// The data, through a unique borrow: no locking needed.
    ///
    /// ```
    /// let mut m = oxprof::sync::parking_lot::Mutex::new(0);
    /// *m.get_mut() = 10;
    /// assert_eq!(*m.lock(), 10);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.inner.get_mut()
    }

    /// Whether the mutex is locked now (by any thread).
    ///
    /// ```
    /// let m = oxprof::sync::parking_lot::Mutex::new(());
    /// let held = m.lock();
    /// assert!(m.is_locked());
    /// # drop(held);
    /// ```
    pub fn is_locked(&self) -> bool {
        self.inner.is_locked()
    }

    /// A raw pointer to the data, as `lock_api`'s: the caller makes sure of exclusive access.
    ///
    /// ```
    /// let m = oxprof::sync::parking_lot::Mutex::new(3);
    /// let guard = m.lock();
    /// // SAFETY: the lock is held, and nothing else reads the data meanwhile.
    /// assert_eq!(unsafe { *m.data_ptr() }, 3);
    /// # drop(guard);
    /// ```
    pub fn data_ptr(&self) -> *mut T {
        self.inner.data_ptr()
    }

    fn guard<'a>(&'a self, inner: lock_api::MutexGuard<'a, R, T>) -> MutexGuard<'a, R, T> {
        MutexGuard {
            mutex: self,
            inner: ManuallyDrop::new(inner),
        }
    }
}

impl<R: RawMutexTimed, T: ?Sized> Mutex<R, T> {
    /// Locks the mutex, waiting at most `timeout`; `None` if it stayed locked. A wait that
    /// gets the lock is profiled; one that gives up is not.
    ///
    /// ```
    /// let m = oxprof::sync::parking_lot::Mutex::new(0);
    /// let held = m.lock();
    /// assert!(m.try_lock_for(std::time::Duration::from_millis(1)).is_none());
    /// drop(held);
    /// assert!(m.try_lock_for(std::time::Duration::from_millis(1)).is_some());
    /// ```
    pub fn try_lock_for(&self, timeout: R::Duration) -> Option<MutexGuard<'_, R, T>> {
        acquire(
            &self.tracker,
            || self.inner.try_lock().map(Some),
            || self.inner.try_lock_for(timeout),
            Option::is_some,
        )
        .map(|inner| self.guard(inner))
    }

    /// Locks the mutex, waiting until `timeout` at most; `None` if it stayed locked.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let m = oxprof::sync::parking_lot::Mutex::new(0);
    /// assert!(m.try_lock_until(Instant::now() + Duration::from_millis(1)).is_some());
    /// ```
    pub fn try_lock_until(&self, timeout: R::Instant) -> Option<MutexGuard<'_, R, T>> {
        acquire(
            &self.tracker,
            || self.inner.try_lock().map(Some),
            || self.inner.try_lock_until(timeout),
            Option::is_some,
        )
        .map(|inner| self.guard(inner))
    }
}

impl<'a, R: RawMutex + 'a, T: ?Sized + 'a> MutexGuard<'a, R, T> {
    /// The mutex this guard locks. An associated function, as `lock_api`'s, so it does not
    /// hide a method of the data.
    ///
    /// ```
    /// use oxprof::sync::parking_lot::{Mutex, MutexGuard};
    /// let m = Mutex::new(0);
    /// let guard = m.lock();
    /// assert!(std::ptr::eq(MutexGuard::mutex(&guard), &m));
    /// ```
    pub fn mutex(s: &Self) -> &'a Mutex<R, T> {
        s.mutex
    }

    /// A guard of a part of the data, still holding the lock.
    ///
    /// ```
    /// use oxprof::sync::parking_lot::{Mutex, MutexGuard};
    /// let m = Mutex::new([1, 2, 3]);
    /// let mut last = MutexGuard::map(m.lock(), |a| &mut a[2]);
    /// *last = 30;
    /// # drop(last);
    /// assert_eq!(*m.lock(), [1, 2, 30]);
    /// ```
    pub fn map<U: ?Sized, F>(s: Self, f: F) -> MappedMutexGuard<'a, R, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        let (mutex, inner) = Self::into_parts(s);
        MappedMutexGuard {
            tracker: &mutex.tracker,
            inner: ManuallyDrop::new(lock_api::MutexGuard::map(inner, f)),
        }
    }

    /// Gives up the guard for `lock_api`'s and the mutex it locks, without releasing.
    fn into_parts(s: Self) -> (&'a Mutex<R, T>, lock_api::MutexGuard<'a, R, T>) {
        let mut s = ManuallyDrop::new(s);
        // SAFETY: `s` is never used or dropped again, so the inner guard is taken once.
        let inner = unsafe { ManuallyDrop::take(&mut s.inner) };
        (s.mutex, inner)
    }
}

impl<'a, R: RawMutex + 'a, T: ?Sized + 'a> MutexGuard<'a, R, T> {
    /// The mutex's tracker and `lock_api`'s guard, for a condition variable's waits, which
    /// give up the lock: each is charged to the tracker while the lock is still held.
    pub(in crate::sync) fn for_condvar(
        &mut self,
    ) -> (&'a Tracker, &mut lock_api::MutexGuard<'a, R, T>) {
        (&self.mutex.tracker, &mut self.inner)
    }
}

impl<'a, R: RawMutexFair + 'a, T: ?Sized + 'a> MutexGuard<'a, R, T> {
    /// Unlocks with a fair unlock: the lock goes straight to a waiting thread, if any.
    ///
    /// ```
    /// use oxprof::sync::parking_lot::{Mutex, MutexGuard};
    /// let m = Mutex::new(0);
    /// MutexGuard::unlock_fair(m.lock());
    /// assert!(!m.is_locked());
    /// ```
    pub fn unlock_fair(s: Self) {
        s.mutex.tracker.unlocking();
        let (_, inner) = Self::into_parts(s);
        lock_api::MutexGuard::unlock_fair(inner);
    }
}

impl<'a, R: RawMutex + 'a, T: ?Sized + 'a> MappedMutexGuard<'a, R, T> {
    /// A guard of a part of this part, still holding the lock.
    ///
    /// ```
    /// use oxprof::sync::parking_lot::{MappedMutexGuard, Mutex, MutexGuard};
    /// let m = Mutex::new(((1, 2), 3));
    /// let inner = MutexGuard::map(m.lock(), |t| &mut t.0);
    /// let second = MappedMutexGuard::map(inner, |pair| &mut pair.1);
    /// assert_eq!(*second, 2);
    /// ```
    pub fn map<U: ?Sized, F>(s: Self, f: F) -> MappedMutexGuard<'a, R, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        let mut s = ManuallyDrop::new(s);
        // SAFETY: `s` is never used or dropped again, so the inner guard is taken once.
        let inner = unsafe { ManuallyDrop::take(&mut s.inner) };
        MappedMutexGuard {
            tracker: s.tracker,
            inner: ManuallyDrop::new(lock_api::MappedMutexGuard::map(inner, f)),
        }
    }
}

impl<R: RawMutex, T: ?Sized> Drop for MutexGuard<'_, R, T> {
    #[inline]
    fn drop(&mut self) {
        self.mutex.tracker.unlocking();
        // SAFETY: the inner guard is dropped here once; `into_parts` takes it only from a
        // guard that is never dropped.
        unsafe { ManuallyDrop::drop(&mut self.inner) };
    }
}

impl<R: RawMutex, T: ?Sized> Drop for MappedMutexGuard<'_, R, T> {
    #[inline]
    fn drop(&mut self) {
        self.tracker.unlocking();
        // SAFETY: the inner guard is dropped here once; `map` takes it only from a guard that
        // is never dropped.
        unsafe { ManuallyDrop::drop(&mut self.inner) };
    }
}

crate::sync::guard_views!(MutexGuard [R: RawMutex] [R] mut);
crate::sync::guard_views!(MappedMutexGuard [R: RawMutex] [R] mut);

impl<R: RawMutex, T: ?Sized + fmt::Debug> fmt::Debug for Mutex<R, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // lock_api's form: `Mutex { data: .. }`, or `<locked>` while held.
        fmt::Debug::fmt(&self.inner, f)
    }
}

impl<R: RawMutex, T: Default> Default for Mutex<R, T> {
    fn default() -> Self {
        Mutex::new(T::default())
    }
}

impl<R: RawMutex, T> From<T> for Mutex<R, T> {
    /// ```
    /// let m = oxprof::sync::parking_lot::Mutex::from(3);
    /// assert_eq!(*m.lock(), 3);
    /// ```
    fn from(t: T) -> Self {
        Mutex::new(t)
    }
}
