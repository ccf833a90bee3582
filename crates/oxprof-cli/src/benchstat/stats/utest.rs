//! The two-sided Mann–Whitney U test: do two samples come from one distribution, or does one tend
//! to be larger?
//!
//! For samples of up to 50 values each (25 when values tie) the p-value is exact: the U
//! statistic's distribution given the observed tie pattern is counted over every way of
//! splitting the pooled values into two samples of the given sizes. Larger samples use the normal
//! approximation with tie and continuity corrections. These are the limits benchstat uses.

use super::normal::STANDARD;

/// Largest sample size tested exactly without ties.
const EXACT_LIMIT: usize = 50;
/// Largest sample size tested exactly with ties.
const TIES_EXACT_LIMIT: usize = 25;

/// Why a U test has no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UTestError {
    /// A sample is empty.
    SampleSize,
    /// Every value in both samples is the same.
    SamplesEqual,
}

impl std::fmt::Display for UTestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            UTestError::SampleSize => "sample is too small",
            UTestError::SamplesEqual => "all samples are equal",
        })
    }
}

/// The U statistic (the smaller of the two, ties counting ½) and the two-sided p-value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct UTest {
    pub u: f64,
    pub p: f64,
}

/// Tests whether `x1` and `x2` differ in location.
pub(crate) fn mann_whitney(x1: &[f64], x2: &[f64]) -> Result<UTest, UTestError> {
    let (n1, n2) = (x1.len(), x2.len());
    if n1 == 0 || n2 == 0 {
        return Err(UTestError::SampleSize);
    }
    let groups = tie_groups(x1, x2);
    // Twice U1: each value of x1 scores 2 per smaller value of x2 and 1 per equal one.
    let mut below2 = 0;
    let mut u1_twice = 0;
    for g in &groups {
        u1_twice += g.from1 * (2 * below2 + g.size - g.from1);
        below2 += g.size - g.from1;
    }
    let product = n1 * n2;
    let u_small_twice = u1_twice.min(2 * product - u1_twice);
    let u_small = u_small_twice as f64 / 2.0;
    let has_ties = groups.len() < n1 + n2;
    let limit = if has_ties {
        TIES_EXACT_LIMIT
    } else {
        EXACT_LIMIT
    };
    if groups.len() == 1 {
        return Err(UTestError::SamplesEqual);
    }
    let p = if n1 <= limit && n2 <= limit {
        if u_small_twice == product {
            // U sits at the centre of a symmetric distribution: doubling the tail would count
            // the probability at U twice; the two tails together are everything.
            1.0
        } else {
            2.0 * exact_cdf(n1, &groups, u_small_twice)
        }
    } else {
        normal_p(n1, n2, &groups, u_small)
    };
    Ok(UTest { u: u_small, p })
}

/// A run of equal values in the pooled, sorted samples.
struct Group {
    size: usize,
    from1: usize,
}

fn tie_groups(x1: &[f64], x2: &[f64]) -> Vec<Group> {
    let mut pooled: Vec<(f64, bool)> = x1
        .iter()
        .map(|&v| (v, true))
        .chain(x2.iter().map(|&v| (v, false)))
        .collect();
    pooled.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut groups: Vec<Group> = Vec::new();
    let mut prev = None;
    for (v, first) in pooled {
        if prev != Some(v) || v.is_nan() {
            groups.push(Group { size: 0, from1: 0 });
        }
        let g = groups.last_mut().expect("a group was just pushed");
        g.size += 1;
        g.from1 += usize::from(first);
        prev = Some(v);
    }
    groups
}

