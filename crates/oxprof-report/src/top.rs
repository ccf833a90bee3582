//! The `top` (`text`) report: one line per node with flat and cumulative weights, their
//! percentages of the total and the running sum of flat percentages.

use std::io::{self, Write};

use oxprof_profile::Profile;

use crate::graph::{trimmed_for_output, Graph, Node};
use crate::{header, measurement, Options, Report};

/// One row of the `top` table.
///
/// ```
/// let item = oxprof_report::top::TextItem { name: "main.hot".into(), inline_label: "", flat: 1, cum: 2, flat_format: "1".into(), cum_format: "2".into() };
/// assert_eq!(item.inline_label, "");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextItem {
    /// Printable node name.
    pub name: String,
    /// `(inline)` when every call into the node was inlined, `(partial-inline)` when some
    /// were, else empty.
    pub inline_label: &'static str,
    /// Flat value.
    pub flat: i64,
    /// Cumulative value.
    pub cum: i64,
    /// Flat value formatted in the output unit.
    pub flat_format: String,
    /// Cumulative value formatted in the output unit.
    pub cum_format: String,
}

/// The rows and header lines of the `top` report of `profile`: pprof's `TextItems`.
///
/// ```
/// use oxprof_profile::{Function, Line, Location, Profile, Sample, ValueType};
/// let p = Profile {
///     sample_type: vec![ValueType::new("samples", "count")],
///     sample: vec![Sample { location_id: vec![1], value: vec![7], label: vec![] }],
///     location: vec![Location { id: 1, line: vec![Line { function_id: 1, ..Default::default() }], ..Default::default() }],
///     function: vec![Function { id: 1, name: "main".into(), ..Default::default() }],
///     ..Default::default()
/// };
/// let (items, labels) = oxprof_report::top::text_items(&p, &Default::default())?;
/// assert_eq!((items[0].name.as_str(), items[0].flat_format.as_str()), ("main", "7"));
/// assert_eq!(labels.last().unwrap(), "Showing nodes accounting for 7, 100% of 7 total");
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn text_items(
    profile: &Profile,
    options: &Options,
) -> io::Result<(Vec<TextItem>, Vec<String>)> {
    build(profile, options).map(|(_, items, labels)| (items, labels))
}

fn build(profile: &Profile, options: &Options) -> io::Result<(Report, Vec<TextItem>, Vec<String>)> {
    let mut report = Report::new(profile, options, "top")?;
    let t = trimmed_for_output(profile, &mut report, true);
    let labels = header::report_labels(&report, profile, &t, false);
    let items = t
        .graph
        .nodes
        .iter()
        .map(|n| TextItem {
            name: n.info.printable_name(),
            inline_label: inline_label(&t.graph, n),
            flat: n.flat_value(),
            cum: n.cum_value(),
            flat_format: report.format_value(n.flat_value()),
            cum_format: report.format_value(n.cum_value()),
        })
        .collect();
    Ok((report, items, labels))
}

fn inline_label(graph: &Graph, node: &Node) -> &'static str {
    let inline = node.incoming.iter().any(|&e| graph.edges[e].inline);
    let not_inline = node.incoming.iter().any(|&e| !graph.edges[e].inline);
    match (inline, not_inline) {
        (true, true) => "(partial-inline)",
        (true, false) => "(inline)",
        _ => "",
    }
}

/// Writes the `top` report of `profile` as `go tool pprof -top` prints it: header lines, then
/// `flat flat% sum% cum cum%` and one row per node.
///
/// ```
/// use oxprof_profile::{Function, Line, Location, Profile, Sample, ValueType};
/// let p = Profile {
///     sample_type: vec![ValueType::new("samples", "count")],
///     sample: vec![Sample { location_id: vec![1], value: vec![7], label: vec![] }],
///     location: vec![Location { id: 1, line: vec![Line { function_id: 1, ..Default::default() }], ..Default::default() }],
///     function: vec![Function { id: 1, name: "main".into(), ..Default::default() }],
///     ..Default::default()
/// };
/// let mut out = Vec::new();
/// oxprof_report::top::write_top(&mut out, &p, &Default::default())?;
/// let text = String::from_utf8(out).unwrap();
/// assert!(text.ends_with("      flat  flat%   sum%        cum   cum%\n         7   100%   100%          7   100%  main\n"));
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn write_top(w: &mut dyn Write, profile: &Profile, options: &Options) -> io::Result<()> {
    let (report, items, labels) = build(profile, options)?;
    writeln!(w, "{}", labels.join("\n"))?;
    writeln!(
        w,
        "{:>10} {:>5}% {:>5}% {:>10} {:>5}%",
        "flat", "flat", "sum", "cum", "cum"
    )?;
    let mut flat_sum = 0i64;
    for item in &items {
        flat_sum = flat_sum.wrapping_add(item.flat);
        let inline = if item.inline_label.is_empty() {
            String::new()
        } else {
            format!(" {}", item.inline_label)
        };
        writeln!(
            w,
            "{:>10} {} {} {:>10} {}  {}{inline}",
            item.flat_format,
            measurement::percentage(item.flat, report.total),
            measurement::percentage(flat_sum, report.total),
            item.cum_format,
            measurement::percentage(item.cum, report.total),
            item.name,
        )?;
    }
    Ok(())
}
