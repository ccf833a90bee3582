//! Reading the format: a line-by-line [`Reader`] that tracks configuration and unit metadata,
//! and [`parse`] for callers that want every result or the first error.

use std::{collections::VecDeque, fmt};

use crate::{units, BenchResult, Config, Name, Value};

/// A malformed line: where it is and what is wrong with it.
///
/// Displays as `file:line: message`, as Go's tools report it.
///
/// ```
/// let err = oxprof_benchfmt::parse("BenchmarkX 10 5\n").unwrap_err();
/// assert_eq!(err.line, 1);
/// assert_eq!(err.message, "missing units");
/// assert_eq!(err.to_string(), "<input>:1: missing units");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// The file name given to the reader, for messages only.
    pub file: String,
    /// The 1-based line number.
    pub line: usize,
    /// What is wrong, in lower case without a trailing period.
    pub message: String,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

impl std::error::Error for SyntaxError {}

/// A `Unit <unit> key=value` line's entry: metadata about a unit, such as `better=higher` or
/// `assume=exact`.
///
/// ```
/// use oxprof_benchfmt::{Reader, Record};
///
/// let mut reader = Reader::new("Unit ns/op assume=exact\n", "x.txt");
/// let Some(Ok(Record::Unit(unit))) = reader.next() else { panic!() };
/// assert_eq!((unit.unit.as_str(), unit.key.as_str(), unit.value.as_str()), ("ns/op", "assume", "exact"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitMetadata {
    /// The unit as written (untidied).
    pub unit: String,
    /// The metadata key (`better`, `assume`, ...).
    pub key: String,
    /// Its value.
    pub value: String,
    /// The 1-based line it was read from.
    pub line: usize,
}

/// What a [`Reader`] yields for the lines that mean something.
///
/// ```
/// use oxprof_benchfmt::{Reader, Record};
///
/// let input = "goos: linux\nBenchmarkA-2 10 5 ns/op\nPASS\n";
/// let records: Vec<_> = Reader::new(input, "a.txt").collect::<Result<_, _>>().unwrap();
/// assert!(matches!(&records[..], [Record::Result(r)] if r.config("goos") == Some("linux")));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// A benchmark result line, with the configuration in effect at that line.
    Result(BenchResult),
    /// One entry of a unit metadata line.
    Unit(UnitMetadata),
}

/// Reads Go's benchmark format line by line, as golang.org/x/perf's `benchfmt.Reader` does.
///
/// - `key: value` lines set configuration for the results after them (an empty value removes the
///   key); the key starts with a lower-case letter and has no spaces or upper-case letters.
/// - Lines starting with `Benchmark` are results: name, iteration count, then value/unit pairs.
///   A malformed one is an error, not an ignored line.
/// - `Unit <unit> key=value...` lines give unit metadata.
/// - Everything else (`PASS`, `ok ...`, blank lines, test log output) is ignored.
///
/// Errors do not stop the reader: each one is yielded and reading continues with the next line.
/// Lines end at `\n`; a `\r` before it is dropped. Bytes that are not UTF-8 make that line an
/// error.
///
/// ```
/// use oxprof_benchfmt::{Reader, Record};
///
/// let input = "pkg: demo\nBenchmarkOk 10 5 ns/op\nBenchmarkBad 10\nBenchmarkOk 20 4 ns/op\n";
/// let mut results = 0;
/// let mut errors = Vec::new();
/// for record in Reader::new(input, "demo.txt") {
///     match record {
///         Ok(Record::Result(_)) => results += 1,
///         Ok(Record::Unit(_)) => {}
///         Err(e) => errors.push(e.to_string()),
///     }
/// }
/// assert_eq!(results, 2);
/// assert_eq!(errors, ["demo.txt:3: missing measurements"]);
/// ```
pub struct Reader<'a> {
    rest: &'a [u8],
    file: String,
    line: usize,
    config: Vec<Config>,
    units: Vec<UnitMetadata>,
    queue: VecDeque<Result<Record, SyntaxError>>,
}

