//! The `list` report: the source of every function whose name matches a regular expression,
//! each line with the flat and cumulative weight of the samples at it, as `go tool pprof -list`
//! prints it.
//!
//! [`source_listing`] computes what is shown ([`SourceListing`]); [`write_list`] prints it.
//! The profile is expected at line granularity (the driver aggregates it so, as pprof does for
//! `list`).

use std::collections::HashMap;
use std::io::{self, Write};

use oxprof_profile::Profile;
use regex::Regex;

use crate::graph::{Graph, GraphOptions, Node};
use crate::source_files::SourceReader;
use crate::{measurement, Options, Report};

/// Lines shown before the first and after the last line with samples of a function.
const MARGIN: i64 = 5;

/// What `list` shows: the total and, for each matching function in name order, its routines.
///
/// ```
/// let l = oxprof_report::list::SourceListing::default();
/// assert!(l.entries.is_empty());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceListing {
    /// The total percentages refer to.
    pub total: i64,
    /// One entry per function and source file.
    pub entries: Vec<ListEntry>,
}

/// One function of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListEntry {
    /// The function's samples carry no file name.
    NoSourceInfo {
        /// The function.
        function: String,
    },
    /// The function's lines in one file.
    Routine(SourceRoutine),
}

/// A function's source in one file, with its weights.
///
/// ```
/// let r = oxprof_report::list::SourceRoutine { function: "f".into(), file: "a.rs".into(), flat: 1, cum: 2, source: Err("gone".into()) };
/// assert!(r.source.is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRoutine {
    /// The function.
    pub function: String,
    /// The file, as the report shows it (trimmed and cleaned).
    pub file: String,
    /// Flat weight of the function's lines in this file.
    pub flat: i64,
    /// Cumulative weight.
    pub cum: i64,
    /// The lines shown, or why the file could not be read.
    pub source: Result<Vec<SourceLine>, String>,
}

/// One source line with its weights.
///
/// ```
/// let l = oxprof_report::list::SourceLine { lineno: 7, text: "    x += 1;".into(), flat: 0, cum: 0 };
/// assert_eq!(l.lineno, 7);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceLine {
    /// Line number, from 1.
    pub lineno: i64,
    /// The line's text without its line end.
    pub text: String,
    /// Weight of samples whose leaf is this line.
    pub flat: i64,
    /// Weight of samples with this line on the stack.
    pub cum: i64,
}

/// Computes the `list` report of functions whose name matches `symbol`, reading sources with
/// `reader`. Fails when no function with samples matches.
///
/// ```
/// use oxprof_profile::{Function, Line, Location, Profile, Sample, ValueType};
/// use oxprof_report::source_files::{SourceLoader, SourceReader};
/// struct Text;
/// impl SourceLoader for Text {
///     fn load(&mut self, _: &str) -> Result<String, String> { Ok("fn hot() {\n    spin();\n}\n".into()) }
/// }
/// let p = Profile {
///     sample_type: vec![ValueType::new("samples", "count")],
///     sample: vec![Sample { location_id: vec![1], value: vec![3], label: vec![] }],
///     location: vec![Location { id: 1, line: vec![Line { function_id: 1, line: 2, column: 0 }], ..Default::default() }],
///     function: vec![Function { id: 1, name: "hot".into(), filename: "hot.rs".into(), ..Default::default() }],
///     ..Default::default()
/// };
/// let report = oxprof_report::Report::new(&p, &Default::default(), "list")?;
/// let re = regex::Regex::new("hot").unwrap();
/// let listing = oxprof_report::list::source_listing(&p, &report, &re, &mut SourceReader::new(Box::new(Text)))?;
/// let oxprof_report::list::ListEntry::Routine(r) = &listing.entries[0] else { panic!() };
/// let lines = r.source.as_ref().unwrap();
/// assert_eq!((lines[1].lineno, lines[1].flat, lines.len()), (2, 3, 3));
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn source_listing(
    profile: &Profile,
    report: &Report,
    symbol: &Regex,
    reader: &mut SourceReader,
) -> io::Result<SourceListing> {
    let options = GraphOptions {
        obj_names: true,
        ..report.graph_options()
    };
    let graph = Graph::new(profile, &options, None);
    // Nodes of each matching function, in graph order, functions in name order.
    let mut by_function: HashMap<&str, Vec<&Node>> = HashMap::new();
    for node in &graph.nodes {
        if symbol.is_match(&node.info.name) {
            by_function.entry(&node.info.name).or_default().push(node);
        }
    }
    if by_function.is_empty() {
        return Err(no_matches(symbol));
    }
    let mut functions: Vec<&str> = by_function.keys().copied().collect();
    functions.sort_unstable();

    let mut entries = Vec::new();
    for function in functions {
        let mut by_file: HashMap<&str, Vec<&Node>> = HashMap::new();
        for node in &by_function[function] {
            if !node.info.file.is_empty() {
                by_file.entry(&node.info.file).or_default().push(node);
            }
        }
        if by_file.is_empty() {
            entries.push(ListEntry::NoSourceInfo {
                function: function.to_string(),
            });
            continue;
        }
        let mut files: Vec<&str> = by_file.keys().copied().collect();
        files.sort_unstable();
        for file in files {
            let nodes = &by_file[file];
            let (flat, cum) = raw_sums(nodes.iter().copied());
            entries.push(ListEntry::Routine(SourceRoutine {
                function: function.to_string(),
                file: file.to_string(),
                flat,
                cum,
                source: annotated_lines(file, nodes, reader),
            }));
        }
    }
    Ok(SourceListing {
        total: report.total,
        entries,
    })
}

