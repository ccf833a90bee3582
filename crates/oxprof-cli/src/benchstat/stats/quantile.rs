//! The sample median and its confidence interval from order statistics.
//!
//! Which order statistics bound the population median is a binomial question: with n samples,
//! the number that fall below the median is Binomial(n, ½), so the interval between the l-th and
//! r-th smallest samples holds the median with probability P(l ≤ K < r). Starting at the mode and
//! adding the likelier neighbour (the left one on ties) until the confidence is reached gives the
//! narrowest such interval, as benchstat's `stats.QuantileCI` does; above 30 samples the
//! binomial is replaced by its normal approximation with continuity correction.

use super::normal::Normal;

/// Sample sizes above this use the normal approximation.
const EXACT_LIMIT: usize = 30;

/// Which order statistics bound a median's confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct MedianCi {
    /// 1-based order statistic of the lower bound; 0 means -∞.
    pub lo_order: usize,
    /// 1-based order statistic of the upper bound; n + 1 means +∞.
    pub hi_order: usize,
    /// The interval's actual confidence, at least the one asked for unless the bounds are infinite.
    pub confidence: f64,
}

impl MedianCi {
    /// The bounds taken from `sorted`, which must hold the n values the interval was computed for.
    pub fn bounds(self, sorted: &[f64]) -> (f64, f64) {
        let lo = match self.lo_order {
            0 => f64::NEG_INFINITY,
            k => sorted[k - 1],
        };
        let hi = sorted
            .get(self.hi_order.wrapping_sub(1))
            .copied()
            .unwrap_or(f64::INFINITY);
        (lo, hi)
    }

    /// Whether both bounds are samples.
    pub fn is_finite(self, n: usize) -> bool {
        self.lo_order > 0 && self.hi_order <= n
    }
}

/// The median of sorted values, interpolated between the middle two for an even count.
///
/// Computed as Hyndman and Fan's definition 8 evaluated at ½ (the formula benchstat uses), so
/// the result rounds exactly as benchstat's does.
pub(crate) fn median(sorted: &[f64]) -> f64 {
    let Some(&first) = sorted.first() else {
        return f64::NAN;
    };
    let n = sorted.len() as f64;
    let h = 1.0 / 3.0 + 0.5 * (n + 1.0 / 3.0);
    let k = h.trunc();
    let frac = h - k;
    let k = k as usize;
    if k == 0 {
        return first;
    }
    if k >= sorted.len() {
        return sorted[sorted.len() - 1];
    }
    sorted[k - 1] + frac * (sorted[k] - sorted[k - 1])
}

/// The confidence interval of the median of `n` samples at `confidence` (0 to 1).
pub(crate) fn median_ci(n: usize, confidence: f64) -> MedianCi {
    if confidence >= 1.0 {
        return MedianCi {
            lo_order: 0,
            hi_order: n + 1,
            confidence: 1.0,
        };
    }
    let (l, r, confidence) = if n <= EXACT_LIMIT {
        exact(n, confidence)
    } else {
        approximate(n, confidence)
    };
    MedianCi {
        lo_order: l.max(0) as usize,
        hi_order: r.min(n as i64 + 1) as usize,
        confidence,
    }
}

/// P(K = k) for K ~ Binomial(n, ½), exact for n ≤ 62 (a count over a power of two).
fn pmf(n: usize, k: i64) -> f64 {
    if k < 0 || k > n as i64 {
        return 0.0;
    }
    choose(n as u64, k as u64) as f64 / (n as f64).exp2()
}

fn choose(n: u64, k: u64) -> u64 {
    let k = k.min(n - k);
    // Each partial product c * (n - i) / (i + 1) is itself a binomial coefficient, so the
    // division is exact.
    (0..k).fold(1, |c, i| c * (n - i) / (i + 1))
}

/// Grows the band [l, r) of the binomial outward from its (left) mode, taking the likelier side
/// first and the left side on ties, until it holds `confidence`.
fn exact(n: usize, confidence: f64) -> (i64, i64, f64) {
    let x = ((n as f64 + 1.0) * 0.5).ceil() as i64 - 1;
    let (mut l, mut r) = (x, x + 1);
    let mut accum = pmf(n, x);
    let (mut lp, mut rp) = (pmf(n, l - 1), pmf(n, r));
    while accum < confidence && (lp > 0.0 || rp > 0.0) {
        if lp >= rp {
            accum += lp;
            l -= 1;
            lp = pmf(n, l - 1);
        } else {
            accum += rp;
            r += 1;
            rp = pmf(n, r);
        }
    }
    (l, r, accum)
}

