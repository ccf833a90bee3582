//! Benchmark names: the base name, sub-benchmark parts and the GOMAXPROCS suffix.

use std::fmt;

/// A full benchmark name without the `Benchmark` prefix, as Go's tools show it:
/// `Encode/format=json-48` for the line `BenchmarkEncode/format=json-48 ...`.
///
/// The name is kept as written; the methods split it the way golang.org/x/perf's `benchfmt.Name`
/// does, so that `-48` is read as the GOMAXPROCS the benchmark ran with and `/format=json` as a
/// sub-benchmark part.
///
/// ```
/// use oxprof_benchfmt::Name;
///
/// let name = Name::new("Map/xn=1000-2");
/// assert_eq!(name.base(), "Map");
/// assert_eq!(name.parts(), ("Map", vec!["/xn=1000", "-2"]));
/// assert_eq!(name.procs(), Some(2));
/// assert_eq!(name.to_string(), "Map/xn=1000-2");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Name(String);

impl Name {
    /// A name from its text after `Benchmark`.
    ///
    /// ```
    /// assert_eq!(oxprof_benchfmt::Name::new("Join-2").as_str(), "Join-2");
    /// ```
    pub fn new(full: impl Into<String>) -> Self {
        Name(full.into())
    }

    /// The full name, including sub-benchmark parts and the GOMAXPROCS suffix.
    ///
    /// ```
    /// assert_eq!(oxprof_benchfmt::Name::new("A/b=1-8").as_str(), "A/b=1-8");
    /// ```
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name before the first `/`, or without the GOMAXPROCS suffix when there is no `/`.
    ///
    /// ```
    /// use oxprof_benchfmt::Name;
    ///
    /// assert_eq!(Name::new("SortInts-2").base(), "SortInts");
    /// assert_eq!(Name::new("Map/n=10-2").base(), "Map");
    /// assert_eq!(Name::new("Plain").base(), "Plain");
    /// ```
    pub fn base(&self) -> &str {
        match self.0.find('/') {
            Some(slash) => &self.0[..slash],
            None => self.split_procs().0,
        }
    }

    /// The base name and the configuration parts after it: each sub-benchmark as `/part` and, last,
    /// the GOMAXPROCS suffix as `-N`. Concatenated, they give the full name back.
    ///
    /// ```
    /// use oxprof_benchfmt::Name;
    ///
    /// let name = Name::new("Encode/format=json/size=big-48");
    /// let (base, parts) = name.parts();
    /// assert_eq!(base, "Encode");
    /// assert_eq!(parts, ["/format=json", "/size=big", "-48"]);
    /// assert_eq!(format!("{base}{}", parts.concat()), name.as_str());
    /// ```
    pub fn parts(&self) -> (&str, Vec<&str>) {
        let (rest, procs) = self.split_procs();
        let mut parts = Vec::new();
        let mut start = 0;
        for (i, c) in rest.char_indices() {
            if c == '/' {
                parts.push(&rest[start..i]);
                start = i;
            }
        }
        parts.push(&rest[start..]);
        if let Some(procs) = procs {
            parts.push(procs);
        }
        let base = parts.remove(0);
        (base, parts)
    }

    /// The GOMAXPROCS the benchmark ran with, from a trailing `-N`; `None` when the name has no
    /// such suffix (Go omits it when GOMAXPROCS is 1) or the number does not fit a `u32`.
    ///
    /// ```
    /// use oxprof_benchfmt::Name;
    ///
    /// assert_eq!(Name::new("Join-16").procs(), Some(16));
    /// assert_eq!(Name::new("Join").procs(), None);
    /// assert_eq!(Name::new("Join-").procs(), None);
    /// ```
    pub fn procs(&self) -> Option<u32> {
        self.split_procs().1?[1..].parse().ok()
    }

    /// Splits off a trailing `-digits` suffix, as x/perf does: at least one digit after the dash.
    fn split_procs(&self) -> (&str, Option<&str>) {
        let digits = self.0.len() - self.0.trim_end_matches(|c: char| c.is_ascii_digit()).len();
        let dash = self.0.len() - digits;
        if digits > 0 && self.0[..dash].ends_with('-') {
            (&self.0[..dash - 1], Some(&self.0[dash - 1..]))
        } else {
            (&self.0, None)
        }
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for Name {
    fn from(full: &str) -> Self {
        Name::new(full)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gomaxprocs_suffix_needs_digits_after_a_dash() {
        for (full, base, parts, procs) in [
            ("X-8", "X", vec!["-8"], Some(8)),
            ("X-", "X-", vec![], None),
            ("X8", "X8", vec![], None),
            ("-8", "", vec!["-8"], Some(8)),
            ("a/b-c/d-12", "a", vec!["/b-c", "/d", "-12"], Some(12)),
            ("a/", "a", vec!["/"], None),
            ("", "", vec![], None),
            ("X-99999999999", "X", vec!["-99999999999"], None),
        ] {
            let name = Name::new(full);
            assert_eq!(name.parts(), (base, parts.clone()), "{full}");
            assert_eq!(name.procs(), procs, "{full}");
            assert_eq!(format!("{base}{}", parts.concat()), full);
        }
    }

    #[test]
    fn base_stops_at_the_first_slash_even_before_a_dash() {
        assert_eq!(Name::new("Foo-bar/x-2").base(), "Foo-bar");
        assert_eq!(Name::new("Foo-2").base(), "Foo");
    }
}
