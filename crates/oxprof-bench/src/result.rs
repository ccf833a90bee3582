//! One benchmark's measurement and its text in Go's result-line format.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// What one measurement of a benchmark found, Go's `testing.BenchmarkResult`: the iteration
/// count, the time they took, and what they allocated.
///
/// Its `Display` is Go's `BenchmarkResult.String()`, the result line after the name without the
/// allocation columns ([`mem_string`](BenchmarkResult::mem_string) gives those):
///
/// ```
/// use std::time::Duration;
/// let r = oxprof_bench::BenchmarkResult {
///     n: 8_640_690,
///     t: Duration::from_nanos(218_004_608),
///     bytes: 10,
///     ..Default::default()
/// };
/// assert_eq!(r.to_string(), " 8640690\t        25.23 ns/op\t 396.35 MB/s");
/// assert_eq!(r.mem_string(), "       0 B/op\t       0 allocs/op");
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BenchmarkResult {
    /// Iterations (the final b.N).
    pub n: u64,
    /// Time the timer ran during those iterations.
    pub t: Duration,
    /// Bytes processed per iteration ([`B::set_bytes`](crate::B::set_bytes)).
    pub bytes: u64,
    /// Allocations made while the timer ran.
    pub mem_allocs: u64,
    /// Bytes allocated while the timer ran.
    pub mem_bytes: u64,
    /// Metrics from [`B::report_metric`](crate::B::report_metric), by unit.
    pub extra: BTreeMap<String, f64>,
}

impl BenchmarkResult {
    /// Nanoseconds per iteration, rounded down (a reported `ns/op` metric wins).
    ///
    /// ```
    /// let r = oxprof_bench::BenchmarkResult { n: 3, t: std::time::Duration::from_nanos(10), ..Default::default() };
    /// assert_eq!(r.ns_per_op(), 3);
    /// ```
    pub fn ns_per_op(&self) -> u64 {
        if let Some(v) = self.extra.get("ns/op") {
            return *v as u64;
        }
        (self.t.as_nanos() as u64).checked_div(self.n).unwrap_or(0)
    }

    /// Allocations per iteration, rounded down as Go does (a reported `allocs/op` wins).
    ///
    /// ```
    /// let r = oxprof_bench::BenchmarkResult { n: 4, mem_allocs: 7, ..Default::default() };
    /// assert_eq!(r.allocs_per_op(), 1);
    /// ```
    pub fn allocs_per_op(&self) -> u64 {
        if let Some(v) = self.extra.get("allocs/op") {
            return *v as u64;
        }
        self.mem_allocs.checked_div(self.n).unwrap_or(0)
    }

    /// Bytes allocated per iteration, rounded down (a reported `B/op` wins).
    ///
    /// ```
    /// let r = oxprof_bench::BenchmarkResult { n: 2, mem_bytes: 9, ..Default::default() };
    /// assert_eq!(r.allocated_bytes_per_op(), 4);
    /// ```
    pub fn allocated_bytes_per_op(&self) -> u64 {
        if let Some(v) = self.extra.get("B/op") {
            return *v as u64;
        }
        self.mem_bytes.checked_div(self.n).unwrap_or(0)
    }

    /// Decimal megabytes per second from [`bytes`](Self::bytes), 0 when unset (a reported
    /// `MB/s` wins).
    ///
    /// ```
    /// let r = oxprof_bench::BenchmarkResult {
    ///     n: 1000, t: std::time::Duration::from_millis(1), bytes: 1000, ..Default::default()
    /// };
    /// assert_eq!(r.mb_per_sec(), 1000.0);
    /// ```
    pub fn mb_per_sec(&self) -> f64 {
        if let Some(v) = self.extra.get("MB/s") {
            return *v;
        }
        if self.bytes == 0 || self.t.is_zero() || self.n == 0 {
            return 0.0;
        }
        (self.bytes as f64 * self.n as f64 / 1e6) / self.t.as_secs_f64()
    }

    /// The allocation columns, Go's `MemString()`: `B/op` and `allocs/op`.
    ///
    /// ```
    /// let r = oxprof_bench::BenchmarkResult { n: 1, mem_allocs: 3, mem_bytes: 48, ..Default::default() };
    /// assert_eq!(r.mem_string(), "      48 B/op\t       3 allocs/op");
    /// ```
    pub fn mem_string(&self) -> String {
        format!(
            "{:8} B/op\t{:8} allocs/op",
            self.allocated_bytes_per_op(),
            self.allocs_per_op()
        )
    }
}

impl fmt::Display for BenchmarkResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:8}", self.n)?;
        let ns = match self.extra.get("ns/op") {
            Some(v) => *v,
            None => self.t.as_nanos() as f64 / self.n as f64,
        };
        if ns != 0.0 && !ns.is_nan() {
            f.write_str("\t")?;
            pretty_print(f, ns, "ns/op")?;
        }
        let mbs = self.mb_per_sec();
        if mbs != 0.0 {
            write!(f, "\t{mbs:7.2} MB/s")?;
        }
        for (unit, value) in &self.extra {
            if !matches!(unit.as_str(), "ns/op" | "MB/s" | "B/op" | "allocs/op") {
                f.write_str("\t")?;
                pretty_print(f, *value, unit)?;
            }
        }
        Ok(())
    }
}

/// Go's `prettyPrint`: ten places before the decimal point, four significant digits for small
/// values, field widths chosen so decimal points line up across lines.
fn pretty_print(f: &mut fmt::Formatter<'_>, x: f64, unit: &str) -> fmt::Result {
    let y = x.abs();
    let (width, precision) = match y {
        _ if y == 0.0 || y >= 999.95 => (10, 0),
        _ if y >= 99.995 => (12, 1),
        _ if y >= 9.9995 => (13, 2),
        _ if y >= 0.99995 => (14, 3),
        _ if y >= 0.099995 => (15, 4),
        _ if y >= 0.0099995 => (16, 5),
        _ if y >= 0.00099995 => (17, 6),
        _ => (18, 7),
    };
    write!(f, "{x:width$.precision$} {unit}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(n: u64, ns: u64) -> String {
        BenchmarkResult {
            n,
            t: Duration::from_nanos(ns),
            ..Default::default()
        }
        .to_string()
    }

    #[test]
    fn decimal_points_line_up_as_in_go() {
        // Lines from testdata/go/gobench.txt, after the name.
        assert_eq!(line(8920, 8920 * 25690), "    8920\t     25690 ns/op");
        assert_eq!(line(1552299, 252_559_047), " 1552299\t       162.7 ns/op");
        assert_eq!(line(1, 2), "       1\t         2.000 ns/op");
        assert_eq!(line(1000, 123), "    1000\t         0.1230 ns/op");
        assert_eq!(line(100_000, 1), "  100000\t         0.0000100 ns/op");
    }

    #[test]
    fn extra_metrics_sorted_and_overriding() {
        let mut r = BenchmarkResult {
            n: 10,
            t: Duration::from_nanos(10_000),
            mem_allocs: 30,
            ..Default::default()
        };
        r.extra.insert("zeta/op".into(), 2.5);
        r.extra.insert("alpha/op".into(), 1500.0);
        r.extra.insert("allocs/op".into(), 7.0);
        assert_eq!(
            r.to_string(),
            "      10\t      1000 ns/op\t      1500 alpha/op\t         2.500 zeta/op"
        );
        assert_eq!(r.allocs_per_op(), 7);
        r.extra.insert("ns/op".into(), 0.0);
        assert_eq!(
            r.to_string(),
            "      10\t      1500 alpha/op\t         2.500 zeta/op"
        );
    }
}