impl<'a> Reader<'a> {
    /// A reader over `input`; `file` names it in error messages.
    ///
    /// ```
    /// let mut reader = oxprof_benchfmt::Reader::new(b"BenchmarkX 1 2 B/op\n", "x.txt");
    /// assert!(reader.next().unwrap().is_ok());
    /// assert!(reader.next().is_none());
    /// ```
    pub fn new(input: &'a (impl AsRef<[u8]> + ?Sized), file: &str) -> Self {
        Reader {
            rest: input.as_ref(),
            file: file.to_string(),
            line: 0,
            config: Vec::new(),
            units: Vec::new(),
            queue: VecDeque::new(),
        }
    }

    /// The unit metadata read so far, first setting of each (unit, key) pair only.
    ///
    /// ```
    /// let mut reader = oxprof_benchfmt::Reader::new("Unit B/s better=higher\n", "x");
    /// reader.by_ref().for_each(drop);
    /// assert_eq!(reader.units()[0].value, "higher");
    /// ```
    pub fn units(&self) -> &[UnitMetadata] {
        &self.units
    }

    /// The configuration in effect after the lines read so far, in the order keys were first set.
    ///
    /// ```
    /// let mut reader = oxprof_benchfmt::Reader::new("goos: linux\ngoarch: amd64\ngoos:\n", "x");
    /// reader.by_ref().for_each(drop);
    /// assert_eq!(reader.config().len(), 1);
    /// assert_eq!(reader.config()[0].key, "goarch");
    /// ```
    pub fn config(&self) -> &[Config] {
        &self.config
    }

    fn next_line(&mut self) -> Option<&'a [u8]> {
        if self.rest.is_empty() {
            return None;
        }
        let (line, rest) = match self.rest.iter().position(|&b| b == b'\n') {
            Some(nl) => (&self.rest[..nl], &self.rest[nl + 1..]),
            None => (self.rest, &self.rest[self.rest.len()..]),
        };
        self.rest = rest;
        self.line += 1;
        Some(line.strip_suffix(b"\r").unwrap_or(line))
    }

    fn error(&self, message: impl Into<String>) -> SyntaxError {
        SyntaxError {
            file: self.file.clone(),
            line: self.line,
            message: message.into(),
        }
    }

    /// Interprets one line, queueing whatever it yields.
    fn read_line(&mut self, line: &[u8]) {
        let Ok(line) = std::str::from_utf8(line) else {
            let e = self.error("invalid UTF-8; only UTF-8 input is supported");
            return self.queue.push_back(Err(e));
        };
        if let Some(rest) = line.strip_prefix("Benchmark") {
            let record = self.result(rest).map(Record::Result);
            self.queue.push_back(record);
        } else if let Some(rest) = line
            .strip_prefix("Unit")
            .filter(|r| r.is_empty() || starts_with_space(r))
        {
            self.unit_line(rest);
        } else if let Some((key, value)) = config_line(line) {
            self.set_config(key, value);
        }
    }

    fn result(&self, line: &str) -> Result<BenchResult, SyntaxError> {
        let mut fields = line.split_whitespace();
        // A name directly followed by a space ("Benchmark 1 2 ns/op") is the empty name.
        let name = if starts_with_space(line) {
            ""
        } else {
            fields.next().unwrap_or("")
        };
        let iters = fields
            .next()
            .ok_or_else(|| self.error("missing iteration count"))?;
        let iters = parse_iters(iters)
            .map_err(|why| self.error(format!("parsing iteration count: {why}")))?;
        let mut values = Vec::new();
        while let Some(value) = fields.next() {
            let value = parse_float(value)
                .ok_or_else(|| self.error("parsing measurement: invalid syntax"))?;
            let unit = fields.next().ok_or_else(|| self.error("missing units"))?;
            values.push(Value {
                value,
                unit: unit.to_string(),
            });
        }
        if values.is_empty() {
            return Err(self.error("missing measurements"));
        }
        Ok(BenchResult {
            name: Name::new(name),
            iters,
            values,
            config: self.config.clone(),
            line: self.line,
        })
    }

    fn unit_line(&mut self, line: &str) {
        let mut fields = line.split_whitespace();
        let Some(unit) = fields.next() else {
            return self.queue.push_back(Err(self.error("missing unit")));
        };
        let tidied = units::tidy(unit).0;
        for field in fields {
            let Some((key, value)) = field.split_once('=').filter(|(k, _)| !k.is_empty()) else {
                self.queue.push_back(Err(self.error("expected key=value")));
                continue;
            };
            // Metadata belongs to the tidied unit: `ns/op` and `sec/op` are one unit.
            let existing = self
                .units
                .iter()
                .find(|m| m.key == key && units::tidy(&m.unit).0 == tidied);
            match existing {
                Some(have) if have.value == value => {}
                Some(have) => {
                    let message = format!(
                        "metadata {key} of unit {unit} already set to {}",
                        have.value
                    );
                    self.queue.push_back(Err(self.error(message)));
                }
                None => {
                    let metadata = UnitMetadata {
                        unit: unit.to_string(),
                        key: key.to_string(),
                        value: value.to_string(),
                        line: self.line,
                    };
                    self.units.push(metadata.clone());
                    self.queue.push_back(Ok(Record::Unit(metadata)));
                }
            }
        }
    }

    fn set_config(&mut self, key: &str, value: &str) {
        let at = self.config.iter().position(|c| c.key == key);
        match (at, value.is_empty()) {
            (Some(i), true) => {
                self.config.remove(i);
            }
            (Some(i), false) => self.config[i].value = value.to_string(),
            (None, true) => {}
            (None, false) => self.config.push(Config {
                key: key.to_string(),
                value: value.to_string(),
            }),
        }
    }
}

