//! The `tags` report: for every label key, the total sample value and each label value's share
//! of it, as `go tool pprof -tags` prints it.
//!
//! String labels are listed by value; numeric labels by their value in the most readable unit of
//! their key's unit (so `65536` bytes is listed as `64kB`), values that print the same being
//! summed. Which keys appear is up to the caller: pprof's `tagshow`/`taghide` remove labels from
//! the profile before the report is made.

mod tabwriter;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use oxprof_profile::{LabelValue, NumLabelUnits, Profile};

use crate::{measurement, Report};

/// Writes the tags report of `profile`: keys in name order, each as `key: Total <sum>` followed
/// by its values, heaviest (by absolute value) first, as `<value> (<pct>): <label value>`, and an
/// empty line; columns right-aligned as Go's tabwriter aligns them. Values are each sample's
/// value at `report`'s sample index, printed with one decimal in `report`'s output unit.
/// Percentages are left out when the key's total is not positive. `units` gives the unit of each
/// numeric label key; pprof infers them from the profile before any filtering
/// ([`Profile::num_label_units`]).
///
/// ```
/// use oxprof_profile::{Label, Profile, Sample, ValueType};
/// let s = |v: i64, worker: &str| Sample { location_id: vec![], value: vec![v], label: vec![Label::str("worker", worker)] };
/// let p = Profile {
///     sample_type: vec![ValueType::new("cpu", "nanoseconds")],
///     sample: vec![s(30_000_000, "a"), s(10_000_000, "b")],
///     ..Default::default()
/// };
/// let report = oxprof_report::Report::new(&p, &Default::default(), "tags")?;
/// let mut out = Vec::new();
/// oxprof_report::tags::write_tags(&mut out, &p, &report, &p.num_label_units())?;
/// assert_eq!(
///     String::from_utf8(out).unwrap(),
///     " worker: Total 40.0ms\n         30.0ms (75.00%): a\n         10.0ms (25.00%): b\n\n"
/// );
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn write_tags(
    w: &mut dyn Write,
    profile: &Profile,
    report: &Report,
    units: &NumLabelUnits,
) -> io::Result<()> {
    let output_unit = &report.options.output_unit;
    let weights = report.graph_options();
    let mut tags: BTreeMap<&str, BTreeMap<String, i64>> = BTreeMap::new();
    for sample in &profile.sample {
        // pprof sums plain values here, never means.
        let (value, _) = weights.weigh(sample);
        for label in &sample.label {
            let name = match &label.value {
                LabelValue::Str(s) => s.clone(),
                LabelValue::Num { num, .. } => {
                    let unit = units
                        .units
                        .get(&label.key)
                        .map_or(label.key.as_str(), String::as_str);
                    measurement::scaled_label(*num, unit, output_unit)
                }
            };
            let sum = tags.entry(&label.key).or_default().entry(name).or_default();
            *sum = sum.wrapping_add(value);
        }
    }

    let scaled = |v: i64| {
        let (v, unit) = measurement::scale(v, &report.sample_unit, output_unit);
        format!("{v:.1}{unit}")
    };
    let mut text = String::new();
    for (key, values) in tags {
        let total = values.values().fold(0i64, |t, v| t.wrapping_add(*v));
        let _ = writeln!(text, "{key}:\t Total {}", scaled(total));
        let mut values: Vec<(String, i64)> = values.into_iter().collect();
        // Already in name order; a stable sort keeps it among equal weights.
        values.sort_by_key(|(_, v)| std::cmp::Reverse(v.unsigned_abs()));
        for (name, v) in values {
            if total > 0 {
                let pct = measurement::percentage(v, total);
                let _ = writeln!(text, " \t{} ({pct}):\t {name}", scaled(v));
            } else {
                let _ = writeln!(text, " \t{}:\t {name}", scaled(v));
            }
        }
        text.push('\n');
    }
    w.write_all(tabwriter::align_right(&text).as_bytes())
}
