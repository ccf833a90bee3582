//! The normal distribution, for the large-sample approximations of the U test and the median's
//! confidence interval.

use std::f64::consts::{PI, SQRT_2};

/// A normal distribution with mean `mu` and standard deviation `sigma`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Normal {
    pub mu: f64,
    pub sigma: f64,
}

/// The standard normal distribution.
pub(crate) const STANDARD: Normal = Normal {
    mu: 0.0,
    sigma: 1.0,
};

impl Normal {
    /// P(X ≤ x).
    pub fn cdf(self, x: f64) -> f64 {
        libm::erfc(-(x - self.mu) / (self.sigma * SQRT_2)) / 2.0
    }

    /// The x with P(X ≤ x) = p: Acklam's rational approximation (relative error 1.15e-9), then
    /// one Halley step against the exact CDF, which brings it to full precision.
    pub fn inv_cdf(self, p: f64) -> f64 {
        const A: [f64; 6] = [
            -3.969683028665376e+01,
            2.209460984245205e+02,
            -2.759285104469687e+02,
            1.38357751867269e+02,
            -3.066479806614716e+01,
            2.506628277459239e+00,
        ];
        const B: [f64; 5] = [
            -5.447609879822406e+01,
            1.615858368580409e+02,
            -1.556989798598866e+02,
            6.680131188771972e+01,
            -1.328068155288572e+01,
        ];
        const C: [f64; 6] = [
            -7.784894002430293e-03,
            -3.223964580411365e-01,
            -2.400758277161838e+00,
            -2.549732539343734e+00,
            4.374664141464968e+00,
            2.938163982698783e+00,
        ];
        const D: [f64; 4] = [
            7.784695709041462e-03,
            3.224671290700398e-01,
            2.445134137142996e+00,
            3.754408661907416e+00,
        ];
        const LOW: f64 = 0.02425;
        if !(0.0..=1.0).contains(&p) {
            return f64::NAN;
        }
        if p == 0.0 {
            return f64::NEG_INFINITY;
        }
        if p == 1.0 {
            return f64::INFINITY;
        }
        // Horner's rule over coefficients given from the highest power down.
        let poly = |coef: &[f64], x: f64| coef.iter().fold(0.0, |acc, c| acc * x + c);
        let tail = |q: f64| poly(&C, q) / (poly(&D, q) * q + 1.0);
        let x = if p < LOW {
            tail((-2.0 * p.ln()).sqrt())
        } else if p > 1.0 - LOW {
            -tail((-2.0 * (1.0 - p).ln()).sqrt())
        } else {
            let q = p - 0.5;
            let r = q * q;
            poly(&A, r) * q / (poly(&B, r) * r + 1.0)
        };
        let e = 0.5 * libm::erfc(-x / SQRT_2) - p;
        let u = e * (2.0 * PI).sqrt() * (x * x / 2.0).exp();
        let x = x - u / (1.0 + x * u / 2.0);
        x * self.sigma + self.mu
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cdf_at_known_points() {
        // Φ(0) = 1/2, Φ(1.959963984540054) = 0.975, Φ(-1) = 0.15865525393145707.
        assert_eq!(STANDARD.cdf(0.0), 0.5);
        assert!((STANDARD.cdf(1.959963984540054) - 0.975).abs() < 1e-15);
        assert!((STANDARD.cdf(-1.0) - 0.15865525393145707).abs() < 1e-16);
        let n = Normal {
            mu: 10.0,
            sigma: 2.0,
        };
        assert!((n.cdf(12.0) - STANDARD.cdf(1.0)).abs() < 1e-16);
    }

    #[test]
    fn inverse_undoes_the_cdf_in_every_region() {
        for p in [
            1e-10,
            0.001,
            0.02,
            0.025,
            0.3,
            0.5,
            0.7,
            0.975,
            0.99,
            1.0 - 1e-9,
        ] {
            let x = STANDARD.inv_cdf(p);
            assert!(
                (STANDARD.cdf(x) - p).abs() <= 1e-14 * p.max(1e-3),
                "{p}: {x}"
            );
        }
        assert!((STANDARD.inv_cdf(0.025) + 1.959963984540054).abs() < 1e-12);
        assert_eq!(STANDARD.inv_cdf(0.0), f64::NEG_INFINITY);
        assert!(STANDARD.inv_cdf(1.5).is_nan());
    }
}
