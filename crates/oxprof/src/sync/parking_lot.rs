//! parking_lot's locks with their waits profiled: `Mutex`, `FairMutex`, `RwLock` and
//! `Condvar` with parking_lot's API and semantics (no poisoning, `lock()` returns the guard),
//! whose waits feed the [block](crate::block) profile and whose contended releases feed the
//! [mutex](crate::mutex) profile. Change the `use` line:
//!
//! ```
//! use oxprof::sync::parking_lot::{Condvar, Mutex};   // instead of parking_lot::{...}
//! use std::sync::Arc;
//!
//! let pair = Arc::new((Mutex::new(false), Condvar::new()));
//! let pair2 = Arc::clone(&pair);
//! std::thread::spawn(move || {
//!     let (lock, cvar) = &*pair2;
//!     *lock.lock() = true;
//!     cvar.notify_one();
//! });
//! let (lock, cvar) = &*pair;
//! let mut started = lock.lock();
//! cvar.wait_while(&mut started, |started| !*started);
//! ```
//!
//! The locks are [`sync::lock_api`](super::lock_api)'s generic wrappers over parking_lot's raw
//! locks, as parking_lot's own are `lock_api`'s. Behind the `parking_lot` feature.

use std::fmt;
use std::time::{Duration, Instant};

pub use parking_lot::{RawFairMutex, RawMutex, RawRwLock, WaitTimeoutResult};

use super::lock_api;

/// parking_lot's mutex, profiled: [`lock_api::Mutex`] over [`RawMutex`].
///
/// ```
/// let m = oxprof::sync::parking_lot::Mutex::new(0);
/// *m.lock() += 1;
/// assert_eq!(*m.lock(), 1);
/// ```
pub type Mutex<T> = lock_api::Mutex<RawMutex, T>;
/// The guard of a [`Mutex`].
///
/// ```
/// let m = oxprof::sync::parking_lot::Mutex::new(1);
/// let guard: oxprof::sync::parking_lot::MutexGuard<'_, i32> = m.lock();
/// assert_eq!(*guard, 1);
/// ```
pub type MutexGuard<'a, T> = lock_api::MutexGuard<'a, RawMutex, T>;
/// A [`MutexGuard`] mapped to a part of the data.
///
/// ```
/// use oxprof::sync::parking_lot::{MappedMutexGuard, Mutex, MutexGuard};
/// let m = Mutex::new((1, 2));
/// let first: MappedMutexGuard<'_, i32> = MutexGuard::map(m.lock(), |p| &mut p.0);
/// assert_eq!(*first, 1);
/// ```
pub type MappedMutexGuard<'a, T> = lock_api::MappedMutexGuard<'a, RawMutex, T>;

/// parking_lot's fair mutex, profiled: every release hands the lock to the next waiter in
/// line. [`lock_api::Mutex`] over [`RawFairMutex`].
///
/// ```
/// let m = oxprof::sync::parking_lot::FairMutex::new(0);
/// *m.lock() += 1;
/// assert_eq!(*m.lock(), 1);
/// ```
pub type FairMutex<T> = lock_api::Mutex<RawFairMutex, T>;
/// The guard of a [`FairMutex`].
///
/// ```
/// let m = oxprof::sync::parking_lot::FairMutex::new(1);
/// let guard: oxprof::sync::parking_lot::FairMutexGuard<'_, i32> = m.lock();
/// assert_eq!(*guard, 1);
/// ```
pub type FairMutexGuard<'a, T> = lock_api::MutexGuard<'a, RawFairMutex, T>;

/// parking_lot's reader-writer lock, profiled: [`lock_api::RwLock`] over [`RawRwLock`].
///
/// ```
/// let lock = oxprof::sync::parking_lot::RwLock::new(1);
/// assert_eq!(*lock.read() + *lock.read(), 2);
/// ```
pub type RwLock<T> = lock_api::RwLock<RawRwLock, T>;
/// Shared access to a [`RwLock`].
///
/// ```
/// let lock = oxprof::sync::parking_lot::RwLock::new(1);
/// let guard: oxprof::sync::parking_lot::RwLockReadGuard<'_, i32> = lock.read();
/// assert_eq!(*guard, 1);
/// ```
pub type RwLockReadGuard<'a, T> = lock_api::RwLockReadGuard<'a, RawRwLock, T>;
/// Exclusive access to a [`RwLock`].
///
/// ```
/// let lock = oxprof::sync::parking_lot::RwLock::new(1);
/// let mut guard: oxprof::sync::parking_lot::RwLockWriteGuard<'_, i32> = lock.write();
/// *guard = 2;
/// ```
pub type RwLockWriteGuard<'a, T> = lock_api::RwLockWriteGuard<'a, RawRwLock, T>;
/// Upgradable shared access to a [`RwLock`].
///
/// ```
/// use oxprof::sync::parking_lot::{RwLock, RwLockUpgradableReadGuard};
/// let lock = RwLock::new(1);
/// let guard: RwLockUpgradableReadGuard<'_, i32> = lock.upgradable_read();
/// assert_eq!(*RwLockUpgradableReadGuard::upgrade(guard), 1);
/// ```
pub type RwLockUpgradableReadGuard<'a, T> = lock_api::RwLockUpgradableReadGuard<'a, RawRwLock, T>;

