//! Sample values as people read them: unit families (bytes, time, GCU), scaling between units,
//! value labels such as `1.50MB` and percentages such as `12.34%`, all formatted exactly as
//! `go tool pprof` formats them.
//!
//! Unit names are matched loosely, as pprof does: case-insensitively and ignoring a trailing `s`
//! on names longer than two bytes, so `bytes`, `Byte` and `b` are all the byte unit.

/// One unit of a [`UnitFamily`]: its printed name, the names it is recognised by, and how many
/// base units of its family it is worth.
///
/// ```
/// use oxprof_report::measurement::UNIT_FAMILIES;
/// let kb = &UNIT_FAMILIES[0].units[1];
/// assert_eq!((kb.name, kb.factor), ("kB", 1024.0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Unit {
    /// Name used when printing a value in this unit.
    pub name: &'static str,
    /// Lower-case names (without a trailing `s`) that denote this unit in a profile.
    pub aliases: &'static [&'static str],
    /// Size of the unit in base units of its family.
    pub factor: f64,
}

/// A set of units measuring the same quantity, e.g. memory sizes B..PB.
///
/// ```
/// use oxprof_report::measurement::UNIT_FAMILIES;
/// assert_eq!(UNIT_FAMILIES[1].default.name, "s");
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UnitFamily {
    /// Unit used when a value must be printed in this family but no better unit applies.
    pub default: Unit,
    /// All units of the family, smallest first.
    pub units: &'static [Unit],
}

const fn unit(name: &'static str, aliases: &'static [&'static str], factor: f64) -> Unit {
    Unit {
        name,
        aliases,
        factor,
    }
}

const NANOSECOND: f64 = 1.0;
const MICROSECOND: f64 = 1e3;
const MILLISECOND: f64 = 1e6;
const SECOND: f64 = 1e9;
const HOUR: f64 = 3600.0 * SECOND;

/// The unit families pprof knows: memory (1024 steps), time (base nanoseconds) and Google Compute
/// Units. Any other unit (`count`, `samples`, ...) is printed as a plain number.
///
/// ```
/// use oxprof_report::measurement::UNIT_FAMILIES;
/// let names: Vec<_> = UNIT_FAMILIES[0].units.iter().map(|u| u.name).collect();
/// assert_eq!(names, ["B", "kB", "MB", "GB", "TB", "PB"]);
/// ```
pub static UNIT_FAMILIES: [UnitFamily; 3] = [
    UnitFamily {
        default: unit("B", &["b", "byte"], 1.0),
        units: &[
            unit("B", &["b", "byte"], 1.0),
            unit("kB", &["kb", "kbyte", "kilobyte"], (1u64 << 10) as f64),
            unit("MB", &["mb", "mbyte", "megabyte"], (1u64 << 20) as f64),
            unit("GB", &["gb", "gbyte", "gigabyte"], (1u64 << 30) as f64),
            unit("TB", &["tb", "tbyte", "terabyte"], (1u64 << 40) as f64),
            unit("PB", &["pb", "pbyte", "petabyte"], (1u64 << 50) as f64),
        ],
    },
    UnitFamily {
        default: unit("s", &[], SECOND),
        units: &[
            unit("ns", &["ns", "nanosecond"], NANOSECOND),
            unit("us", &["μs", "us", "microsecond"], MICROSECOND),
            unit("ms", &["ms", "millisecond"], MILLISECOND),
            unit("s", &["s", "sec", "second"], SECOND),
            unit("hrs", &["hour", "hr"], HOUR),
        ],
    },
    UnitFamily {
        default: unit("GCU", &[], 1.0),
        units: &[
            unit("n*GCU", &["nanogcu"], 1e-9),
            unit("u*GCU", &["microgcu"], 1e-6),
            unit("m*GCU", &["milligcu"], 1e-3),
            unit("GCU", &["gcu"], 1.0),
            unit("k*GCU", &["kilogcu"], 1e3),
            unit("M*GCU", &["megagcu"], 1e6),
            unit("G*GCU", &["gigagcu"], 1e9),
            unit("T*GCU", &["teragcu"], 1e12),
            unit("P*GCU", &["petagcu"], 1e15),
        ],
    },
];

impl UnitFamily {
    /// The unit of this family that `name` denotes, matched as pprof does (lower-cased, one
    /// trailing `s` dropped when the name is longer than two bytes).
    ///
    /// ```
    /// use oxprof_report::measurement::UNIT_FAMILIES;
    /// assert_eq!(UNIT_FAMILIES[1].find("Seconds").unwrap().name, "s");
    /// assert!(UNIT_FAMILIES[1].find("bytes").is_none());
    /// ```
    pub fn find(&self, name: &str) -> Option<&'static Unit> {
        let lower = name.to_lowercase();
        // pprof counts bytes, not characters, so "μs" loses its "s" and matches nothing.
        let key = if lower.len() > 2 {
            lower.strip_suffix('s').unwrap_or(&lower)
        } else {
            &lower
        };
        self.units.iter().find(|u| u.aliases.contains(&key))
    }

    /// The largest unit in which `base` (a value in base units) is at least 1, or `None` when no
    /// unit fits (zero, or smaller than the smallest unit).
    fn auto_scale(&self, base: f64) -> Option<(f64, &'static str)> {
        let mut best: Option<&Unit> = None;
        for u in self.units {
            if u.factor >= best.map_or(0.0, |b| b.factor) && base / u.factor >= 1.0 {
                best = Some(u);
            }
        }
        best.map(|u| (base / u.factor, u.name))
    }

    /// Converts `value` from `from` into `to` if `from` belongs to this family.
    fn convert(&self, value: i64, from: &str, to: &str) -> Option<(f64, &'static str)> {
        let from = self.find(from)?;
        let base = value as f64 * from.factor;
        let default = (base / self.default.factor, self.default.name);
        if to == "minimum" || to == "auto" {
            return Some(self.auto_scale(base).unwrap_or(default));
        }
        Some(self.find(to).map_or(default, |t| (base / t.factor, t.name)))
    }
}

