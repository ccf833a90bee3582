//! Reads and writes Go's benchmark format: the lines `go test -bench` prints and benchstat reads
//! (golang.org/design/14313-benchmark-format, as golang.org/x/perf's `benchfmt` implements it).
//!
//! ```text
//! goos: linux
//! pkg: benchfmt
//! BenchmarkJoin-2         8640690        25.23 ns/op   396.36 MB/s    16 B/op    1 allocs/op
//! BenchmarkMap/xn=10-2    1552299        162.7 ns/op                  292 B/op    1 allocs/op
//! ```
//!
//! - [`Reader`] reads line by line, yielding [`Record`]s (results and unit metadata) and
//!   [`SyntaxError`]s with line numbers, and carries on past errors. [`parse`] collects the
//!   results or stops at the first error.
//! - [`BenchResult`] is one result line: a [`Name`] (which splits into base name, sub-benchmark
//!   parts and the `-P` GOMAXPROCS suffix), the iteration count, [`Value`]s with units, and the
//!   `key: value` configuration in effect (`goos`, `pkg`, `cpu`...).
//! - [`BenchResult::to_go_test_line`] prints a result with `go test`'s column layout; its
//!   `Display` and [`Writer`] print benchfmt's compact form with configuration lines.
//! - [`units`] tidies units (`ns/op` → `sec/op`, `MB/s` → `B/s`) as Go's tools compare them.
//!
//! Values keep the unit they were written with; tidying is the consumer's choice.
//!
//! ```
//! let text = "\
//! goos: linux
//! cpu: AMD EPYC
//! BenchmarkSortInts-2   \t    8920\t     25690 ns/op\t    8216 B/op\t       2 allocs/op
//! BenchmarkMap/xn=10-2  \t 1552299\t       162.7 ns/op\t     292 B/op\t       1 allocs/op
//! PASS
//! ok  \tbenchfmt\t7.710s
//! ";
//! let results = oxprof_benchfmt::parse(text)?;
//! assert_eq!(results.len(), 2);
//! let map = &results[1];
//! assert_eq!(map.name.parts(), ("Map", vec!["/xn=10", "-2"]));
//! assert_eq!(map.value("ns/op"), Some(162.7));
//! assert_eq!(map.config("cpu"), Some("AMD EPYC"));
//! // Written back out, it reads back the same.
//! assert_eq!(oxprof_benchfmt::parse(&map.to_go_test_line(22))?[0].values, map.values);
//! # Ok::<(), oxprof_benchfmt::SyntaxError>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod name;
mod reader;
pub mod units;
mod writer;

pub use name::Name;
pub use reader::{parse, Reader, Record, SyntaxError, UnitMetadata};
pub use writer::{go_float, Writer};

/// One benchmark result line and the configuration in effect where it was read.
///
/// ```
/// use oxprof_benchfmt::{BenchResult, Name, Value};
///
/// let r = BenchResult::new(Name::new("Join-2"), 100, vec![Value::new(25.5, "ns/op")]);
/// assert_eq!(r.value("ns/op"), Some(25.5));
/// assert_eq!(r.value("B/op"), None);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct BenchResult {
    /// The name after `Benchmark`.
    pub name: Name,
    /// How many iterations the values are averaged over.
    pub iters: u64,
    /// The measurements, in line order; at least one when read.
    pub values: Vec<Value>,
    /// The file configuration (`goos`, `pkg`, `cpu`...) in effect, in the order keys were set.
    pub config: Vec<Config>,
    /// The 1-based line it was read from; 0 when built in code.
    pub line: usize,
}

impl BenchResult {
    /// A result with no configuration.
    ///
    /// ```
    /// use oxprof_benchfmt::{BenchResult, Name};
    ///
    /// let r = BenchResult::new(Name::new("X"), 1, vec![]);
    /// assert!(r.config.is_empty());
    /// ```
    pub fn new(name: Name, iters: u64, values: Vec<Value>) -> Self {
        BenchResult {
            name,
            iters,
            values,
            config: Vec::new(),
            line: 0,
        }
    }

    /// The first value measured in `unit` (as written, not tidied).
    ///
    /// ```
    /// let r = &oxprof_benchfmt::parse("BenchmarkX 1 7 B/op 3 allocs/op")?[0];
    /// assert_eq!(r.value("allocs/op"), Some(3.0));
    /// # Ok::<(), oxprof_benchfmt::SyntaxError>(())
    /// ```
    pub fn value(&self, unit: &str) -> Option<f64> {
        self.values.iter().find(|v| v.unit == unit).map(|v| v.value)
    }

    /// The value of a configuration key.
    ///
    /// ```
    /// let r = &oxprof_benchfmt::parse("goarch: amd64\nBenchmarkX 1 7 B/op")?[0];
    /// assert_eq!(r.config("goarch"), Some("amd64"));
    /// assert_eq!(r.config("goos"), None);
    /// # Ok::<(), oxprof_benchfmt::SyntaxError>(())
    /// ```
    pub fn config(&self, key: &str) -> Option<&str> {
        self.config
            .iter()
            .find(|c| c.key == key)
            .map(|c| c.value.as_str())
    }
}

/// One measurement and its unit, as written (`25.23` `ns/op`).
///
/// ```
/// let v = oxprof_benchfmt::Value::new(4.0, "ns/op");
/// assert_eq!(v.tidy(), (4e-9, "sec/op".to_string()));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    /// The number.
    pub value: f64,
    /// Its unit, such as `ns/op`, `B/op`, `allocs/op`, `MB/s` or a custom `widgets/op`.
    pub unit: String,
}

impl Value {
    /// A value in a unit.
    ///
    /// ```
    /// assert_eq!(oxprof_benchfmt::Value::new(1.0, "B/op").unit, "B/op");
    /// ```
    pub fn new(value: f64, unit: impl Into<String>) -> Self {
        Value {
            value,
            unit: unit.into(),
        }
    }

    /// The value in its tidied unit (see [`units::tidy`]).
    ///
    /// ```
    /// let v = oxprof_benchfmt::Value::new(2.0, "MB/s");
    /// assert_eq!(v.tidy(), (2e6, "B/s".to_string()));
    /// ```
    pub fn tidy(&self) -> (f64, String) {
        units::tidy_value(self.value, &self.unit)
    }
}

/// A `key: value` configuration line's setting.
///
/// ```
/// let c = oxprof_benchfmt::Config::new("goos", "linux");
/// assert_eq!((c.key.as_str(), c.value.as_str()), ("goos", "linux"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Config {
    /// The key: starts with a lower-case letter, no spaces or upper-case letters.
    pub key: String,
    /// The value; never empty in a reader's configuration (an empty value removes the key).
    pub value: String,
}

impl Config {
    /// A configuration setting.
    ///
    /// ```
    /// assert_eq!(oxprof_benchfmt::Config::new("pkg", "x").value, "x");
    /// ```
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        Config {
            key: key.into(),
            value: value.into(),
        }
    }
}