/// A condition variable for [`Mutex`], parking_lot's `Condvar`: every wait is a blocking event
/// in the [block](crate::block) profile (from the call until the lock is held again), and
/// giving up the lock to wait is a release, charged in the [mutex](crate::mutex) profile if
/// threads were waiting for it. As parking_lot's, it takes the guard by `&mut`.
///
/// ```
/// use oxprof::sync::parking_lot::{Condvar, Mutex};
/// let (m, c) = (Mutex::new(0), Condvar::new());
/// let mut guard = m.lock();
/// let result = c.wait_for(&mut guard, std::time::Duration::from_millis(1));
/// assert!(result.timed_out());
/// ```
#[derive(Default)]
pub struct Condvar {
    inner: parking_lot::Condvar,
}

impl Condvar {
    /// A new condition variable.
    ///
    /// ```
    /// static READY: oxprof::sync::parking_lot::Condvar = oxprof::sync::parking_lot::Condvar::new();
    /// ```
    pub const fn new() -> Condvar {
        Condvar {
            inner: parking_lot::Condvar::new(),
        }
    }

    /// Wakes one waiting thread; whether there was one.
    ///
    /// ```
    /// assert!(!oxprof::sync::parking_lot::Condvar::new().notify_one());
    /// ```
    pub fn notify_one(&self) -> bool {
        self.inner.notify_one()
    }

    /// Wakes every waiting thread; how many there were.
    ///
    /// ```
    /// assert_eq!(oxprof::sync::parking_lot::Condvar::new().notify_all(), 0);
    /// ```
    pub fn notify_all(&self) -> usize {
        self.inner.notify_all()
    }

    /// Releases the lock, waits for a notification, and takes the lock again.
    ///
    /// ```
    /// use oxprof::sync::parking_lot::{Condvar, Mutex};
    /// use std::sync::Arc;
    /// let pair = Arc::new((Mutex::new(false), Condvar::new()));
    /// let pair2 = Arc::clone(&pair);
    /// let mut ready = pair.0.lock();
    /// std::thread::spawn(move || {
    ///     *pair2.0.lock() = true;
    ///     pair2.1.notify_one();
    /// });
    /// while !*ready {
    ///     pair.1.wait(&mut ready);
    /// }
    /// ```
    pub fn wait<T: ?Sized>(&self, guard: &mut MutexGuard<'_, T>) {
        profiled_wait(guard, |inner| self.inner.wait(inner));
    }

    /// [`wait`](Condvar::wait) until `timeout` at most; the result says whether it timed out.
    ///
    /// ```
    /// use oxprof::sync::parking_lot::{Condvar, Mutex};
    /// use std::time::{Duration, Instant};
    /// let (m, c) = (Mutex::new(()), Condvar::new());
    /// let deadline = Instant::now() + Duration::from_millis(1);
    /// assert!(c.wait_until(&mut m.lock(), deadline).timed_out());
    /// ```
    pub fn wait_until<T: ?Sized>(
        &self,
        guard: &mut MutexGuard<'_, T>,
        timeout: Instant,
    ) -> WaitTimeoutResult {
        profiled_wait(guard, |inner| self.inner.wait_until(inner, timeout))
    }

    /// [`wait`](Condvar::wait) for `timeout` at most; the result says whether it timed out.
    ///
    /// ```
    /// use oxprof::sync::parking_lot::{Condvar, Mutex};
    /// let (m, c) = (Mutex::new(()), Condvar::new());
    /// assert!(c.wait_for(&mut m.lock(), std::time::Duration::from_millis(1)).timed_out());
    /// ```
    pub fn wait_for<T: ?Sized>(
        &self,
        guard: &mut MutexGuard<'_, T>,
        timeout: Duration,
    ) -> WaitTimeoutResult {
        profiled_wait(guard, |inner| self.inner.wait_for(inner, timeout))
    }

