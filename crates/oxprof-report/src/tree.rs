//! The `tree` and `peek` reports: every node with its callers above and callees below it, each
//! edge weighted and given as a share of the node's cumulative weight. `peek` shows only the
//! nodes whose name matches a regular expression, and never trims.

use std::io::{self, Write};

use oxprof_profile::Profile;
use regex::Regex;

use crate::graph::{trimmed_for_output, Edge, Graph};
use crate::{header, measurement, Options, Report};

const SEPARATOR: &str = "----------------------------------------------------------+-------------";
const LEGEND: &str = "      flat  flat%   sum%        cum   cum%   calls calls% + context \t \t ";

/// Writes the `tree` report of `profile` as `go tool pprof -tree` prints it.
///
/// ```
/// use oxprof_profile::{Function, Line, Location, Profile, Sample, ValueType};
/// let loc = |id| Location { id, line: vec![Line { function_id: id, ..Default::default() }], ..Default::default() };
/// let f = |id, name: &str| Function { id, name: name.into(), ..Default::default() };
/// let p = Profile {
///     sample_type: vec![ValueType::new("samples", "count")],
///     sample: vec![Sample { location_id: vec![2, 1], value: vec![4], label: vec![] }],
///     location: vec![loc(1), loc(2)],
///     function: vec![f(1, "main"), f(2, "work")],
///     ..Default::default()
/// };
/// let mut out = Vec::new();
/// oxprof_report::tree::write_tree(&mut out, &p, &Default::default())?;
/// let text = String::from_utf8(out).unwrap();
/// assert!(text.contains("         4   100%   100%          4   100%                | work\n"));
/// assert!(text.contains(&format!("{:>50}   100% |   main\n", "4")));
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn write_tree(w: &mut dyn Write, profile: &Profile, options: &Options) -> io::Result<()> {
    write(w, profile, options, "tree", None)
}

/// Writes the `peek` report: the `tree` layout restricted to nodes whose printable name matches
/// `symbol`, without trimming. Fails when no node matches.
///
/// ```
/// use oxprof_profile::{Function, Line, Location, Profile, Sample, ValueType};
/// let loc = |id| Location { id, line: vec![Line { function_id: id, ..Default::default() }], ..Default::default() };
/// let f = |id, name: &str| Function { id, name: name.into(), ..Default::default() };
/// let p = Profile {
///     sample_type: vec![ValueType::new("samples", "count")],
///     sample: vec![Sample { location_id: vec![2, 1], value: vec![4], label: vec![] }],
///     location: vec![loc(1), loc(2)],
///     function: vec![f(1, "main"), f(2, "work")],
///     ..Default::default()
/// };
/// let re = regex::Regex::new("^main$").unwrap();
/// let mut out = Vec::new();
/// oxprof_report::tree::write_peek(&mut out, &p, &Default::default(), &re)?;
/// assert!(!String::from_utf8(out).unwrap().contains("| work\n"));
/// let none = regex::Regex::new("nothing").unwrap();
/// let err = oxprof_report::tree::write_peek(&mut Vec::new(), &p, &Default::default(), &none).unwrap_err();
/// assert_eq!(err.to_string(), "no matches found for regexp: nothing");
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn write_peek(
    w: &mut dyn Write,
    profile: &Profile,
    options: &Options,
    symbol: &Regex,
) -> io::Result<()> {
    write(w, profile, options, "peek", Some(symbol))
}

fn write(
    w: &mut dyn Write,
    profile: &Profile,
    options: &Options,
    command: &str,
    symbol: Option<&Regex>,
) -> io::Result<()> {
    let mut report = Report::new(profile, options, command)?;
    let t = trimmed_for_output(profile, &mut report, false);
    writeln!(
        w,
        "{}",
        header::report_labels(&report, profile, &t, false).join("\n")
    )?;
    writeln!(w, "{SEPARATOR}")?;
    writeln!(w, "{LEGEND}")?;
    let g = &t.graph;
    let mut flat_sum = 0i64;
    let mut matched = 0;
    for n in &g.nodes {
        let name = n.info.printable_name();
        if symbol.is_some_and(|re| !re.is_match(&name)) {
            continue;
        }
        matched += 1;
        let (flat, cum) = (n.flat_value(), n.cum_value());
        writeln!(w, "{SEPARATOR}")?;
        write_edges(w, &report, g, &n.incoming, cum, |e| e.src)?;
        flat_sum = flat_sum.wrapping_add(flat);
        writeln!(
            w,
            "{:>10} {} {} {:>10} {}                | {name}",
            report.format_value(flat),
            measurement::percentage(flat, report.total),
            measurement::percentage(flat_sum, report.total),
            report.format_value(cum),
            measurement::percentage(cum, report.total),
        )?;
        write_edges(w, &report, g, &n.outgoing, cum, |e| e.dest)?;
    }
    if !g.nodes.is_empty() {
        writeln!(w, "{SEPARATOR}")?;
    }
    match symbol {
        Some(re) if matched == 0 => Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("no matches found for regexp: {}", re.as_str()),
        )),
        _ => Ok(()),
    }
}

/// One line per edge, heaviest first: weight, share of `cum`, and the node at the other end.
fn write_edges(
    w: &mut dyn Write,
    report: &Report,
    g: &Graph,
    ids: &[usize],
    cum: i64,
    other_end: fn(&Edge) -> usize,
) -> io::Result<()> {
    for e in g.sorted_edges(ids) {
        writeln!(
            w,
            "{:>50} {} |   {}{}",
            report.format_value(e.weight),
            measurement::percentage(e.weight, cum),
            g.nodes[other_end(e)].info.printable_name(),
            if e.inline { " (inline)" } else { "" },
        )?;
    }
    Ok(())
}
