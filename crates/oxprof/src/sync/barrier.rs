//! [`Barrier`]: std's barrier with its waits profiled.

use std::fmt;

pub use std::sync::BarrierWaitResult;

/// A barrier, `std::sync::Barrier`: `n` threads meet before any goes on. Each thread that
/// waits for others records the wait in the [block](crate::block) profile, as Go records
/// `WaitGroup.Wait`; the last to arrive (the leader) did not wait and records nothing.
///
/// ```
/// use std::sync::Arc;
/// let barrier = Arc::new(oxprof::sync::Barrier::new(3));
/// let handles: Vec<_> = (0..3)
///     .map(|_| {
///         let barrier = Arc::clone(&barrier);
///         std::thread::spawn(move || barrier.wait().is_leader())
///     })
///     .collect();
/// let leaders = handles.into_iter().map(|h| h.join().unwrap()).filter(|&l| l).count();
/// assert_eq!(leaders, 1);
/// ```
pub struct Barrier {
    inner: std::sync::Barrier,
}

impl Barrier {
    /// A barrier for `n` threads (`n` of 0 or 1 never waits).
    ///
    /// ```
    /// let barrier = oxprof::sync::Barrier::new(1);
    /// assert!(barrier.wait().is_leader());
    /// ```
    pub const fn new(n: usize) -> Barrier {
        Barrier {
            inner: std::sync::Barrier::new(n),
        }
    }

    /// Waits until `n` threads have called `wait`; exactly one of them is told it is the
    /// leader.
    ///
    /// ```
    /// assert!(oxprof::sync::Barrier::new(0).wait().is_leader());
    /// ```
    pub fn wait(&self) -> BarrierWaitResult {
        let since = crate::block::wait_start();
        let result = self.inner.wait();
        let since = since.filter(|_| !result.is_leader());
        crate::block::wait_end(since, "sync.Barrier", self as *const Barrier as usize, 0);
        result
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Barrier").finish_non_exhaustive()
    }
}
