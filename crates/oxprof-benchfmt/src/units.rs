//! Units: tidying pre-scaled units into base units, and what a unit says about its values.
//!
//! Go's tools compare values in base units: `ns/op` becomes `sec/op` (×1e-9) and `MB/s` becomes
//! `B/s` (×1e6), and so does any `ns` or `MB` in the numerator of another unit
//! (`L1-miss-ns/op` → `L1-miss-sec/op`), as golang.org/x/perf's `benchunit.Tidy` does.

/// Whether values of a unit scale by powers of 1000 (SI prefixes) or 1024 (IEC prefixes).
///
/// ```
/// use oxprof_benchfmt::units::{class_of, Class};
///
/// assert_eq!(class_of("B/op"), Class::Binary);
/// assert_eq!(class_of("sec/op"), Class::Decimal);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Powers of 1000: `k`, `M`, `µ`, `n`...
    Decimal,
    /// Powers of 1024: `Ki`, `Mi`, `Gi`...
    Binary,
}

/// The tidied unit and the factor that converts a value in `unit` into it.
///
/// ```
/// use oxprof_benchfmt::units::tidy;
///
/// assert_eq!(tidy("ns/op"), ("sec/op".to_string(), 1e-9));
/// assert_eq!(tidy("MB/s"), ("B/s".to_string(), 1e6));
/// assert_eq!(tidy("B/op"), ("B/op".to_string(), 1.0));
/// assert_eq!(tidy("L1-miss-ns/op"), ("L1-miss-sec/op".to_string(), 1e-9));
/// // Only the numerator is rescaled: "per nanosecond" stays as written.
/// assert_eq!(tidy("ops/ns"), ("ops/ns".to_string(), 1.0));
/// ```
pub fn tidy(unit: &str) -> (String, f64) {
    match unit {
        "ns/op" => return ("sec/op".into(), 1e-9),
        "MB/s" => return ("B/s".into(), 1e6),
        _ => {}
    }
    let mut tidied = String::with_capacity(unit.len() + 2);
    let mut factor = 1.0;
    let mut copied = 0;
    for token in tokens(unit).filter(|t| !t.denominator) {
        // Dividing by 1e9 (not multiplying by 1e-9) rounds as Go's tools do.
        let replacement = match token.text {
            "ns" => {
                factor /= 1e9;
                "sec"
            }
            "MB" => {
                factor *= 1e6;
                "B"
            }
            _ => continue,
        };
        tidied.push_str(&unit[copied..token.start]);
        tidied.push_str(replacement);
        copied = token.start + token.text.len();
    }
    tidied.push_str(&unit[copied..]);
    (tidied, factor)
}

/// The value converted into the tidied unit, with that unit.
///
/// ```
/// let (v, unit) = oxprof_benchfmt::units::tidy_value(25690.0, "ns/op");
/// assert_eq!(unit, "sec/op");
/// assert!((v - 25.69e-6).abs() < 1e-18);
/// ```
pub fn tidy_value(value: f64, unit: &str) -> (f64, String) {
    let (tidied, factor) = tidy(unit);
    (value * factor, tidied)
}

/// [`Class::Binary`] when the numerator measures bytes (`B`, `MB` or `bytes`), else
/// [`Class::Decimal`].
///
/// ```
/// use oxprof_benchfmt::units::{class_of, Class};
///
/// assert_eq!(class_of("B/s"), Class::Binary);
/// assert_eq!(class_of("allocs/op"), Class::Decimal);
/// assert_eq!(class_of("ops/B"), Class::Decimal);
/// ```
pub fn class_of(unit: &str) -> Class {
    let bytes = tokens(unit).any(|t| !t.denominator && matches!(t.text, "B" | "MB" | "bytes"));
    if bytes {
        Class::Binary
    } else {
        Class::Decimal
    }
}

/// Which direction is an improvement for a unit without `Unit ... better=` metadata: lower for
/// time and allocation, higher for throughput, unknown otherwise.
///
/// ```
/// use oxprof_benchfmt::units::{default_better, Better};
///
/// assert_eq!(default_better("sec/op"), Better::Lower);
/// assert_eq!(default_better("B/s"), Better::Higher);
/// assert_eq!(default_better("widgets"), Better::Unknown);
/// ```
pub fn default_better(unit: &str) -> Better {
    match unit {
        "ns/op" | "sec/op" | "B/op" | "allocs/op" => Better::Lower,
        "MB/s" | "B/s" => Better::Higher,
        _ => Better::Unknown,
    }
}

/// The direction of improvement for a unit.
///
/// ```
/// use oxprof_benchfmt::units::Better;
///
/// assert_eq!(Better::parse("higher"), Some(Better::Higher));
/// assert_eq!(Better::parse("sideways"), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    /// Smaller values are better (time, memory).
    Lower,
    /// Larger values are better (throughput).
    Higher,
    /// Not known.
    Unknown,
}

impl Better {
    /// The value of a `better=` unit metadata key.
    ///
    /// ```
    /// assert_eq!(oxprof_benchfmt::units::Better::parse("lower").is_some(), true);
    /// ```
    pub fn parse(value: &str) -> Option<Better> {
        match value {
            "lower" => Some(Better::Lower),
            "higher" => Some(Better::Higher),
            _ => None,
        }
    }
}

/// One word of a unit, where `*` returns to the numerator and `/` enters the denominator.
struct Token<'a> {
    text: &'a str,
    start: usize,
    denominator: bool,
}

/// Splits a unit into words at `*`, `/`, `-` and whitespace, as x/perf's unit parser does.
fn tokens(unit: &str) -> impl Iterator<Item = Token<'_>> {
    let mut pos = 0;
    let mut denominator = false;
    std::iter::from_fn(move || {
        let rest = &unit[pos..];
        let mut start = None;
        for (i, c) in rest.char_indices() {
            match c {
                '*' => denominator = false,
                '/' => denominator = true,
                c if c == '-' || c.is_whitespace() => {}
                _ => {
                    start = Some(pos + i);
                    break;
                }
            }
        }
        let start = start?;
        let len = unit[start..]
            .find(|c: char| matches!(c, '*' | '/' | '-') || c.is_whitespace())
            .unwrap_or(unit.len() - start);
        pos = start + len;
        Some(Token {
            text: &unit[start..pos],
            start,
            denominator,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tidies_every_numerator_occurrence() {
        assert_eq!(tidy("MB*ns/op"), ("B*sec/op".into(), 1e6 / 1e9));
        assert_eq!(tidy("ns/MB*ns"), ("sec/MB*sec".into(), 1.0 / 1e9 / 1e9));
        assert_eq!(tidy("nsx/op"), ("nsx/op".into(), 1.0));
        assert_eq!(tidy(""), ("".into(), 1.0));
        assert_eq!(tidy("µs-ns"), ("µs-sec".into(), 1e-9));
    }

    #[test]
    fn bytes_in_the_denominator_are_decimal() {
        assert_eq!(class_of("MB/s"), Class::Binary);
        assert_eq!(class_of("bytes"), Class::Binary);
        assert_eq!(class_of("sec/B"), Class::Decimal);
        assert_eq!(class_of("x/y*B"), Class::Binary);
    }
}