/// P(2U1 ≤ `limit_twice`) over all C(N, n1) equally likely ways to draw sample 1 from the pooled
/// values, keeping the tie groups as they are.
///
/// Counts ways[k][s]: choices of k values for sample 1 from the groups seen so far that score
/// 2U1 = s. Taking j of a group of size t, after k earlier picks out of `seen` values, multiplies
/// the ways by C(t, j) and scores j·(2·(seen − k) + t − j). Scores above the limit are dropped.
fn exact_cdf(n1: usize, groups: &[Group], limit_twice: usize) -> f64 {
    let width = limit_twice + 1;
    let mut ways = vec![0u128; (n1 + 1) * width];
    ways[0] = 1;
    let mut seen = 0;
    for g in groups {
        let mut next = vec![0u128; ways.len()];
        for k in 0..=n1.min(seen) {
            for s in 0..width {
                let w = ways[k * width + s];
                if w == 0 {
                    continue;
                }
                for j in 0..=g.size.min(n1 - k) {
                    let score = s + j * (2 * (seen - k) + g.size - j);
                    if score < width {
                        next[(k + j) * width + score] += w * choose(g.size, j);
                    }
                }
            }
        }
        ways = next;
        seen += g.size;
    }
    let hits: u128 = ways[n1 * width..].iter().sum();
    hits as f64 / choose(seen, n1) as f64
}

fn choose(n: usize, k: usize) -> u128 {
    let k = k.min(n - k) as u128;
    let n = n as u128;
    // Each partial product is a binomial coefficient, so the division is exact; with n ≤ 100 the
    // largest, C(100, 50) ≈ 1.0e29, times 100 fits in u128.
    (0..k).fold(1, |c, i| c * (n - i) / (i + 1))
}

/// The normal approximation: mean n1·n2/2, variance n1·n2·((N+1) − Σ(t³−t)/(N(N−1)))/12 over
/// tie groups of size t, and a continuity correction of ½ towards the mean.
fn normal_p(n1: usize, n2: usize, groups: &[Group], u: f64) -> f64 {
    let ties: f64 = groups
        .iter()
        .map(|g| (g.size * g.size * g.size - g.size) as f64)
        .sum();
    let n = (n1 + n2) as f64;
    let product = (n1 * n2) as f64;
    let mean = product / 2.0;
    let sd = (product * ((n + 1.0) - ties / (n * (n - 1.0))) / 12.0).sqrt();
    let mut numer = u - mean;
    if numer != 0.0 {
        numer -= numer.signum() * 0.5;
    }
    let z = numer / sd;
    2.0 * STANDARD.cdf(z).min(1.0 - STANDARD.cdf(z))
}

