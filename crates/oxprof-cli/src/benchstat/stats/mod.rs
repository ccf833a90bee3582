//! benchstat's statistics: a summary (centre and confidence interval) of each sample and a
//! comparison of two samples, under an assumption about the unit's distribution.
//!
//! Benchmark timings are not normally distributed, so the default makes no assumption: the
//! centre is the median with an order-statistic confidence interval ([`quantile`]), and two
//! samples are compared with the Mann–Whitney U test ([`utest`]). Units declared
//! `assume=exact` (sizes, counts) are summarised by their mode and always compared.

mod normal;
pub(crate) mod quantile;
pub(crate) mod utest;

use oxprof_benchfmt::go_float;

/// What may be assumed about a unit's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Assumption {
    /// Nothing: non-parametric statistics.
    Nothing,
    /// Every measurement is exact, so one is enough and any spread is suspicious.
    Exact,
}

/// A summary of one sample.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Summary {
    pub center: f64,
    pub lo: f64,
    pub hi: f64,
    pub warnings: Vec<String>,
}

/// The comparison of a sample with its baseline.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Comparison {
    /// The p-value; 0 for exact comparisons.
    pub p: f64,
    pub n1: usize,
    pub n2: usize,
    /// The significance threshold: differences with p above it are noise.
    pub alpha: f64,
    pub warnings: Vec<String>,
}

impl Assumption {
    /// Summarises sorted values at a confidence level (0 to 1).
    pub fn summary(self, sorted: &[f64], confidence: f64) -> Summary {
        match self {
            Assumption::Nothing => median_summary(sorted, confidence),
            Assumption::Exact => mode_summary(sorted),
        }
    }

    /// Compares a sample with its baseline.
    pub fn compare(self, base: &[f64], new: &[f64], alpha: f64) -> Comparison {
        let (n1, n2) = (base.len(), new.len());
        match self {
            Assumption::Exact => Comparison {
                p: 0.0,
                n1,
                n2,
                alpha: 0.0,
                warnings: Vec::new(),
            },
            Assumption::Nothing => match utest::mann_whitney(base, new) {
                // Without an answer the difference is reported as not significant, with why.
                Err(e) => Comparison {
                    p: 1.0,
                    n1,
                    n2,
                    alpha,
                    warnings: vec![e.to_string()],
                },
                Ok(t) => {
                    let mut warnings = Vec::new();
                    if t.p > alpha {
                        let (op, need) = u_test_samples(alpha);
                        if n1 < need && n2 < need {
                            warnings.push(format!(
                                "need {op} {need} samples to detect a difference at alpha level {}",
                                go_float(alpha)
                            ));
                        }
                    }
                    Comparison {
                        p: t.p,
                        n1,
                        n2,
                        alpha,
                        warnings,
                    }
                }
            },
        }
    }
}

fn median_summary(sorted: &[f64], confidence: f64) -> Summary {
    let ci = quantile::median_ci(sorted.len(), confidence);
    let (lo, hi) = ci.bounds(sorted);
    let mut warnings = Vec::new();
    if lo.is_infinite() || hi.is_infinite() {
        let (op, need) = median_samples(confidence);
        warnings.push(format!(
            "need {op} {need} samples for confidence interval at level {}",
            go_float(confidence)
        ));
    }
    Summary {
        center: quantile::median(sorted),
        lo,
        hi,
        warnings,
    }
}

fn mode_summary(sorted: &[f64]) -> Summary {
    let (Some(&first), Some(&last)) = (sorted.first(), sorted.last()) else {
        return Summary {
            center: f64::NAN,
            lo: f64::NAN,
            hi: f64::NAN,
            warnings: Vec::new(),
        };
    };
    // The longest run of equal values; the first one on ties.
    let (mut mode, mut best) = (first, 0);
    for run in sorted.chunk_by(|a, b| a == b) {
        if run.len() > best {
            (mode, best) = (run[0], run.len());
        }
    }
    let mut warnings = Vec::new();
    if best != sorted.len() {
        warnings.push(format!(
            "exact distribution expected, but values range from {} to {}",
            go_float(first),
            go_float(last)
        ));
    }
    Summary {
        center: mode,
        lo: first,
        hi: last,
        warnings,
    }
}

/// The fewest samples that give a finite confidence interval for the median, looking up to 50.
fn median_samples(confidence: f64) -> (&'static str, usize) {
    const LIMIT: usize = 50;
    (2..=LIMIT)
        .find(|&n| quantile::median_ci(n, confidence).is_finite(n))
        .map_or((">", LIMIT), |n| (">=", n))
}

/// The fewest samples (per side) with which the U test can reach `alpha`, looking up to 9.
fn u_test_samples(alpha: f64) -> (&'static str, usize) {
    const LIMIT: usize = 10;
    (1..LIMIT)
        .find(|&n| utest::min_p(n) <= alpha)
        .map_or((">", LIMIT), |n| (">=", n))
}