impl Iterator for Reader<'_> {
    type Item = Result<Record, SyntaxError>;

    fn next(&mut self) -> Option<Self::Item> {
        while self.queue.is_empty() {
            let line = self.next_line()?;
            self.read_line(line);
        }
        self.queue.pop_front()
    }
}

/// Every result in `input`, or the first malformed line. Unit metadata lines are checked but not
/// returned; use a [`Reader`] to see them or to read past errors.
///
/// ```
/// let input = "\
/// goos: linux
/// BenchmarkJoin-2   \t 8640690\t        25.23 ns/op\t 396.36 MB/s
/// PASS
/// ";
/// let results = oxprof_benchfmt::parse(input)?;
/// assert_eq!(results.len(), 1);
/// assert_eq!(results[0].name.as_str(), "Join-2");
/// assert_eq!(results[0].iters, 8640690);
/// assert_eq!(results[0].value("MB/s"), Some(396.36));
/// # Ok::<(), oxprof_benchfmt::SyntaxError>(())
/// ```
pub fn parse(input: &(impl AsRef<[u8]> + ?Sized)) -> Result<Vec<BenchResult>, SyntaxError> {
    let mut results = Vec::new();
    for record in Reader::new(input, "<input>") {
        if let Record::Result(r) = record? {
            results.push(r);
        }
    }
    Ok(results)
}

fn starts_with_space(s: &str) -> bool {
    s.chars().next().is_some_and(char::is_whitespace)
}

/// Splits a `key: value` configuration line, or `None` when the line is something else.
fn config_line(line: &str) -> Option<(&str, &str)> {
    let colon = line.find(':')?;
    let key = &line[..colon];
    let first = key.chars().next()?;
    if !first.is_lowercase() || key.chars().any(|c| c.is_whitespace() || c.is_uppercase()) {
        return None;
    }
    let after = &line[colon + 1..];
    if after.is_empty() {
        return Some((key, ""));
    }
    // At least one space or tab separates the colon from the value.
    let value = after.trim_start_matches([' ', '\t']);
    (value.len() < after.len()).then_some((key, value))
}

fn parse_iters(s: &str) -> Result<u64, &'static str> {
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err("invalid syntax");
    }
    s.parse().map_err(|_| "value out of range")
}

