//! The `traces` report: every sample on its own, with its labels, its value and its whole stack
//! (inlined frames marked), between separator lines, as `go tool pprof -traces` prints it.
//!
//! Samples are printed in profile order and never merged: pprof aggregates a profile to the
//! report granularity without combining samples whose stacks became equal, and `traces` shows
//! that faithfully.

use std::collections::HashMap;
use std::io::{self, Write};

use oxprof_profile::{LabelValue, NumLabelUnits, Profile, Sample};

use crate::graph::{self, GraphOptions, NodeInfo};
use crate::{header, measurement, Report};

const SEPARATOR: &str = "-----------+-------------------------------------------------------";

/// Writes the profile's header lines ([`header::profile_labels`]), then every sample of
/// `profile` with a stack: a separator, its string labels and its numeric labels (each kind
/// sorted, `%10s:  v1 v2`), then one line per frame from the leaf up, the sample's value (per
/// `report`'s sample index, mean, ratio and output unit) on the first. A closing separator ends
/// the report.
///
/// `units` gives the unit of each numeric label key; pprof infers them from the profile before
/// any filtering ([`Profile::num_label_units`]).
///
/// ```
/// use oxprof_profile::{Function, Label, Line, Location, Profile, Sample, ValueType};
/// let p = Profile {
///     sample_type: vec![ValueType::new("cpu", "nanoseconds")],
///     sample: vec![Sample { location_id: vec![1], value: vec![20_000_000], label: vec![Label::str("worker", "a")] }],
///     location: vec![Location { id: 1, line: vec![Line { function_id: 1, line: 0, column: 0 }], ..Default::default() }],
///     function: vec![Function { id: 1, name: "main.spin".into(), ..Default::default() }],
///     ..Default::default()
/// };
/// let report = oxprof_report::Report::new(&p, &Default::default(), "traces")?;
/// let mut out = Vec::new();
/// oxprof_report::traces::write_traces(&mut out, &p, &report, &p.num_label_units())?;
/// let sep = "-----------+-------------------------------------------------------";
/// assert_eq!(
///     String::from_utf8(out).unwrap(),
///     format!("Type: cpu\n{sep}\n    worker:  a\n      20ms   main.spin\n{sep}\n")
/// );
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn write_traces(
    w: &mut dyn Write,
    profile: &Profile,
    report: &Report,
    units: &NumLabelUnits,
) -> io::Result<()> {
    writeln!(w, "{}", header::profile_labels(report, profile).join("\n"))?;
    let weights = report.graph_options();
    let frames: HashMap<u64, Vec<NodeInfo>> = graph::location_infos(profile, &weights)
        .into_iter()
        .map(|(loc, infos)| (loc.id, infos))
        .collect();
    for sample in &profile.sample {
        let stack: Vec<(&NodeInfo, bool)> = sample
            .location_id
            .iter()
            .filter_map(|id| frames.get(id))
            .flat_map(|infos| {
                // A location's lines run from the innermost inlined callee to the caller that
                // holds the address; all but that last one are inlined.
                infos
                    .iter()
                    .enumerate()
                    .map(move |(i, info)| (info, i + 1 != infos.len()))
            })
            .collect();
        if stack.is_empty() {
            continue;
        }
        writeln!(w, "{SEPARATOR}")?;
        for line in label_lines(sample, units) {
            w.write_all(line.as_bytes())?;
        }
        let value = sample_value(sample, &weights);
        for (i, (info, inline)) in stack.into_iter().enumerate() {
            let value = if i == 0 {
                report.format_value(value)
            } else {
                String::new()
            };
            let inline = if inline { " (inline)" } else { "" };
            writeln!(w, "{value:>10}   {}{inline}", info.printable_name())?;
        }
    }
    writeln!(w, "{SEPARATOR}")
}

/// The value reported for `sample`: its weight, divided by its mean divisor when that is not
/// zero (pprof's `-mean`).
fn sample_value(sample: &Sample, options: &GraphOptions) -> i64 {
    match options.weigh(sample) {
        (value, 0) => value,
        (value, divisor) => value.wrapping_div(divisor),
    }
}

/// The label lines of a sample: string labels sorted, then numeric labels (in their key's unit,
/// scaled to the most readable unit) sorted, one line per key with its values in order.
fn label_lines(sample: &Sample, units: &NumLabelUnits) -> Vec<String> {
    let mut strings: Vec<(&str, Vec<String>)> = Vec::new();
    let mut numbers: Vec<(&str, Vec<String>)> = Vec::new();
    for label in &sample.label {
        let (group, value) = match &label.value {
            LabelValue::Str(s) => (&mut strings, s.clone()),
            LabelValue::Num { num, .. } => {
                let unit = units
                    .units
                    .get(&label.key)
                    .map_or(label.key.as_str(), String::as_str);
                (&mut numbers, measurement::label(*num, unit))
            }
        };
        match group.iter_mut().find(|(k, _)| *k == label.key) {
            Some((_, values)) => values.push(value),
            None => group.push((&label.key, vec![value])),
        }
    }
    let render = |group: Vec<(&str, Vec<String>)>| {
        let mut lines: Vec<String> = group
            .into_iter()
            .map(|(k, vs)| format!("{k:>10}:  {}\n", vs.join(" ")))
            .collect();
        lines.sort();
        lines
    };
    let mut lines = render(strings);
    lines.extend(render(numbers));
    lines
}
