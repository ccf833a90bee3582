//! Which events the block and mutex profiles keep, and with what weight, as Go's runtime
//! decides: the block profile keeps every event at least `rate` long and a shorter one with
//! probability `delay / rate`, weighted by the inverse; the mutex profile keeps one event in
//! `fraction`, its values multiplied by `fraction` when recorded (Go ≥ 1.20's pre-scaling, so a
//! fraction changed while a program runs leaves earlier records right).

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::random::{self, Xorshift};

static BLOCK_RATE: AtomicU64 = AtomicU64::new(0);
static MUTEX_FRACTION: AtomicU64 = AtomicU64::new(0);

pub(crate) fn block_rate() -> u64 {
    BLOCK_RATE.load(Ordering::Relaxed)
}

pub(crate) fn set_block_rate(nanos: u64) {
    BLOCK_RATE.store(nanos, Ordering::Relaxed);
}

pub(crate) fn mutex_fraction() -> u64 {
    MUTEX_FRACTION.load(Ordering::Relaxed)
}

/// Sets the fraction and returns the previous one.
pub(crate) fn set_mutex_fraction(n: u64) -> u64 {
    MUTEX_FRACTION.swap(n, Ordering::Relaxed)
}

/// What one kept event adds to its stack's record.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Weight {
    /// Events it stands for (fractional for block events shorter than the rate).
    pub(crate) count: f64,
    /// Nanoseconds it stands for.
    pub(crate) delay: u64,
}

/// Go's `blocksampled` and `saveblockevent` weights for a block event of `delay` ns at `rate`;
/// `draw` is a uniform random number. `None`: not kept.
pub(crate) fn block_weight(delay: u64, rate: u64, draw: u64) -> Option<Weight> {
    if rate == 0 {
        return None;
    }
    // As Go: an event takes at least one unit, so it has a chance to be seen.
    let delay = delay.max(1);
    if delay >= rate {
        return Some(Weight { count: 1.0, delay });
    }
    // Kept with probability delay / rate (Go keeps `<=`, one unit more likely, a bias of
    // 1/delay); the weight 1/p makes both sums unbiased.
    (draw % rate < delay).then(|| Weight {
        count: rate as f64 / delay as f64,
        delay: rate,
    })
}

/// Go's `mutexevent` sampling and pre-scaling for a contention of `delay` ns: one event in
/// `fraction` is kept, standing for `fraction` events.
pub(crate) fn mutex_weight(delay: u64, fraction: u64, draw: u64) -> Option<Weight> {
    (fraction > 0 && draw.is_multiple_of(fraction)).then(|| Weight {
        count: fraction as f64,
        delay: delay.saturating_mul(fraction),
    })
}

thread_local! {
    /// This thread's generator state; 0 until first used.
    static STATE: Cell<u64> = const { Cell::new(0) };
}

/// A uniform random number from the calling thread's generator.
pub(crate) fn draw() -> u64 {
    STATE
        .try_with(|state| {
            let current = match state.get() {
                0 => Xorshift::from_entropy().next(),
                s => s,
            };
            let next = random::step(current);
            state.set(next);
            next
        })
        // A thread being torn down has no state left: any nonzero odd mix will do.
        .unwrap_or_else(|_| random::step(crate::clock::monotonic_nanos() | 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::Xorshift;

    #[test]
    fn long_block_events_are_always_kept_with_their_own_delay() {
        for draw in [0, 7, u64::MAX] {
            assert_eq!(
                block_weight(5_000, 1_000, draw),
                Some(Weight {
                    count: 1.0,
                    delay: 5_000
                })
            );
        }
        assert_eq!(block_weight(5_000, 0, 0), None);
        // Rate 1 keeps everything, even a zero-length event, as one unit.
        assert_eq!(
            block_weight(0, 1, 12345),
            Some(Weight {
                count: 1.0,
                delay: 1
            })
        );
    }

    #[test]
    fn short_block_events_are_kept_in_proportion_and_weighted_without_bias() {
        let (rate, delay, n) = (10_000u64, 1_500u64, 200_000u64);
        let mut rng = Xorshift::seeded(42);
        let (mut kept, mut count, mut total) = (0u64, 0f64, 0u64);
        for _ in 0..n {
            if let Some(w) = block_weight(delay, rate, rng.next()) {
                kept += 1;
                count += w.count;
                total += w.delay;
            }
        }
        let p = kept as f64 / n as f64;
        assert!((p - 0.15).abs() < 0.005, "kept share {p}");
        let truth = (n * delay) as f64;
        assert!(
            (total as f64 / truth - 1.0).abs() < 0.03,
            "{total} vs {truth}"
        );
        assert!((count / n as f64 - 1.0).abs() < 0.03, "{count} vs {n}");
    }

    #[test]
    fn mutex_events_are_sampled_one_in_fraction_and_pre_scaled() {
        assert_eq!(mutex_weight(100, 0, 0), None);
        assert_eq!(
            mutex_weight(100, 1, 987),
            Some(Weight {
                count: 1.0,
                delay: 100
            })
        );
        let mut rng = Xorshift::seeded(7);
        let (n, fraction) = (100_000u64, 8u64);
        let mut count = 0f64;
        let mut total = 0u64;
        for _ in 0..n {
            if let Some(w) = mutex_weight(1_000, fraction, rng.next()) {
                assert_eq!(w.count, 8.0);
                count += w.count;
                total += w.delay;
            }
        }
        assert!((count / n as f64 - 1.0).abs() < 0.05, "{count}");
        assert!(
            (total as f64 / (n * 1_000) as f64 - 1.0).abs() < 0.05,
            "{total}"
        );
    }

    #[test]
    fn draws_differ() {
        let (a, b) = (draw(), draw());
        assert_ne!(a, b);
    }
}
