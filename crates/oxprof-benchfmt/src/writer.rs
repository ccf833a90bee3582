//! Writing the format: result lines as `go test` prints them or in benchfmt's compact form, and a
//! [`Writer`] that emits configuration lines whenever the configuration changes.

use std::{fmt, io};

use crate::{BenchResult, Config, UnitMetadata};

impl BenchResult {
    /// The result line as `go test -bench` prints it: `Benchmark` + name padded to `name_width`,
    /// a tab, the iteration count in 8 columns, then each value after a tab. `ns/op` and custom
    /// metrics use `testing`'s `prettyPrint` widths (decimal points align), `MB/s` is `%7.2f`,
    /// and whole `B/op` and `allocs/op` values are `%8d`.
    ///
    /// Values are printed in the order they are stored; `go test` prints `ns/op`, `MB/s`, custom
    /// metrics sorted by unit, then `B/op` and `allocs/op`.
    ///
    /// ```
    /// use oxprof_benchfmt::{BenchResult, Name, Value};
    ///
    /// let r = BenchResult::new(Name::new("Join-2"), 8640690, vec![
    ///     Value::new(25.23, "ns/op"),
    ///     Value::new(396.36, "MB/s"),
    ///     Value::new(16.0, "B/op"),
    ///     Value::new(1.0, "allocs/op"),
    /// ]);
    /// assert_eq!(
    ///     r.to_go_test_line(21),
    ///     "BenchmarkJoin-2      \t 8640690\t        25.23 ns/op\t 396.36 MB/s\t      16 B/op\t       1 allocs/op",
    /// );
    /// ```
    pub fn to_go_test_line(&self, name_width: usize) -> String {
        let name = format!("Benchmark{}", self.name);
        let mut line = format!("{name:<name_width$}\t{:8}", self.iters);
        for v in &self.values {
            line.push('\t');
            let whole = v.value.fract() == 0.0 && v.value.abs() < 1e18;
            match v.unit.as_str() {
                "MB/s" => line.push_str(&format!("{:7.2} MB/s", v.value)),
                "B/op" | "allocs/op" if whole => {
                    line.push_str(&format!("{:8} {}", v.value as i64, v.unit))
                }
                unit => line.push_str(&format!("{} {unit}", pretty(v.value))),
            }
        }
        line
    }
}

/// `testing.prettyPrint`: ten places before the decimal point, and four significant digits for
/// small numbers, with widths chosen so that the decimal points line up.
fn pretty(x: f64) -> String {
    let y = x.abs();
    let (width, precision) = if y == 0.0 || y >= 999.95 {
        (10, 0)
    } else if y >= 99.995 {
        (12, 1)
    } else if y >= 9.9995 {
        (13, 2)
    } else if y >= 0.99995 {
        (14, 3)
    } else if y >= 0.099995 {
        (15, 4)
    } else if y >= 0.0099995 {
        (16, 5)
    } else if y >= 0.00099995 {
        (17, 6)
    } else {
        (18, 7)
    };
    format!("{x:width$.precision$}")
}

/// The compact form benchfmt's writer uses: `Benchmark<name> <iters>` and ` <value> <unit>` per
/// value, values as Go's `%v` prints a float64 (`25690`, `1.5e+07`).
///
/// ```
/// use oxprof_benchfmt::{BenchResult, Name, Value};
///
/// let r = BenchResult::new(Name::new("Map/xn=10-2"), 1552299, vec![
///     Value::new(162.7, "ns/op"),
///     Value::new(12345678.0, "B/op"),
/// ]);
/// assert_eq!(r.to_string(), "BenchmarkMap/xn=10-2 1552299 162.7 ns/op 1.2345678e+07 B/op");
/// ```
impl fmt::Display for BenchResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Benchmark{} {}", self.name, self.iters)?;
        for v in &self.values {
            write!(f, " {} {}", go_float(v.value), v.unit)?;
        }
        Ok(())
    }
}

/// A float64 as Go's `%v` prints it: the shortest digits that read back exactly, in exponent form
/// when the exponent is below -4 or at least 6 (Go's `%g` default precision), with at least two
/// exponent digits.
///
/// ```
/// use oxprof_benchfmt::go_float;
///
/// assert_eq!(go_float(25690.0), "25690");
/// assert_eq!(go_float(1e6), "1e+06");
/// assert_eq!(go_float(0.0001), "0.0001");
/// assert_eq!(go_float(0.00001234), "1.234e-05");
/// assert_eq!(go_float(f64::INFINITY), "+Inf");
/// ```
pub fn go_float(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0" } else { "0" }.into();
    }
    // `{:e}` gives the shortest round-tripping digits: "2.569e4".
    let sci = format!("{x:e}");
    let (mantissa, exp) = sci.split_once('e').expect("{:e} has an exponent");
    let exp: i32 = exp.parse().expect("{:e} exponent is an integer");
    if (-4..6).contains(&exp) {
        x.to_string()
    } else {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    }
}

/// Writes results in the compact form, preceded by `key: value` lines whenever the configuration
/// differs from the previous result's, as benchfmt's writer does: changed and new keys are
/// written, removed keys are written as `key:`, and each configuration block is set off by blank
/// lines.
///
/// ```
/// use oxprof_benchfmt::{parse, BenchResult, Config, Name, Value, Writer};
///
/// let mut r = BenchResult::new(Name::new("A"), 10, vec![Value::new(5.0, "ns/op")]);
/// r.config = vec![Config::new("goos", "linux")];
/// let mut w = Writer::new(Vec::new());
/// w.write_result(&r)?;
/// w.write_result(&r)?;
/// let text = String::from_utf8(w.into_inner()).unwrap();
/// assert_eq!(text, "goos: linux\n\nBenchmarkA 10 5 ns/op\nBenchmarkA 10 5 ns/op\n");
/// let back = parse(&text).unwrap();
/// assert_eq!(back[1].config, r.config);
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Writer<W: io::Write> {
    out: W,
    config: Vec<Config>,
    wrote_result: bool,
}

