//! How many iterations the next run needs: Go's `predictN`, shared by the b.N ramp-up and the
//! `loop_` form.

/// Runs never exceed a billion iterations, as in Go.
pub(crate) const MAX_ITERS: u64 = 1_000_000_000;

/// The iteration count for the next run, given that `prev_iters` took `prev_ns` and the goal is
/// `goal_ns`: the rate so far times the goal, plus 20%, growing at most 100-fold and at least by
/// one over `last`, capped at [`MAX_ITERS`].
///
/// Multiplying before dividing keeps fast benchmarks exact: at ~1 ns per iteration,
/// `prev_ns / prev_iters` would round to 0 or 1 and hide an order of magnitude.
pub(crate) fn predict_n(goal_ns: u64, prev_iters: u64, prev_ns: u64, last: u64) -> u64 {
    let prev_ns = prev_ns.max(1) as u128;
    let mut n = goal_ns as u128 * prev_iters as u128 / prev_ns;
    n += n / 5;
    n = n.min(100 * last as u128);
    n = n.max(last as u128 + 1);
    n.min(MAX_ITERS as u128) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_by_rate_plus_a_fifth() {
        // 1000 iterations in 1 ms: 1e6 more per second, plus 20%.
        assert_eq!(predict_n(1_000_000_000, 1000, 1_000_000, 1000), 100_000);
        assert_eq!(
            predict_n(1_000_000_000, 100_000, 100_000_000, 100_000),
            1_200_000
        );
    }

    #[test]
    fn at_most_a_hundredfold_at_least_one_more() {
        assert_eq!(predict_n(1_000_000_000, 1, 1, 1), 100);
        // Already slower than the goal: still one more than last time.
        assert_eq!(predict_n(1_000_000_000, 10, 5_000_000_000, 10), 11);
    }

    #[test]
    fn zero_duration_counts_as_one_nanosecond() {
        assert_eq!(
            predict_n(1_000_000_000, 1_000_000, 0, 10_000_000),
            MAX_ITERS
        );
    }

    #[test]
    fn capped_at_a_billion() {
        assert_eq!(
            predict_n(u64::MAX / 2, 50_000_000, 1, 50_000_000),
            MAX_ITERS
        );
    }
}