/// The family `unit` belongs to, if any.
///
/// ```
/// use oxprof_report::measurement::family_of;
/// assert_eq!(family_of("kilobytes").unwrap().default.name, "B");
/// assert!(family_of("count").is_none());
/// ```
pub fn family_of(unit: &str) -> Option<&'static UnitFamily> {
    UNIT_FAMILIES.iter().find(|f| f.find(unit).is_some())
}

/// Converts `value` measured in `from_unit` into `to_unit`, returning the scaled value and the
/// unit name to print after it. `to_unit` may be `minimum` or `auto` to pick the largest unit in
/// which the value is at least 1. For units outside every family the value is unchanged and the
/// printed unit is `to_unit`, or empty when `to_unit` is uninteresting (`count`, `sample`,
/// `unit`, `minimum`, `auto`).
///
/// ```
/// use oxprof_report::measurement::scale;
/// assert_eq!(scale(1536, "bytes", "minimum"), (1.5, "kB".to_string()));
/// assert_eq!(scale(2_500_000, "nanoseconds", "ms"), (2.5, "ms".to_string()));
/// assert_eq!(scale(7, "count", "count"), (7.0, String::new()));
/// assert_eq!(scale(-1536, "bytes", "auto"), (-1.5, "kB".to_string()));
/// ```
pub fn scale(value: i64, from_unit: &str, to_unit: &str) -> (f64, String) {
    if let Some(positive) = value.checked_neg().filter(|_| value < 0) {
        let (v, u) = scale(positive, from_unit, to_unit);
        return (-v, u);
    }
    if let Some((v, u)) = UNIT_FAMILIES
        .iter()
        .find_map(|f| f.convert(value, from_unit, to_unit))
    {
        return (v, u.to_string());
    }
    match to_unit {
        "count" | "sample" | "unit" | "minimum" | "auto" => (value as f64, String::new()),
        _ => (value as f64, to_unit.to_string()),
    }
}

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