impl<W: io::Write> Writer<W> {
    /// A writer with no configuration written yet.
    ///
    /// ```
    /// let w = oxprof_benchfmt::Writer::new(std::io::sink());
    /// # drop(w);
    /// ```
    pub fn new(out: W) -> Self {
        Writer {
            out,
            config: Vec::new(),
            wrote_result: false,
        }
    }

    /// Writes the result's configuration changes, then the result line.
    ///
    /// ```
    /// use oxprof_benchfmt::{BenchResult, Name, Value, Writer};
    ///
    /// let mut w = Writer::new(Vec::new());
    /// w.write_result(&BenchResult::new(Name::new("X-4"), 3, vec![Value::new(1.5, "ns/op")]))?;
    /// assert_eq!(w.into_inner(), b"BenchmarkX-4 3 1.5 ns/op\n");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn write_result(&mut self, result: &BenchResult) -> io::Result<()> {
        if result.config != self.config {
            self.write_config(&result.config)?;
        }
        writeln!(self.out, "{result}")?;
        self.wrote_result = true;
        Ok(())
    }

    /// Writes a unit metadata line.
    ///
    /// ```
    /// use oxprof_benchfmt::{UnitMetadata, Writer};
    ///
    /// let mut w = Writer::new(Vec::new());
    /// let m = UnitMetadata { unit: "B/op".into(), key: "assume".into(), value: "exact".into(), line: 0 };
    /// w.write_unit(&m)?;
    /// assert_eq!(w.into_inner(), b"Unit B/op assume=exact\n");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn write_unit(&mut self, metadata: &UnitMetadata) -> io::Result<()> {
        writeln!(
            self.out,
            "Unit {} {}={}",
            metadata.unit, metadata.key, metadata.value
        )
    }

    /// The underlying writer.
    ///
    /// ```
    /// let w = oxprof_benchfmt::Writer::new(Vec::<u8>::new());
    /// assert!(w.into_inner().is_empty());
    /// ```
    pub fn into_inner(self) -> W {
        self.out
    }

    fn write_config(&mut self, config: &[Config]) -> io::Result<()> {
        if self.wrote_result {
            writeln!(self.out)?;
        }
        for old in &self.config {
            if !config.iter().any(|c| c.key == old.key) {
                writeln!(self.out, "{}:", old.key)?;
            }
        }
        for new in config {
            if !self.config.contains(new) {
                writeln!(self.out, "{}: {}", new.key, new.value)?;
            }
        }
        writeln!(self.out)?;
        self.config = config.to_vec();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{parse, Name, Value};

    #[test]
    fn pretty_print_widths_align_decimal_points() {
        for (x, want) in [
            (25690.0, "     25690"),
            (999.95, "      1000"),
            (162.7, "       162.7"),
            (25.23, "        25.23"),
            (2.5, "         2.500"),
            (0.25, "         0.2500"),
            (0.025, "         0.02500"),
            (0.0025, "         0.002500"),
            (0.00025, "         0.0002500"),
            (0.0, "         0"),
        ] {
            assert_eq!(pretty(x), want, "{x}");
        }
    }

    #[test]
    fn go_floats_read_back_exactly() {
        for x in [
            1.0,
            0.1,
            123456.0,
            1234567.0,
            1e21,
            1e-5,
            -2.5e-7,
            f64::MAX,
            f64::MIN_POSITIVE,
            5e-324,
        ] {
            let s = go_float(x);
            assert_eq!(s.parse::<f64>().unwrap(), x, "{s}");
        }
        assert_eq!(go_float(123456.0), "123456");
        assert_eq!(go_float(1234567.0), "1.234567e+06");
        assert_eq!(go_float(1e100), "1e+100");
        assert_eq!(go_float(-2.5e-7), "-2.5e-07");
    }

    #[test]
    fn config_changes_round_trip_through_the_reader() {
        let mut results = Vec::new();
        for (i, config) in [
            vec![Config::new("goos", "linux"), Config::new("pkg", "a")],
            vec![Config::new("goos", "linux"), Config::new("pkg", "a")],
            vec![Config::new("pkg", "b")],
            vec![Config::new("pkg", "b"), Config::new("cpu", "AMD EPYC")],
            vec![],
        ]
        .into_iter()
        .enumerate()
        {
            let mut r = BenchResult::new(
                Name::new(format!("N/k={i}-2")),
                i as u64 + 1,
                vec![Value::new(i as f64 * 1.5, "ns/op"), Value::new(3.0, "B/op")],
            );
            r.config = config;
            results.push(r);
        }
        let mut w = Writer::new(Vec::new());
        for r in &results {
            w.write_result(r).unwrap();
        }
        let text = String::from_utf8(w.into_inner()).unwrap();
        let back = parse(&text).unwrap();
        assert_eq!(back.len(), results.len());
        for (got, want) in back.iter().zip(&results) {
            assert_eq!(
                (&got.name, got.iters, &got.values),
                (&want.name, want.iters, &want.values)
            );
            assert_eq!(got.config, want.config, "{text}");
        }
    }
}
