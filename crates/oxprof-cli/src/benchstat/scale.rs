//! Numbers with unit prefixes, as benchstat shows them: at least three significant digits, SI
//! prefixes (`1.718µ`) for most units and IEC prefixes (`307.3Mi`) for bytes, one scale shared
//! by a row so its values line up.

use oxprof_benchfmt::units::Class;

/// A prefix and the precision to print scaled values with.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Scaler {
    prec: usize,
    factor: f64,
    prefix: &'static str,
}

impl Scaler {
    /// `val` divided by the prefix's factor, with the prefix.
    pub fn format(&self, val: f64) -> String {
        format!("{:.*}{}", self.prec, val / self.factor, self.prefix)
    }
}

/// Formats one value at its own scale.
pub(crate) fn scale(val: f64, class: Class) -> String {
    common_scale(&[val], class).format(val)
}

/// One prefix and its display thresholds: values from `t100` up print with one decimal, from `t10`
/// with two, from `t1` with three. The thresholds sit just below 100, 10 and 1 so that values
/// which would round up to them (99.996) move to the larger precision bracket.
struct Prefix {
    factor: f64,
    name: &'static str,
    t100: f64,
    t10: f64,
    t1: f64,
}

fn prefixes(class: Class) -> Vec<Prefix> {
    match class {
        Class::Decimal => ["T", "G", "M", "k", "", "m", "µ", "n"]
            .iter()
            .zip((-9..=12).rev().step_by(3))
            .map(|(&name, exp)| Prefix {
                // 1/10^k rounds like Go's math.Pow(10, -k).
                factor: if exp >= 0 {
                    10f64.powi(exp)
                } else {
                    1.0 / 10f64.powi(-exp)
                },
                name,
                t100: format!("99.995e{exp}").parse().expect("float literal"),
                t10: format!("9.9995e{exp}").parse().expect("float literal"),
                t1: format!(".99995e{exp}").parse().expect("float literal"),
            })
            .collect(),
        // Scaling by powers of two is exact, so the thresholds are the decimal ones times 2^k.
        Class::Binary => ["Ti", "Gi", "Mi", "Ki", ""]
            .iter()
            .zip((0..=40).rev().step_by(10))
            .map(|(&name, exp)| {
                let factor = 2f64.powi(exp);
                Prefix {
                    factor,
                    name,
                    t100: 99.995 * factor,
                    t10: 9.9995 * factor,
                    t1: 0.99995 * factor,
                }
            })
            .collect(),
    }
}

/// The scale that shows every value in `vals` with at least three significant digits: chosen by
/// the non-zero value closest to zero.
pub(crate) fn common_scale(vals: &[f64], class: Class) -> Scaler {
    let min = vals
        .iter()
        .map(|v| v.abs())
        .filter(|&v| v != 0.0)
        .fold(0.0, |m: f64, v| if m == 0.0 || v < m { v } else { m });
    if min == 0.0 {
        return Scaler {
            prec: 3,
            factor: 1.0,
            prefix: "",
        };
    }
    let prefixes = prefixes(class);
    for p in &prefixes {
        let prec = if min >= p.t100 {
            1
        } else if min >= p.t10 {
            2
        } else if min >= p.t1 {
            3
        } else {
            continue;
        };
        return Scaler {
            prec,
            factor: p.factor,
            prefix: p.name,
        };
    }
    // Smaller than the smallest prefix: print more digits, up to 10 after the point.
    let smallest = prefixes.last().expect("prefix tables are not empty");
    let val = min / smallest.factor;
    let extra = (1..=8)
        .position(|e| {
            val >= format!("9.9995e-{e}")
                .parse::<f64>()
                .expect("float literal")
        })
        .unwrap_or(7);
    Scaler {
        prec: 3 + extra,
        factor: smallest.factor,
        prefix: smallest.name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn si_prefixes_keep_three_significant_digits() {
        for (v, want) in [
            (1.718e-6, "1.718µ"),
            (3.0655e-6, "3.066µ"),
            (100e-9, "100.0n"),
            (10e-6, "10.00µ"),
            (0.0, "0.000"),
            (100.0, "100.0"),
            (12346.0, "12.35k"),
            (99.996, "100.0"),
            (9.99951, "10.00"),
            (0.12e-9, "0.1200n"),
            (2.5e-20, "0.0000000000n"),
            (1e15, "1000.0T"),
            (-2.5e-3, "-2.500m"),
        ] {
            assert_eq!(scale(v, Class::Decimal), want, "{v}");
        }
    }

    #[test]
    fn iec_prefixes_for_bytes() {
        for (v, want) in [
            (1234567890.0, "1.150Gi"),
            (171717171716.0, "159.9Gi"),
            (99999930.0, "95.37Mi"),
            (8216.0, "8.023Ki"),
            (1020.0 * 1024.0, "1020.0Ki"),
            (16.0, "16.00"),
            (0.5, "0.5000"),
        ] {
            assert_eq!(scale(v, Class::Binary), want, "{v}");
        }
    }

    #[test]
    fn thresholds_match_benchstat_bit_for_bit() {
        // benchstat spells the binary thresholds as hex floats: 0x1.8ffae147ae148p6 etc.
        assert_eq!(99.995f64.to_bits(), 0x4058_ffae_147a_e148);
        assert_eq!(9.9995f64.to_bits(), 0x4023_ffbe_76c8_b439);
        assert_eq!(0.99995f64.to_bits(), 0x3fef_ff97_2474_538f);
    }

    #[test]
    fn a_row_shares_the_scale_of_its_smallest_value() {
        let s = common_scale(&[1.5e-6, 2.5e-9], Class::Decimal);
        assert_eq!(s.format(1.5e-6), "1500.000n");
        assert_eq!(s.format(2.5e-9), "2.500n");
        assert_eq!(
            common_scale(&[0.0, 100.0], Class::Decimal).format(0.0),
            "0.0"
        );
    }
}