    /// Waits while `condition` holds, checking it with the lock held before each wait. The
    /// waits, if any, are one blocking event.
    ///
    /// ```
    /// use oxprof::sync::parking_lot::{Condvar, Mutex};
    /// let (m, c) = (Mutex::new(5), Condvar::new());
    /// let mut guard = m.lock();
    /// c.wait_while(&mut guard, |v| *v < 5);
    /// assert_eq!(*guard, 5);
    /// ```
    pub fn wait_while<T, F>(&self, guard: &mut MutexGuard<'_, T>, condition: F)
    where
        T: ?Sized,
        F: FnMut(&mut T) -> bool,
    {
        profiled_wait_while(guard, condition, |inner, condition| {
            self.inner.wait_while(inner, condition)
        });
    }

    /// [`wait_while`](Condvar::wait_while) until `timeout` at most.
    ///
    /// ```
    /// use oxprof::sync::parking_lot::{Condvar, Mutex};
    /// use std::time::{Duration, Instant};
    /// let (m, c) = (Mutex::new(0), Condvar::new());
    /// let mut guard = m.lock();
    /// let deadline = Instant::now() + Duration::from_millis(1);
    /// let result = c.wait_while_until(&mut guard, |v| *v == 0, deadline);
    /// assert!(result.timed_out() && *guard == 0);
    /// ```
    pub fn wait_while_until<T, F>(
        &self,
        guard: &mut MutexGuard<'_, T>,
        condition: F,
        timeout: Instant,
    ) -> WaitTimeoutResult
    where
        T: ?Sized,
        F: FnMut(&mut T) -> bool,
    {
        profiled_wait_while(guard, condition, |inner, condition| {
            self.inner.wait_while_until(inner, condition, timeout)
        })
    }

    /// [`wait_while`](Condvar::wait_while) for `timeout` at most.
    ///
    /// ```
    /// use oxprof::sync::parking_lot::{Condvar, Mutex};
    /// let (m, c) = (Mutex::new(1), Condvar::new());
    /// let mut guard = m.lock();
    /// let result = c.wait_while_for(&mut guard, |v| *v == 0, std::time::Duration::from_secs(1));
    /// assert!(!result.timed_out());
    /// ```
    pub fn wait_while_for<T, F>(
        &self,
        guard: &mut MutexGuard<'_, T>,
        condition: F,
        timeout: Duration,
    ) -> WaitTimeoutResult
    where
        T: ?Sized,
        F: FnMut(&mut T) -> bool,
    {
        profiled_wait_while(guard, condition, |inner, condition| {
            self.inner.wait_while_for(inner, condition, timeout)
        })
    }
}

/// Runs `wait`, which gives up the lock behind `guard` to wait, as one blocking event, charging
/// the release while the lock is still held.
fn profiled_wait<T: ?Sized, R>(
    guard: &mut MutexGuard<'_, T>,
    wait: impl FnOnce(&mut parking_lot::MutexGuard<'_, T>) -> R,
) -> R {
    let since = crate::block::wait_start();
    let (tracker, inner) = guard.for_condvar();
    tracker.unlocking();
    let result = wait(inner);
    crate::block::wait_end(since, "sync.Cond", 0, 0);
    result
}

/// Runs `wait`, which waits while `condition` holds, as one blocking event if it waited at all.
/// parking_lot checks the condition with the lock held, then gives the lock up to wait: the
/// condition handed to `wait` charges the release each time it says to wait.
fn profiled_wait_while<T: ?Sized, R>(
    guard: &mut MutexGuard<'_, T>,
    mut condition: impl FnMut(&mut T) -> bool,
    wait: impl FnOnce(&mut parking_lot::MutexGuard<'_, T>, &mut dyn FnMut(&mut T) -> bool) -> R,
) -> R {
    let since = crate::block::wait_start();
    let (tracker, inner) = guard.for_condvar();
    let mut waited = false;
    let result = wait(inner, &mut |value| {
        let wait = condition(value);
        if wait {
            tracker.unlocking();
            waited = true;
        }
        wait
    });
    crate::block::wait_end(since.filter(|_| waited), "sync.Cond", 0, 0);
    result
}

impl fmt::Debug for Condvar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Condvar").finish_non_exhaustive()
    }
}