/// Writes the `list` report as `go tool pprof -list` prints it: `Total:`, then for each routine
/// a `ROUTINE` line, its weights, and `flat cum lineno:text` per line (`.` for zero).
///
/// ```
/// use oxprof_profile::{Function, Line, Location, Profile, Sample, ValueType};
/// use oxprof_report::source_files::{SourceLoader, SourceReader};
/// struct Missing;
/// impl SourceLoader for Missing {
///     fn load(&mut self, path: &str) -> Result<String, String> { Err(format!("could not find file {path}")) }
/// }
/// let p = Profile {
///     sample_type: vec![ValueType::new("samples", "count")],
///     sample: vec![Sample { location_id: vec![1], value: vec![3], label: vec![] }],
///     location: vec![Location { id: 1, line: vec![Line { function_id: 1, line: 2, column: 0 }], ..Default::default() }],
///     function: vec![Function { id: 1, name: "hot".into(), filename: "hot.rs".into(), ..Default::default() }],
///     ..Default::default()
/// };
/// let mut out = Vec::new();
/// let re = regex::Regex::new("hot").unwrap();
/// oxprof_report::list::write_list(&mut out, &p, &Default::default(), &re, &mut SourceReader::new(Box::new(Missing)))?;
/// assert_eq!(String::from_utf8(out).unwrap(), "Total: 3\nROUTINE ======================== hot in hot.rs\n         3          3 (flat, cum)   100% of Total\n Error: could not find file hot.rs\n");
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn write_list(
    w: &mut dyn Write,
    profile: &Profile,
    options: &Options,
    symbol: &Regex,
    reader: &mut SourceReader,
) -> io::Result<()> {
    let report = Report::new(profile, options, "list")?;
    let listing = source_listing(profile, &report, symbol, reader)?;
    writeln!(w, "Total: {}", report.format_value(listing.total))?;
    for entry in &listing.entries {
        let routine = match entry {
            ListEntry::NoSourceInfo { function } => {
                writeln!(w, "No source information for {function}")?;
                continue;
            }
            ListEntry::Routine(routine) => routine,
        };
        writeln!(
            w,
            "ROUTINE ======================== {} in {}",
            routine.function, routine.file
        )?;
        writeln!(
            w,
            "{:>10} {:>10} (flat, cum) {} of Total",
            report.format_value(routine.flat),
            report.format_value(routine.cum),
            measurement::percentage(routine.cum, listing.total)
        )?;
        match &routine.source {
            Err(e) => writeln!(w, " Error: {e}")?,
            Ok(lines) => {
                for line in lines {
                    writeln!(
                        w,
                        "{:>10} {:>10} {:>6}:{}",
                        value_or_dot(line.flat, &report),
                        value_or_dot(line.cum, &report),
                        line.lineno,
                        line.text
                    )?;
                }
            }
        }
    }
    Ok(())
}

/// The lines pprof shows for a function's `nodes` in `file`: from the function's first line
/// (or five lines before the first sampled one) to five lines after the last sampled one, cut
/// at the end of the file.
fn annotated_lines(
    file: &str,
    nodes: &[&Node],
    reader: &mut SourceReader,
) -> Result<Vec<SourceLine>, String> {
    let span = |n: &Node| {
        let start = match n.info.start_line {
            0 => n.info.lineno - MARGIN,
            s => s,
        };
        (start, n.info.lineno + MARGIN)
    };
    let (mut start, mut end) = (span(nodes[0]).0, nodes[0].info.lineno + MARGIN);
    let mut at_line: HashMap<i64, (i64, i64)> = HashMap::new();
    for n in nodes {
        let (node_start, node_end) = span(n);
        // pprof widens one side per node: a node that moves the start leaves the end alone.
        if node_start < start {
            start = node_start;
        } else if node_end > end {
            end = node_end;
        }
        let sums = at_line.entry(n.info.lineno).or_default();
        sums.0 = sums.0.wrapping_add(n.flat);
        sums.1 = sums.1.wrapping_add(n.cum);
    }
    let mut lines = Vec::new();
    for lineno in start.max(1)..=end {
        let Some(text) = reader.line(file, lineno) else {
            break;
        };
        let (flat, cum) = at_line.get(&lineno).copied().unwrap_or_default();
        lines.push(SourceLine {
            lineno,
            text: text.to_string(),
            flat,
            cum,
        });
    }
    match reader.error(file) {
        Some(e) => Err(e.to_string()),
        None => Ok(lines),
    }
}

/// Sums of flat and cumulative weights as pprof's `Nodes.Sum` takes them: without mean
/// divisors.
fn raw_sums<'a>(nodes: impl Iterator<Item = &'a Node>) -> (i64, i64) {
    nodes.fold((0, 0), |(f, c), n| {
        (f.wrapping_add(n.flat), c.wrapping_add(n.cum))
    })
}

/// A weight as the listings print it: `.` for zero.
pub(crate) fn value_or_dot(value: i64, report: &Report) -> String {
    if value == 0 {
        ".".to_string()
    } else {
        report.format_value(value)
    }
}

/// pprof's error for a regex matching nothing.
pub(crate) fn no_matches(symbol: &Regex) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        format!("no matches found for regexp: {}", symbol.as_str()),
    )
}