/// The smallest p-value a U test can give two samples of n values each: both orders of complete
/// separation, 2 / C(2n, n).
pub(crate) fn min_p(n: usize) -> f64 {
    2.0 / choose(2 * n, n) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(x1: &[f64], x2: &[f64]) -> f64 {
        mann_whitney(x1, x2).unwrap().p
    }

    /// Hand counts for n1 = n2 = 3: of the C(6,3) = 20 splits, U = 0, 1, 2, ..., 9 occur
    /// 1, 1, 2, 3, 3, 3, 3, 2, 1, 1 times; p = 2·P(U ≤ observed smaller U).
    #[test]
    fn exact_p_without_ties() {
        assert_eq!(p(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]), 2.0 * 1.0 / 20.0);
        assert_eq!(p(&[1.0, 2.0, 4.0], &[3.0, 5.0, 6.0]), 2.0 * 2.0 / 20.0);
        assert_eq!(p(&[1.0, 2.0, 5.0], &[3.0, 4.0, 6.0]), 2.0 * 4.0 / 20.0);
        assert_eq!(
            mann_whitney(&[1.0, 4.0, 6.0], &[2.0, 3.0, 5.0]).unwrap().u,
            4.0
        );
        // U at the centre (n1·n2/2 = 2 for 2 vs 2): p = 1, not 2·P(U ≤ 2) = 4/3.
        assert_eq!(p(&[1.0, 4.0], &[2.0, 3.0]), 1.0);
        // 5 vs 5 completely separated: 2 / C(10, 5) = 2/252, in either order.
        let lo = [1.0, 2.0, 3.0, 4.0, 5.0];
        let hi = [6.0, 7.0, 8.0, 9.0, 10.0];
        assert_eq!(p(&lo, &hi), 2.0 / 252.0);
        assert_eq!(p(&hi, &lo), 2.0 / 252.0);
        // Unequal sizes: 1 vs 4 with the single value smallest: 2 · 1/5.
        assert_eq!(p(&[0.0], &[1.0, 2.0, 3.0, 4.0]), 0.4);
        // 1 vs 1 can never be significant.
        assert_eq!(p(&[1.0], &[2.0]), 1.0);
    }

    /// With ties the distribution is conditional on the tie pattern.
    ///
    /// x1 = {1, 2}, x2 = {2, 3}: U1 = 0 + ½ = ½. The pooled values form groups (1)(2 2)(3); the
    /// C(4,2) = 6 ways to pick sample 1 score 2U1 = 1 (1 and a 2: 2 ways), 4 (1 and 3), 4 (both
    /// 2s), 7 (a 2 and 3: 2 ways). P(2U ≤ 1) = 2/6; p = 2/3.
    ///
    /// x1 = {1, 1, 2}, x2 = {2, 3, 3}: U1 = ½; groups (1 1)(2 2)(3 3). Only taking both 1s and one
    /// 2 scores 2U1 ≤ 1 (C(2,2)·C(2,1) = 2 of 20 ways); p = 0.2.
    #[test]
    fn exact_p_with_ties_by_hand() {
        let r = mann_whitney(&[1.0, 2.0], &[2.0, 3.0]).unwrap();
        assert_eq!(r.u, 0.5);
        assert!((r.p - 2.0 / 3.0).abs() < 1e-15, "{}", r.p);
        let r = mann_whitney(&[1.0, 1.0, 2.0], &[2.0, 3.0, 3.0]).unwrap();
        assert_eq!(r.u, 0.5);
        assert!((r.p - 0.2).abs() < 1e-15, "{}", r.p);
    }

    #[test]
    fn errors_for_empty_and_identical_samples() {
        assert_eq!(mann_whitney(&[], &[1.0]), Err(UTestError::SampleSize));
        assert_eq!(
            mann_whitney(&[5.0; 6], &[5.0; 6]),
            Err(UTestError::SamplesEqual)
        );
        assert_eq!(
            UTestError::SamplesEqual.to_string(),
            "all samples are equal"
        );
        assert_eq!(
            mann_whitney(&[5.0; 60], &[5.0; 60]),
            Err(UTestError::SamplesEqual)
        );
    }

    /// Beyond the exact limit: x1 = 0..59, x2 = 30.5..89.5 (no ties). U1 counts pairs with
    /// x2 < x1: Σ_{i=31}^{59} (i − 30) = 435 = the smaller U. Mean 60·60/2 = 1800,
    /// sd = √(3600·121/12) = √36300 = 190.526; z = (435 − 1800 + ½)/190.526 = −7.16177;
    /// p = 2Φ(z) = 7.96433e-13 (Φ from Python's math.erfc).
    #[test]
    fn normal_approximation_by_hand() {
        let x1: Vec<f64> = (0..60).map(f64::from).collect();
        let x2: Vec<f64> = (0..60).map(|i| f64::from(i) + 30.5).collect();
        let r = mann_whitney(&x1, &x2).unwrap();
        assert_eq!(r.u, 435.0);
        assert!((r.p / 7.964332670470494e-13 - 1.0).abs() < 1e-9, "{}", r.p);
    }

    /// At the exact limit the exact and approximate answers agree closely, which checks the
    /// counting on sizes too large to enumerate by hand.
    #[test]
    fn exact_and_normal_agree_at_the_limit() {
        let x1: Vec<f64> = (0..50).map(|i| f64::from(i) * 2.0).collect();
        let x2: Vec<f64> = (0..50).map(|i| f64::from(i) * 2.0 + 13.0).collect();
        let groups = tie_groups(&x1, &x2);
        let r = mann_whitney(&x1, &x2).unwrap();
        let approx = normal_p(50, 50, &groups, r.u);
        assert!((r.p / approx - 1.0).abs() < 0.02, "{} vs {approx}", r.p);
        assert!(r.p < 0.5);
    }

    #[test]
    fn minimum_p_values() {
        assert_eq!(min_p(1), 1.0);
        assert_eq!(min_p(3), 0.1);
        assert!((min_p(4) - 0.02857142857142857).abs() < 1e-17);
        assert!((min_p(9) - 4.113533525298231e-05).abs() < 1e-18);
    }
}