impl Summary {
    /// The interval's half-width relative to the centre, as benchstat shows it after `±`:
    /// `∞` for an infinite bound, `?` when a bound's sign differs from the centre's.
    pub fn pct_range(&self) -> String {
        if self.lo.is_infinite() || self.hi.is_infinite() {
            return "∞".into();
        }
        let sign = |x: f64| {
            if x > 0.0 {
                1
            } else if x < 0.0 {
                -1
            } else {
                0
            }
        };
        let c = sign(self.center);
        if c != sign(self.lo) || c != sign(self.hi) {
            return "?".into();
        }
        if self.center == 0.0 {
            return "0%".into();
        }
        let v = (self.hi / self.center - 1.0).max(1.0 - self.lo / self.center);
        format!("{:.0}%", 100.0 * v)
    }
}

impl Comparison {
    /// The change from `old` to `new`: `~` when not significant, else a signed percentage.
    pub fn format_delta(&self, old: f64, new: f64) -> String {
        if self.p > self.alpha {
            return "~".into();
        }
        if old == new {
            return "0.00%".into();
        }
        if old == 0.0 {
            return "?".into();
        }
        format!("{:+.2}%", (new / old - 1.0) * 100.0)
    }
}

impl std::fmt::Display for Comparison {
    /// `p=0.PPP n=N`, or `n=N1+N2` for unequal sizes; exact comparisons (p = 0) show no p.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.p != 0.0 {
            write!(f, "p={:.3} ", self.p)?;
        }
        if self.n1 == self.n2 {
            write!(f, "n={}", self.n1)
        } else {
            write!(f, "n={}+{}", self.n1, self.n2)
        }
    }
}

/// The geometric mean, or NaN when `xs` is empty or holds a value that is not positive. The log
/// mean is accumulated incrementally, as benchstat does, so results round alike.
pub(crate) fn geomean(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    let mut m = 0.0;
    for (i, &x) in xs.iter().enumerate() {
        if x <= 0.0 || x.is_nan() {
            return f64::NAN;
        }
        m += (x.ln() - m) / (i + 1) as f64;
    }
    m.exp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geomean_by_hand() {
        assert!((geomean(&[2.0, 8.0]) - 4.0).abs() < 1e-15);
        assert!((geomean(&[1e-7, 1e-5]) - 1e-6).abs() < 1e-21);
        assert!((geomean(&[1.0, 10.0, 100.0]) - 10.0).abs() < 1e-13);
        assert!(geomean(&[]).is_nan());
        assert!(geomean(&[1.0, 0.0]).is_nan());
        assert!(geomean(&[1.0, -2.0]).is_nan());
    }

    #[test]
    fn percent_range_signs_and_infinities() {
        let s = |center, lo, hi| Summary {
            center,
            lo,
            hi,
            warnings: vec![],
        };
        assert_eq!(s(1718.0, 1707.0, 1736.0).pct_range(), "1%");
        assert_eq!(s(3070.0, 3060.0, 3135.0).pct_range(), "2%");
        assert_eq!(s(1.0, f64::NEG_INFINITY, 2.0).pct_range(), "∞");
        assert_eq!(s(1.0, -1.0, 2.0).pct_range(), "?");
        assert_eq!(s(0.0, 0.0, 0.0).pct_range(), "0%");
    }

    #[test]
    fn deltas_and_labels() {
        let c = |p, n1, n2| Comparison {
            p,
            n1,
            n2,
            alpha: 0.05,
            warnings: vec![],
        };
        assert_eq!(c(0.446, 10, 10).format_delta(1.0, 2.0), "~");
        assert_eq!(c(0.0001, 10, 10).format_delta(1718.0, 1422.5), "-17.20%");
        assert_eq!(c(0.0001, 10, 10).format_delta(5.0, 5.0), "0.00%");
        assert_eq!(c(0.0001, 10, 10).format_delta(0.0, 5.0), "?");
        assert_eq!(c(0.0001, 10, 10).to_string(), "p=0.000 n=10");
        assert_eq!(c(0.4459, 4, 5).to_string(), "p=0.446 n=4+5");
        assert_eq!(c(0.0, 1, 1).to_string(), "n=1");
    }

    #[test]
    fn small_samples_warn() {
        let s = Assumption::Nothing.summary(&[100.0], 0.95);
        assert_eq!(s.pct_range(), "∞");
        assert_eq!(
            s.warnings,
            ["need >= 6 samples for confidence interval at level 0.95"]
        );
        let c = Assumption::Nothing.compare(&[100.0], &[101.0], 0.05);
        assert_eq!(c.p, 1.0);
        assert_eq!(
            c.warnings,
            ["need >= 4 samples to detect a difference at alpha level 0.05"]
        );
        // Three per side can reach 0.1 but never 0.05; four can.
        assert_eq!(u_test_samples(0.05), (">=", 4));
        assert_eq!(u_test_samples(0.1), (">=", 3));
        assert_eq!(u_test_samples(1e-9), (">", 10));
        assert_eq!(median_samples(0.99), (">=", 8));
    }

    #[test]
    fn exact_units_use_the_mode() {
        let s = Assumption::Exact.summary(&[100.0, 101.0, 101.0], 0.95);
        assert_eq!((s.center, s.lo, s.hi), (101.0, 100.0, 101.0));
        assert_eq!(
            s.warnings,
            ["exact distribution expected, but values range from 100 to 101"]
        );
        let c = Assumption::Exact.compare(&[100.0], &[105.0], 0.05);
        assert_eq!(c.format_delta(100.0, 105.0), "+5.00%");
        assert_eq!(c.to_string(), "n=1");
    }
}
