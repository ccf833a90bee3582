//! [`B::run_parallel`](crate::B::run_parallel)'s workers: threads that take iterations from one
//! shared counter in grains.

use std::sync::atomic::{AtomicU64, Ordering};

/// A worker's share of a parallel benchmark's iterations, Go's `*testing.PB`.
///
/// ```
/// oxprof_bench::benchmark("100x".parse()?, |b| {
///     b.run_parallel(|pb| {
///         let mut local = Vec::with_capacity(16); // per-thread setup
///         while pb.next() {
///             local.push(1u8);
///             local.clear();
///         }
///     });
/// });
/// # Ok::<(), String>(())
/// ```
pub struct Pb<'a> {
    handed_out: &'a AtomicU64,
    grain: u64,
    cached: u64,
    total: u64,
}

impl Pb<'_> {
    /// Whether there is another iteration to run; takes a grain of them from the shared counter
    /// when this worker's own run out.
    ///
    /// ```
    /// let r = oxprof_bench::benchmark("10x".parse()?, |b| b.run_parallel(|pb| while pb.next() {}));
    /// assert_eq!(r.n, 10);
    /// # Ok::<(), String>(())
    /// ```
    #[inline]
    #[allow(clippy::should_implement_trait)] // Go's name; an Iterator would yield nothing
    pub fn next(&mut self) -> bool {
        if self.cached == 0 {
            let n = self.handed_out.fetch_add(self.grain, Ordering::Relaxed) + self.grain;
            if n <= self.total {
                self.cached = self.grain;
            } else if n < self.total + self.grain {
                self.cached = self.total + self.grain - n;
            } else {
                return false;
            }
        }
        self.cached -= 1;
        true
    }
}

/// Iterations per grain: about 100 µs worth at the previous run's speed, between 1 and 10,000
/// (fewer than 10 ns per iteration is not expected), as Go sizes them.
pub(crate) fn grain(previous_n: u64, previous_ns: u64) -> u64 {
    let grain = match (previous_n, previous_ns) {
        (0, _) | (_, 0) => 1,
        (n, ns) => (100_000u128 * n as u128 / ns as u128) as u64,
    };
    grain.clamp(1, 10_000)
}

/// Runs `body` on `threads` threads sharing `total` iterations; returns how many the counter
/// handed out (more than `total` once every worker has seen `next()` return false).
pub(crate) fn run(threads: usize, total: u64, grain: u64, body: &(dyn Fn(&mut Pb) + Sync)) -> u64 {
    let handed_out = AtomicU64::new(0);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                body(&mut Pb {
                    handed_out: &handed_out,
                    grain,
                    cached: 0,
                    total,
                })
            });
        }
    });
    handed_out.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;

    #[test]
    fn every_iteration_runs_exactly_once() {
        for (threads, total, grain) in [(1, 1, 1), (3, 1000, 7), (4, 10, 10_000), (2, 0, 5)] {
            let ran = AtomicU64::new(0);
            run(threads, total, grain, &|pb| {
                while pb.next() {
                    ran.fetch_add(1, Ordering::Relaxed);
                }
            });
            assert_eq!(
                ran.into_inner(),
                total,
                "{threads} threads, {total} iterations"
            );
        }
    }

    #[test]
    fn grain_is_about_100us() {
        assert_eq!(grain(0, 0), 1);
        assert_eq!(grain(1000, 1_000_000), 100); // 1 µs each
        assert_eq!(grain(1_000_000, 1_000_000), 10_000); // capped
        assert_eq!(grain(1, 1_000_000_000), 1);
    }
}
