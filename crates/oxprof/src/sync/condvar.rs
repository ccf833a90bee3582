//! [`Condvar`]: std's condition variable with its waits profiled.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::acquire::map_lock;
use super::{LockResult, MutexGuard};
pub use std::sync::WaitTimeoutResult;

/// A condition variable, `std::sync::Condvar` for [`Mutex`](super::Mutex): every wait is a
/// blocking event in the [block](crate::block) profile (from the call until the lock is held
/// again), and giving up the lock to wait is a release, charged in the
/// [mutex](crate::mutex) profile if threads were waiting for it.
///
/// ```
/// use oxprof::sync::{Condvar, Mutex};
/// use std::sync::Arc;
///
/// let pair = Arc::new((Mutex::new(0u32), Condvar::new()));
/// let worker = {
///     let pair = Arc::clone(&pair);
///     std::thread::spawn(move || {
///         let (count, ready) = &*pair;
///         *count.lock().unwrap() = 3;
///         ready.notify_all();
///     })
/// };
/// let (count, ready) = &*pair;
/// let count = ready.wait_while(count.lock().unwrap(), |c| *c == 0).unwrap();
/// assert_eq!(*count, 3);
/// # drop(count);
/// worker.join().unwrap();
/// ```
#[derive(Default)]
pub struct Condvar {
    inner: std::sync::Condvar,
    /// The trace's sequence number of the last notification (0: none traced), which woken
    /// waiters name as what woke them.
    last_notify: AtomicU64,
}

impl Condvar {
    /// A new condition variable.
    ///
    /// ```
    /// static READY: oxprof::sync::Condvar = oxprof::sync::Condvar::new();
    /// ```
    pub const fn new() -> Condvar {
        Condvar {
            inner: std::sync::Condvar::new(),
            last_notify: AtomicU64::new(0),
        }
    }

    /// Releases the lock, waits for a notification (or a spurious wakeup), and takes the lock
    /// again; an error carrying the guard if the mutex is poisoned.
    ///
    /// ```
    /// # use oxprof::sync::{Condvar, Mutex};
    /// let (m, c) = (Mutex::new(true), Condvar::new());
    /// let guard = m.lock().unwrap();
    /// // Only a notification ends the wait: a timed wait shows the shape without one.
    /// let (guard, _) = c.wait_timeout(guard, std::time::Duration::from_millis(1)).unwrap();
    /// assert!(*guard);
    /// ```
    pub fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> LockResult<MutexGuard<'a, T>> {
        let since = crate::block::wait_start();
        let tracker = guard.tracker();
        let result = self.inner.wait(guard.into_std());
        self.record(since);
        map_lock(result, |g| MutexGuard::from_std(tracker, g))
    }

    /// Waits while `condition` holds, checking it with the lock held before each wait.
    ///
    /// ```
    /// # use oxprof::sync::{Condvar, Mutex};
    /// let (m, c) = (Mutex::new(5), Condvar::new());
    /// let guard = c.wait_while(m.lock().unwrap(), |v| *v < 5).unwrap();
    /// assert_eq!(*guard, 5);
    /// ```
    pub fn wait_while<'a, T, F>(
        &self,
        guard: MutexGuard<'a, T>,
        condition: F,
    ) -> LockResult<MutexGuard<'a, T>>
    where
        F: FnMut(&mut T) -> bool,
    {
        let since = crate::block::wait_start();
        let tracker = guard.tracker();
        let result = self.inner.wait_while(guard.into_std(), condition);
        self.record(since);
        map_lock(result, |g| MutexGuard::from_std(tracker, g))
    }

    /// [`wait`](Condvar::wait) for at most `dur`; the result says whether it timed out.
    ///
    /// ```
    /// # use oxprof::sync::{Condvar, Mutex};
    /// let (m, c) = (Mutex::new(()), Condvar::new());
    /// let (_, result) = c.wait_timeout(m.lock().unwrap(), std::time::Duration::from_millis(1)).unwrap();
    /// assert!(result.timed_out());
    /// ```
    pub fn wait_timeout<'a, T>(
        &self,
        guard: MutexGuard<'a, T>,
        dur: Duration,
    ) -> LockResult<(MutexGuard<'a, T>, WaitTimeoutResult)> {
        let since = crate::block::wait_start();
        let tracker = guard.tracker();
        let result = self.inner.wait_timeout(guard.into_std(), dur);
        self.record(since);
        map_lock(result, |(g, timeout)| {
            (MutexGuard::from_std(tracker, g), timeout)
        })
    }

    /// [`wait_while`](Condvar::wait_while) for at most `dur`.
    ///
    /// ```
    /// # use oxprof::sync::{Condvar, Mutex};
    /// let (m, c) = (Mutex::new(0), Condvar::new());
    /// let (guard, result) = c
    ///     .wait_timeout_while(m.lock().unwrap(), std::time::Duration::from_millis(1), |v| *v == 0)
    ///     .unwrap();
    /// assert!(result.timed_out() && *guard == 0);
    /// ```
    pub fn wait_timeout_while<'a, T, F>(
        &self,
        guard: MutexGuard<'a, T>,
        dur: Duration,
        condition: F,
    ) -> LockResult<(MutexGuard<'a, T>, WaitTimeoutResult)>
    where
        F: FnMut(&mut T) -> bool,
    {
        let since = crate::block::wait_start();
        let tracker = guard.tracker();
        let result = self
            .inner
            .wait_timeout_while(guard.into_std(), dur, condition);
        self.record(since);
        map_lock(result, |(g, timeout)| {
            (MutexGuard::from_std(tracker, g), timeout)
        })
    }

    /// Wakes one waiting thread, if any.
    ///
    /// ```
    /// oxprof::sync::Condvar::new().notify_one();
    /// ```
    pub fn notify_one(&self) {
        self.traced_notify();
        self.inner.notify_one();
    }

    /// Wakes every waiting thread.
    ///
    /// ```
    /// oxprof::sync::Condvar::new().notify_all();
    /// ```
    pub fn notify_all(&self) {
        self.traced_notify();
        self.inner.notify_all();
    }

    /// A notification, in the trace: the flow to the waiters it wakes.
    fn traced_notify(&self) {
        let seq = crate::trace_hooks::next_seq();
        if seq != 0 {
            self.last_notify.store(seq, Ordering::Relaxed);
            crate::trace_hooks::unblock(self.address(), seq);
        }
    }

    fn address(&self) -> usize {
        self as *const Condvar as usize
    }

    /// A wait that began at `since` ended, in the block profile and the trace.
    fn record(&self, since: Option<Instant>) {
        let waker = self.last_notify.load(Ordering::Relaxed);
        crate::block::wait_end(since, "sync.Cond", self.address(), waker);
    }
}

impl fmt::Debug for Condvar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Condvar").finish_non_exhaustive()
    }
}
