//! The header lines above pprof's reports: what the profile is (`File:`, `Build ID:`, comments,
//! `Type:`, `Time:`, `Duration:`), the active filters, and what the report shows
//! (`Showing nodes accounting for ...`, `Dropped N nodes ...`, `Showing top N nodes out of M`).
//!
//! `Time:` uses the layout of the pprof bundled with Go 1.19 (`Jan 2, 2006 at 3:04pm (MST)`),
//! rendered in UTC.

use oxprof_profile::Profile;

use crate::go_time::go_time_utc;
use crate::graph::{go_base, Trimmed};
use crate::{measurement, Report};

/// The lines describing `profile`: main binary, build id, comments not starting with `#`,
/// sample type, collection time and duration with the sample total.
///
/// ```
/// use oxprof_profile::{Mapping, Profile, Sample, ValueType};
/// let p = Profile {
///     sample_type: vec![ValueType::new("cpu", "nanoseconds")],
///     sample: vec![Sample { location_id: vec![], value: vec![2_000_000_000], label: vec![] }],
///     mapping: vec![Mapping { id: 1, filename: "/usr/bin/app".into(), ..Default::default() }],
///     time_nanos: 1_764_045_180_000_000_000,
///     duration_nanos: 4_000_000_000,
///     ..Default::default()
/// };
/// let r = oxprof_report::Report::new(&p, &Default::default(), "top")?;
/// assert_eq!(oxprof_report::header::profile_labels(&r, &p), [
///     "File: app",
///     "Type: cpu",
///     "Time: Nov 25, 2025 at 4:33am (UTC)",
///     "Duration: 4s, Total samples = 2s (50.00%)",
/// ]);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn profile_labels(report: &Report, profile: &Profile) -> Vec<String> {
    let mut labels = Vec::new();
    if let Some(m) = profile.mapping.first() {
        if !m.filename.is_empty() {
            labels.push(format!("File: {}", go_base(&m.filename)));
        }
        if !m.build_id.is_empty() {
            labels.push(format!("Build ID: {}", m.build_id));
        }
    }
    labels.extend(
        profile
            .comments
            .iter()
            .filter(|c| !c.starts_with('#'))
            .cloned(),
    );
    if !report.sample_type.is_empty() {
        labels.push(format!("Type: {}", report.sample_type));
    }
    if profile.time_nanos != 0 {
        labels.push(format!("Time: {}", go_time_utc(profile.time_nanos)));
    }
    if profile.duration_nanos != 0 {
        let duration = measurement::label(profile.duration_nanos, "nanoseconds");
        let (total_nanos, unit) =
            measurement::scale(report.total, &report.sample_unit, "nanoseconds");
        let ratio = if unit == "ns" && total_nanos != 0.0 {
            format!(
                "({})",
                measurement::percentage(total_nanos as i64, profile.duration_nanos)
            )
        } else {
            String::new()
        };
        labels.push(format!(
            "Duration: {duration}, Total samples = {} {ratio}",
            report.format_value(report.total)
        ));
    }
    labels
}

/// All header lines of a text report built from `trimmed`: the profile lines (unless compact
/// or replaced by [`Options::profile_labels`](crate::Options::profile_labels)), active filters,
/// and what the graph shows. `full` adds what graphical reports add (the edge count and a
/// reading hint) and forces the profile lines.
///
/// ```
/// use oxprof_profile::{Profile, Sample, ValueType};
/// let p = Profile {
///     sample_type: vec![ValueType::new("samples", "count")],
///     sample: vec![Sample { location_id: vec![], value: vec![4], label: vec![] }],
///     ..Default::default()
/// };
/// let o = oxprof_report::Options { active_filters: vec!["focus=main".into()], ..Default::default() };
/// let r = oxprof_report::Report::new(&p, &o, "top")?;
/// let labels = oxprof_report::header::report_labels(&r, &p, &Default::default(), false);
/// assert_eq!(labels, ["Type: samples", "Active filters:", "   focus=main", "Showing nodes accounting for 0, 0% of 4 total"]);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn report_labels(
    report: &Report,
    profile: &Profile,
    trimmed: &Trimmed,
    full: bool,
) -> Vec<String> {
    let o = &report.options;
    let mut labels = if !o.profile_labels.is_empty() {
        o.profile_labels.clone()
    } else if full || !o.compact_labels {
        profile_labels(report, profile)
    } else {
        Vec::new()
    };
    if !o.active_filters.is_empty() {
        labels.push("Active filters:".to_string());
        labels.extend(
            o.active_filters
                .iter()
                .map(|f| format!("   {}", truncate_filter(f))),
        );
    }
    let flat_sum = trimmed
        .graph
        .nodes
        .iter()
        .fold(0i64, |s, n| s.wrapping_add(n.flat_value()));
    labels.push(format!(
        "Showing nodes accounting for {}, {} of {} total",
        report.format_value(flat_sum),
        measurement::percentage(flat_sum, report.total).trim(),
        report.format_value(report.total)
    ));
    if report.total != 0 {
        let cutoff = |fraction: f64| {
            report.format_value(((report.total as f64 * fraction) as i64).wrapping_abs())
        };
        if trimmed.dropped_nodes > 0 {
            labels.push(dropped(
                trimmed.dropped_nodes,
                "node",
                "cum",
                &cutoff(o.node_fraction),
            ));
        }
        if trimmed.dropped_edges > 0 && full {
            labels.push(dropped(
                trimmed.dropped_edges,
                "edge",
                "freq",
                &cutoff(o.edge_fraction),
            ));
        }
        let shown = trimmed.graph.nodes.len();
        if shown > 0 && shown < trimmed.orig_count {
            labels.push(format!(
                "Showing top {shown} nodes out of {}",
                trimmed.orig_count
            ));
        }
    }
    if full {
        labels.push("\nSee https://git.io/JfYMW for how to read the graph".to_string());
    }
    labels
}

/// Filters longer than 80 bytes are cut there (on a character boundary) and marked with `…`.
fn truncate_filter(filter: &str) -> String {
    if filter.len() <= 80 {
        return filter.to_string();
    }
    let mut end = 80;
    while !filter.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &filter[..end])
}

fn dropped(count: usize, what: &str, measure: &str, cutoff: &str) -> String {
    let plural = if count > 1 { "s" } else { "" };
    format!("Dropped {count} {what}{plural} ({measure} <= {cutoff})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_use_the_go_1_19_layout() {
        assert_eq!(go_time_utc(0), "Jan 1, 1970 at 12:00am (UTC)");
        assert_eq!(
            go_time_utc(1_709_210_096_000_000_000),
            "Feb 29, 2024 at 12:34pm (UTC)"
        );
        assert_eq!(go_time_utc(-1_000_000_000), "Dec 31, 1969 at 11:59pm (UTC)");
    }

    #[test]
    fn long_filters_are_cut() {
        let long = "x".repeat(90);
        assert_eq!(truncate_filter(&long), format!("{}…", "x".repeat(80)));
        assert_eq!(truncate_filter("focus=a"), "focus=a");
    }
}