/// A float as Go's `strconv.ParseFloat` reads one, minus hexadecimal and underscore forms.
fn parse_float(s: &str) -> Option<f64> {
    // Rust also accepts "infinity" and "nan" in any case, as Go does; it does not accept a
    // leading '.' without digits or trailing garbage, as Go does not.
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(input: &str) -> Vec<String> {
        Reader::new(input, "f")
            .filter_map(Result::err)
            .map(|e| e.to_string())
            .collect()
    }

    #[test]
    fn malformed_result_lines_name_their_line_and_fault() {
        let input = "BenchmarkA\nBenchmarkB x 1 ns/op\nBenchmarkC 1 x ns/op\nBenchmarkD 1 2\n\
                     BenchmarkE -1 2 ns/op\nBenchmarkF 99999999999999999999 1 ns/op\nBenchmarkG 1\n";
        assert_eq!(
            errors(input),
            [
                "f:1: missing iteration count",
                "f:2: parsing iteration count: invalid syntax",
                "f:3: parsing measurement: invalid syntax",
                "f:4: missing units",
                "f:5: parsing iteration count: invalid syntax",
                "f:6: parsing iteration count: value out of range",
                "f:7: missing measurements",
            ]
        );
    }

    #[test]
    fn config_lines_follow_go_rules() {
        for (line, want) in [
            ("goos: linux", Some(("goos", "linux"))),
            ("cpu: AMD EPYC 7B13 ", Some(("cpu", "AMD EPYC 7B13 "))),
            ("key:\t\t v", Some(("key", "v"))),
            ("key:", Some(("key", ""))),
            ("key:value", None),
            ("Key: v", None),
            ("kEy: v", None),
            ("k y: v", None),
            (": v", None),
            ("1key: v", None),
            ("ok  \tbenchfmt\t7.710s", None),
            ("PASS", None),
            ("é-x: v", Some(("é-x", "v"))),
        ] {
            assert_eq!(config_line(line), want, "{line:?}");
        }
    }

    #[test]
    fn configuration_applies_until_changed_or_removed() {
        let input =
            "goos: linux\npkg: a\nBenchmarkX 1 1 ns/op\npkg: b\ngoos:\nBenchmarkX 1 2 ns/op\n";
        let results = parse(input).unwrap();
        let keys = |r: &BenchResult| {
            r.config
                .iter()
                .map(|c| format!("{}={}", c.key, c.value))
                .collect::<Vec<_>>()
        };
        assert_eq!(keys(&results[0]), ["goos=linux", "pkg=a"]);
        assert_eq!(keys(&results[1]), ["pkg=b"]);
        assert_eq!(results[1].line, 6);
    }

    #[test]
    fn unit_metadata_conflicts_are_errors_on_the_tidied_unit() {
        let input = "Unit ns/op better=lower assume=exact\nUnit sec/op assume=exact junk =x\n\
                     Unit ns/op better=higher\nUnit\nUnitless: no\n";
        let mut reader = Reader::new(input, "u");
        let records: Vec<_> = reader.by_ref().collect();
        let errs: Vec<_> = records
            .iter()
            .filter_map(|r| r.as_ref().err().map(ToString::to_string))
            .collect();
        assert_eq!(
            errs,
            [
                "u:2: expected key=value",
                "u:2: expected key=value",
                "u:3: metadata better of unit ns/op already set to lower",
                "u:4: missing unit",
            ]
        );
        assert_eq!(reader.units().len(), 2);
    }

    #[test]
    fn line_endings_and_bad_bytes() {
        let input: &[u8] = b"goos: x\r\nBenchmarkA 1 2 ns/op\r\n\xff\xfe\nBenchmarkB 3 4 ns/op";
        let records: Vec<_> = Reader::new(input, "b").collect();
        assert_eq!(records.len(), 3);
        let Ok(Record::Result(a)) = &records[0] else {
            panic!("{records:?}")
        };
        assert_eq!(a.config("goos"), Some("x"));
        assert_eq!(a.values[0].unit, "ns/op");
        assert_eq!(records[1].as_ref().unwrap_err().line, 3);
        let Ok(Record::Result(b)) = &records[2] else {
            panic!("{records:?}")
        };
        assert_eq!((b.name.as_str(), b.iters, b.line), ("B", 3, 4));
    }

    #[test]
    fn empty_and_unusual_names() {
        let r = parse("Benchmark 5 1 ns/op\n").unwrap();
        assert_eq!((r[0].name.as_str(), r[0].iters), ("", 5));
        let r = parse("Benchmark\u{a0}6 1 ns/op\n").unwrap();
        assert_eq!((r[0].name.as_str(), r[0].iters), ("", 6));
        let r = parse("BenchmarkName/with spaces?").unwrap_err();
        assert_eq!(r.message, "parsing iteration count: invalid syntax");
    }
}
