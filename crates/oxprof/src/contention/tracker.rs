//! [`Tracker`]: the little state a lock keeps so its waits feed the block profile and its
//! contended releases the mutex profile.

use std::sync::atomic::{AtomicU32, Ordering};

use super::{books, mutex_fraction, record_block, record_mutex};
use crate::clock::monotonic_nanos;
use crate::trace_hooks;

/// What a lock keeps to feed the block and mutex profiles: its number of profiled waiters.
/// Building block for instrumented locks (`oxprof::sync`'s own use one), in three calls:
///
/// - the lock could not be taken at once: [`start_wait`](Tracker::start_wait) before waiting,
///   [`Waiting::acquired`] once the lock is held (or drop the [`Waiting`] to give up);
/// - [`unlocking`](Tracker::unlocking) just before each release, while still holding the lock.
///
/// With both profiles off, `start_wait` returns `None` after two relaxed loads, and
/// `unlocking` costs one relaxed load. A tracker must stay at one address while it has
/// waiters (it does when it lives inside the lock they borrow).
///
/// ```
/// use oxprof::sync::Tracker;
/// use std::sync::atomic::{AtomicBool, Ordering};
///
/// /// A spin lock whose waits show in the block and mutex profiles.
/// struct SpinLock { locked: AtomicBool, tracker: Tracker }
///
/// impl SpinLock {
///     fn try_lock(&self) -> bool {
///         !self.locked.swap(true, Ordering::Acquire)
///     }
///     fn lock(&self) {
///         if self.try_lock() {
///             return;
///         }
///         let waiting = self.tracker.start_wait();
///         while !self.try_lock() {
///             std::hint::spin_loop();
///         }
///         if let Some(w) = waiting {
///             w.acquired();
///         }
///     }
///     fn unlock(&self) {
///         self.tracker.unlocking();
///         self.locked.store(false, Ordering::Release);
///     }
/// }
///
/// let lock = SpinLock { locked: AtomicBool::new(false), tracker: Tracker::new() };
/// lock.lock();
/// lock.unlock();
/// ```
#[derive(Debug, Default)]
pub struct Tracker {
    waiters: AtomicU32,
}

impl Tracker {
    /// A tracker with no waiters.
    ///
    /// ```
    /// static TRACKER: oxprof::sync::Tracker = oxprof::sync::Tracker::new();
    /// ```
    pub const fn new() -> Tracker {
        Tracker {
            waiters: AtomicU32::new(0),
        }
    }

    /// The caller is about to wait for the lock: `None` when neither the block nor the mutex
    /// profile is on (nor the execution trace), else the wait to finish with
    /// [`Waiting::acquired`].
    ///
    /// ```
    /// let tracker = oxprof::sync::Tracker::new();
    /// assert!(tracker.start_wait().is_none()); // both profiles are off by default
    /// ```
    #[inline]
    pub fn start_wait(&self) -> Option<Waiting<'_>> {
        let block = super::block_rate() != 0;
        let mutex = mutex_fraction() != 0;
        // The trace needs the books too: they say which release let the waiter in.
        let trace = trace_hooks::enabled();
        (block || mutex || trace).then(|| self.register(mutex || trace))
    }

    #[cold]
    fn register(&self, in_books: bool) -> Waiting<'_> {
        let start = if in_books {
            self.waiters.fetch_add(1, Ordering::Relaxed);
            books::arrive(self.address())
        } else {
            monotonic_nanos()
        };
        Waiting {
            tracker: self,
            start,
            registered: in_books,
        }
    }

    /// The lock is about to be released by the caller, who still holds it: if threads are
    /// waiting, the time they waited since the last release is charged to the caller's stack
    /// in the mutex profile (when sampled).
    ///
    /// ```
    /// let tracker = oxprof::sync::Tracker::new();
    /// tracker.unlocking(); // no waiters: nothing to charge
    /// ```
    #[inline]
    pub fn unlocking(&self) {
        if self.waiters.load(Ordering::Relaxed) != 0 {
            self.charge();
        }
    }

    #[cold]
    #[inline(never)]
    fn charge(&self) {
        let seq = trace_hooks::next_seq();
        let (delay, waiters) = books::release(self.address(), seq);
        if waiters > 0 {
            record_mutex(delay);
            trace_hooks::unblock(self.address(), seq);
        }
    }

    fn address(&self) -> usize {
        self as *const Tracker as usize
    }
}

/// A wait for a lock, from [`Tracker::start_wait`]. Finish it with
/// [`acquired`](Waiting::acquired) once the lock is held; dropping it instead (the wait was
/// given up, say on a timeout) records nothing in the block profile. It is `Send`, so an async
/// lock can keep it across polls.
///
/// ```
/// oxprof::mutex::set_fraction(1);
/// let tracker = oxprof::sync::Tracker::new();
/// let waiting = tracker.start_wait().expect("the mutex profile is on");
/// drop(waiting); // gave up: no longer counted among the lock's waiters
/// tracker.unlocking(); // nothing to charge
/// ```
#[derive(Debug)]
#[must_use = "a wait is recorded when `acquired` is called"]
pub struct Waiting<'a> {
    tracker: &'a Tracker,
    start: u64,
    registered: bool,
}

impl Waiting<'_> {
    /// The lock is held now: the wait leaves the lock's waiters and is recorded in the block
    /// profile at the caller's stack (when sampled).
    ///
    /// ```
    /// let tracker = oxprof::sync::Tracker::new();
    /// let waiting = tracker.start_wait();
    /// // ... wait for the lock ...
    /// if let Some(waiting) = waiting {
    ///     waiting.acquired();
    /// }
    /// ```
    pub fn acquired(mut self) {
        let waited = monotonic_nanos().saturating_sub(self.start);
        let waker = self.leave();
        trace_hooks::wait("sync", self.tracker.address(), self.start, waker);
        record_block(waited);
    }

    /// Leaves the lock's books (once); the release that last let waiters in, if traced.
    fn leave(&mut self) -> u64 {
        if !std::mem::replace(&mut self.registered, false) {
            return 0;
        }
        let waker = books::depart(self.tracker.address(), self.start);
        self.tracker.waiters.fetch_sub(1, Ordering::Relaxed);
        waker
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.leave();
    }
}