/// The same band from the normal approximation N(n/2, n/4): the central `confidence` of the
/// normal, rounded out to whole binomial bands, then biased one band left when that still
/// holds the confidence.
fn approximate(n: usize, confidence: f64) -> (i64, i64, f64) {
    let nf = n as f64;
    let norm = Normal {
        mu: nf * 0.5,
        sigma: (nf * 0.5 * 0.5).sqrt(),
    };
    let l1 = norm.inv_cdf((1.0 - confidence) / 2.0);
    let r1 = 2.0 * norm.mu - l1;
    let l = ((l1 - 0.5).floor() + 0.5).floor() as i64 + 1;
    let mut r = ((r1 - 0.5).ceil() + 0.5).floor() as i64 + 1;
    let band = |l: i64, r: i64| norm.cdf(r as f64 - 0.5) - norm.cdf(l as f64 - 0.5);
    let mut got = band(l, r);
    let biased = band(l, r - 1);
    if biased >= confidence && biased < got {
        got = biased;
        r -= 1;
    }
    if l <= 0 && r > n as i64 {
        // The band covers every interval, so the median is certainly inside.
        got = 1.0;
    }
    (l, r, got)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ci(n: usize, confidence: f64) -> (usize, usize, f64) {
        let c = median_ci(n, confidence);
        (c.lo_order, c.hi_order, c.confidence)
    }

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0]), 3.0);
        assert_eq!(median(&[1.0, 2.0]), 1.5);
        assert_eq!(median(&[1.0, 2.0, 10.0]), 2.0);
        assert_eq!(median(&[1.0, 2.0, 4.0, 10.0]), 3.0);
        assert_eq!(
            median(&[
                1705.0, 1707.0, 1707.0, 1707.0, 1713.0, 1723.0, 1726.0, 1729.0, 1736.0, 1774.0
            ]),
            1718.0
        );
        assert!(median(&[]).is_nan());
    }

    /// Hand-computed from the binomial PMFs (counts out of 2^n).
    #[test]
    fn exact_intervals_by_hand() {
        // n = 10: PMF ×1024 = 1 10 45 120 210 252 210 120 45 10 1. From k=5 (252): left 210,
        // right 210, left 120, right 120, left 45 (957), right 45 (1002/1024 = 0.978) -> [2, 9).
        assert_eq!(ci(10, 0.95), (2, 9, 1002.0 / 1024.0));
        // n = 6: ×64 = 1 6 15 20 15 6 1. From k=3: 20+15+15+6+6 = 62 -> [1, 6), 0.96875: the
        // interval is [min, max].
        assert_eq!(ci(6, 0.95), (1, 6, 62.0 / 64.0));
        // n = 5: ×32 = 1 5 10 10 5 1. From k=2: 10+10+5+5 = 30 < 0.95·32, so a tail joins: [0, 5),
        // the lower bound is -∞.
        assert_eq!(ci(5, 0.95), (0, 5, 31.0 / 32.0));
        // n = 1 has no finite interval at any useful level.
        assert_eq!(ci(1, 0.95), (0, 2, 1.0));
        // Confidence 1 takes everything.
        assert_eq!(ci(4, 1.0), (0, 5, 1.0));
        // Low confidence stays at the mode band; n = 4: ×16 = 1 4 6 4 1.
        assert_eq!(ci(4, 0.3), (2, 3, 6.0 / 16.0));
        // Just above one band: left-biased growth.
        assert_eq!(ci(4, 0.3750001), (1, 3, 10.0 / 16.0));
    }

    #[test]
    fn bounds_come_from_the_order_statistics() {
        let xs: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(median_ci(10, 0.95).bounds(&xs), (2.0, 9.0));
        let five = &xs[..5];
        assert_eq!(median_ci(5, 0.95).bounds(five), (f64::NEG_INFINITY, 5.0));
        assert!(!median_ci(5, 0.95).is_finite(5));
        assert!(median_ci(6, 0.95).is_finite(6));
    }

    /// Above 30 samples: the normal approximation N(n/2, n/4). For n = 100 at 95%:
    /// l1 = 50 - 1.96·5 = 40.2, r1 = 59.8; rounded out to bands [40, 61) (x.5 boundaries);
    /// biasing left to [40, 60) leaves Φ((59.5-50)/5) - Φ((39.5-50)/5) = Φ(1.9) - Φ(-2.1)
    /// = 0.97128 - 0.01786 = 0.9534 ≥ 0.95 and below the symmetric 0.9643, so it is taken.
    #[test]
    fn normal_approximation_by_hand() {
        let c = median_ci(100, 0.95);
        assert_eq!((c.lo_order, c.hi_order), (40, 60));
        assert!((c.confidence - 0.953_419).abs() < 1e-6, "{}", c.confidence);
        // 31 samples is the first approximated size and must still give a finite interval.
        assert!(median_ci(31, 0.95).is_finite(31));
    }

    #[test]
    fn binomial_counts() {
        assert_eq!(choose(10, 5), 252);
        assert_eq!(choose(30, 15), 155_117_520);
        assert_eq!(pmf(6, 3), 20.0 / 64.0);
        assert_eq!(pmf(6, 7), 0.0);
        assert_eq!(pmf(6, -1), 0.0);
    }
}
