//! `-flame FILE` and `-folded`: the flame graph of the profile as it stands after the driver
//! applied the sample index, filters and granularity, written as an interactive SVG or as folded
//! stacks. A profile compared with `-diff_base` gives a differential flame graph (and folded
//! stacks with before and after counts).

use std::io::Write;

use anyhow::{bail, Result};
use oxprof_profile::Profile;
use oxprof_report::flame::{folded, svg, FlameGraph};
use oxprof_report::{header, Options, Report};

/// Writes the `flame` (SVG) or `folded` report of `profile`.
pub(crate) fn write(
    out: &mut dyn Write,
    profile: &Profile,
    options: &Options,
    command: &str,
) -> Result<()> {
    if options.mean {
        bail!("-mean does not apply to -{command}: a flame graph adds frames up, and means do not add up");
    }
    let report = Report::new(profile, options, command)?;
    let graph = FlameGraph::new(profile, &report);
    if command == "folded" {
        folded::write_folded(out, &graph)?;
        return Ok(());
    }
    let mut subtitles = header::profile_labels(&report, profile);
    if !options.active_filters.is_empty() {
        subtitles.push(format!(
            "Active filters: {}",
            options.active_filters.join(" ")
        ));
    }
    let title = if graph.diff {
        "Differential Flame Graph (red: grew, blue: shrank)"
    } else {
        "Flame Graph"
    };
    let svg_options = svg::SvgOptions {
        title: title.into(),
        subtitles,
        ..svg::SvgOptions::default()
    };
    svg::write_svg(out, &graph, &svg_options)?;
    Ok(())
}
