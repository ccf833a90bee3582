//! One benchmark's measurement and its text in Go's result-line format.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use oxprof_benchfmt::{BenchResult, Name, Value};

/// What one measurement of a benchmark found, Go's `testing.BenchmarkResult`: the iteration
/// count, the time they took, and what they allocated.
///
/// Its `Display` is Go's `BenchmarkResult.String()`, the result line after the name without the
/// allocation columns; [`to_bench_result`](BenchmarkResult::to_bench_result) gives the whole
/// line:
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

    /// The result as a line of Go's benchmark format (name given with its `Benchmark`
    /// prefix): `ns/op` (left out when a reported `ns/op` is 0), `MB/s` when bytes were set,
    /// reported metrics sorted by unit, then, with `allocs`, `B/op` and `allocs/op`, in the
    /// order and units `go test` prints them.
    ///
    /// ```
    /// let r = oxprof_bench::BenchmarkResult {
    ///     n: 1000, t: std::time::Duration::from_micros(25), mem_allocs: 2000, mem_bytes: 32_000,
    ///     ..Default::default()
    /// };
    /// let line = r.to_bench_result("BenchmarkJoin-2", true);
    /// assert_eq!(line.name.as_str(), "Join-2");
    /// assert_eq!(line.value("B/op"), Some(32.0));
    /// assert_eq!(
    ///     line.to_go_test_line(18),
    ///     "BenchmarkJoin-2   \t    1000\t        25.00 ns/op\t      32 B/op\t       2 allocs/op"
    /// );
    /// ```
    pub fn to_bench_result(&self, name: &str, allocs: bool) -> BenchResult {
        let mut values = Vec::new();
        let ns = match self.extra.get("ns/op") {
            Some(v) => *v,
            None => self.t.as_nanos() as f64 / self.n as f64,
        };
        if ns != 0.0 && !ns.is_nan() {
            values.push(Value::new(ns, "ns/op"));
        }
        let mbs = self.mb_per_sec();
        if mbs != 0.0 {
            values.push(Value::new(mbs, "MB/s"));
        }
        for (unit, value) in &self.extra {
            if !matches!(unit.as_str(), "ns/op" | "MB/s" | "B/op" | "allocs/op") {
                values.push(Value::new(*value, unit.as_str()));
            }
        }
        if allocs {
            values.push(Value::new(self.allocated_bytes_per_op() as f64, "B/op"));
            values.push(Value::new(self.allocs_per_op() as f64, "allocs/op"));
        }
        let name = name.strip_prefix("Benchmark").unwrap_or(name);
        BenchResult::new(Name::new(name), self.n, values)
    }
}

/// Go's `BenchmarkResult.String()`: the iteration count and the values of a result line,
/// without the name and the allocation columns.
impl fmt::Display for BenchmarkResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let line = self.to_bench_result("", false).to_go_test_line(0);
        f.write_str(line.split_once('\t').map_or("", |(_, rest)| rest))
    }
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
