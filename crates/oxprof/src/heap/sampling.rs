//! When to sample: Go's `MemProfileRate` scheme. Each thread counts down a byte budget drawn
//! from an exponential distribution with mean `rate`; the allocation that takes it below zero
//! is sampled. Sampling by bytes, not by allocations, makes large blocks proportionally likely,
//! and the exponential draw makes every byte equally likely, so `1/(1−e^(−size/rate))` undoes
//! it exactly.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::thread::ThreadState;

/// Go's default: one sample per 512 KiB allocated, on average.
pub(crate) const DEFAULT_RATE: usize = 512 * 1024;
/// How far a thread counts down while sampling is off before it looks at the rate again, so
/// turning sampling on takes effect without touching the fast path.
const OFF_RECHECK: i64 = 1 << 20;

static RATE: AtomicUsize = AtomicUsize::new(DEFAULT_RATE);

/// Sets the mean bytes between samples: 1 samples every allocation, 0 turns sampling off.
pub(crate) fn set_rate(bytes: usize) {
    RATE.store(bytes, Ordering::Relaxed);
}

/// The mean bytes between samples (0: off).
pub(crate) fn rate() -> usize {
    RATE.load(Ordering::Relaxed)
}

/// Takes `size` bytes off the budget of the thread `state` belongs to; true when that ran it
/// out, and [`redraw`] is to say whether this allocation is sampled. One subtraction and
/// compare.
#[inline(always)]
pub(super) fn spend(state: &ThreadState, size: usize) -> bool {
    let left = state.countdown.get() - size as i64;
    state.countdown.set(left);
    left < 0
}

/// Runs when [`spend`] ran the budget out: draws the next one and says whether the
/// allocation of `size` bytes that ran it out is sampled. A thread's first allocation only draws its first budget
/// (sampling it unconditionally would bias every thread's first block), and nothing is sampled
/// while sampling is off.
#[cold]
pub(super) fn redraw(state: &ThreadState, size: usize) -> bool {
    super::hooks::note_seen();
    let rate = rate();
    let first = !state.drawn.replace(true);
    let draw = || match rate {
        1 => 0,
        _ => exponential(state, rate as f64),
    };
    if rate == 0 {
        state.countdown.set(OFF_RECHECK);
        return false;
    }
    if first {
        let left = draw() - size as i64;
        state.countdown.set(left);
        if left >= 0 {
            return false;
        }
    }
    state.countdown.set(draw());
    true
}

/// An exponentially distributed byte count with the given mean.
fn exponential(state: &ThreadState, mean: f64) -> i64 {
    let u = next_random(state);
    // Uniform in (0, 1]: 53 random bits, never zero, so the logarithm is finite.
    let uniform = ((u >> 11) + 1) as f64 / (1u64 << 53) as f64;
    (-uniform.ln() * mean).min(i64::MAX as f64 / 2.0) as i64
}

fn next_random(state: &ThreadState) -> u64 {
    let mut x = state.random.get();
    if x == 0 {
        // Seeded per thread from this thread's TLS address and the clock. A xorshift state
        // that simple gives skewed first outputs, so the generator runs a few rounds before
        // its first budget.
        x = (state as *const ThreadState as u64) ^ crate::clock::monotonic_nanos() | 1;
        for _ in 0..8 {
            x = crate::random::step(x);
        }
    }
    x = crate::random::step(x);
    state.random.set(x);
    x
}

/// Go's unsampling of a bucket: `count` samples of `size` bytes in all stand for
/// `count/(1−e^(−avg/rate))` allocations and as many times their bytes.
pub(crate) fn unsample(count: u64, bytes: u64, rate: usize) -> (i64, i64) {
    if count == 0 || bytes == 0 {
        return (0, 0);
    }
    if rate <= 1 {
        return (count as i64, bytes as i64);
    }
    let average = bytes as f64 / count as f64;
    let scale = 1.0 / (1.0 - (-average / rate as f64).exp());
    ((count as f64 * scale) as i64, (bytes as f64 * scale) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_average_the_rate() {
        let n = 200_000;
        let mean = super::super::thread::with(|state| {
            (0..n)
                .map(|_| exponential(state, 4096.0) as f64)
                .sum::<f64>()
                / n as f64
        })
        .unwrap();
        assert!((mean / 4096.0 - 1.0).abs() < 0.02, "mean {mean}");
    }

    #[test]
    fn unsampling_matches_gos_formula() {
        // One sampled 512 KiB block at the default rate: scale 1/(1−e^−1) ≈ 1.582.
        let (n, b) = unsample(1, 512 * 1024, DEFAULT_RATE);
        assert_eq!(n, 1);
        assert_eq!(b, (512.0 * 1024.0 / (1.0 - (-1f64).exp())) as i64);
        // Small blocks stand for many: 100 samples of 64 B ≈ 100 × 8192.
        let (n, _) = unsample(100, 6400, DEFAULT_RATE);
        assert!((n as f64 / (100.0 * 8192.0) - 1.0).abs() < 0.001, "{n}");
        assert_eq!(unsample(3, 300, 1), (3, 300));
        assert_eq!(unsample(0, 0, DEFAULT_RATE), (0, 0));
    }
}
