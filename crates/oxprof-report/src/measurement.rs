//! Sample values as people read them: unit families (bytes, time, GCU), scaling between units,
//! value labels such as `1.50MB` and percentages such as `12.34%`, all formatted exactly as
//! `go tool pprof` formats them.
//!
//! Unit names are matched loosely, as pprof does: case-insensitively and ignoring a trailing `s`
//! on names longer than two bytes, so `bytes`, `Byte` and `b` are all the byte unit.

/// Unit conversion itself lives with the profile model, which needs it to merge profiles and
/// to read tag filter bounds; reports only format what it returns.
pub use oxprof_profile::units::scale;

/// `value` (in `from_unit`) scaled to `to_unit` and printed with two decimals, `.00` dropped,
/// followed by the unit: pprof's `ScaledLabel`. Zero prints as `0` without unit.
///
/// ```
/// use oxprof_report::measurement::scaled_label;
/// assert_eq!(scaled_label(1_230_000_000, "nanoseconds", "s"), "1.23s");
/// assert_eq!(scaled_label(2 << 20, "bytes", "MB"), "2MB");
/// assert_eq!(scaled_label(0, "bytes", "MB"), "0");
/// assert_eq!(scaled_label(42, "count", "count"), "42");
/// ```
pub fn scaled_label(value: i64, from_unit: &str, to_unit: &str) -> String {
    if from_unit.is_empty() && to_unit == "count" {
        return value.to_string();
    }
    let (v, u) = scale(value, from_unit, to_unit);
    let text = format!("{v:.2}");
    let text = text.strip_suffix(".00").unwrap_or(&text);
    if text == "0" || text == "-0" {
        return "0".to_string();
    }
    format!("{text}{u}")
}

/// `value` printed in the most readable unit of its family: `scaled_label(value, unit, "auto")`.
///
/// ```
/// assert_eq!(oxprof_report::measurement::label(3 << 30, "bytes"), "3GB");
/// ```
pub fn label(value: i64, unit: &str) -> String {
    scaled_label(value, unit, "auto")
}

/// `value` as a percentage of `total` in pprof's layout: `  100%` near 100, two decimals from
/// 1% on (`%5.2f%%`), two significant digits below (`%5.2g%%`). A zero total gives `    0%`.
///
/// ```
/// use oxprof_report::measurement::percentage;
/// assert_eq!(percentage(1, 3), "33.33%");
/// assert_eq!(percentage(1, 200), "  0.5%");
/// assert_eq!(percentage(1, 100_000_000), "1e-06%");
/// assert_eq!(percentage(2, 2), "  100%");
/// ```
pub fn percentage(value: i64, total: i64) -> String {
    let ratio = if total == 0 {
        0.0
    } else {
        (value as f64 / total as f64).abs() * 100.0
    };
    if (99.95..=100.05).contains(&ratio) {
        "  100%".to_string()
    } else if ratio >= 1.0 {
        format!("{ratio:5.2}%")
    } else {
        format!("{:>5}%", go_general(ratio, 2))
    }
}

/// Formats `v` like Go's `%.{precision}g`: scientific notation when the decimal exponent is below
/// -4 or at least `precision`, trailing zeros removed, exponent with sign and at least two digits.
fn go_general(v: f64, precision: usize) -> String {
    if v == 0.0 {
        return "0".to_string();
    }
    let sci = format!("{:.*e}", precision.saturating_sub(1), v);
    let (mantissa, exp) = sci
        .split_once('e')
        .expect("`{:e}` output always has an exponent");
    let exp: i32 = exp.parse().expect("`{:e}` exponent is an integer");
    if exp < -4 || exp >= precision as i32 {
        let sign = if exp < 0 { '-' } else { '+' };
        return format!(
            "{}e{sign}{:02}",
            trim_fraction(mantissa),
            exp.unsigned_abs()
        );
    }
    let decimals = (precision as i32 - 1 - exp).max(0) as usize;
    trim_fraction(&format!("{v:.decimals$}")).to_string()
}

/// Drops trailing zeros of a decimal fraction, and the point if nothing is left after it.
fn trim_fraction(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// The unit pprof prints values in when the output unit is `minimum`: the unit of the smallest
/// non-zero value, unless that differs from the unit of the largest value and the smallest is
/// below 1% of the largest, in which case the unit of 100 times the smallest (so small values
/// print as e.g. `0.01s`). `integer_only` disables that step, for formats that cannot print
/// fractions (callgrind). `min_value` 0 means no non-zero value exists; `max_value` is used. The
/// result is `sample_unit` itself for units outside every family.
///
/// ```
/// use oxprof_report::measurement::minimum_unit;
/// assert_eq!(minimum_unit(10_000_000, 4_000_000_000, "nanoseconds", false), "s");
/// assert_eq!(minimum_unit(10_000_000, 40_000_000, "nanoseconds", false), "ms");
/// assert_eq!(minimum_unit(10_000_000, 4_000_000_000, "nanoseconds", true), "ms");
/// assert_eq!(minimum_unit(3, 300, "count", false), "count");
/// ```
pub fn minimum_unit(
    min_value: i64,
    max_value: i64,
    sample_unit: &str,
    integer_only: bool,
) -> String {
    let min_value = if min_value == 0 { max_value } else { min_value };
    let (_, min_unit) = scale(min_value, sample_unit, "minimum");
    let (_, max_unit) = scale(max_value, sample_unit, "minimum");
    let unit = if min_unit != max_unit && min_value.saturating_mul(100) < max_value && !integer_only
    {
        scale(min_value.saturating_mul(100), sample_unit, "minimum").1
    } else {
        min_unit
    };
    if unit.is_empty() {
        sample_unit.to_string()
    } else {
        unit
    }
}
