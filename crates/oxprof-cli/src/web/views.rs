//! Each view of the web UI as the API answers it, computed from a profile already filtered and
//! aggregated for the request: JSON for the page to lay out (the call graph as SVG inside it).

use std::collections::BTreeMap;

use anyhow::{bail, Result};
use oxprof_profile::{LabelValue, NumLabelUnits, Profile};
use oxprof_report::flame::visible::visible;
use oxprof_report::objects::Syntax;
use oxprof_report::source_files::{FileSystem, SourceReader};
use oxprof_report::{disasm, header, measurement, top, tree, weblist, Options, Report};
use serde_json::{json, Value};

use crate::flags::Config;

/// Frames narrower than this share of the zoomed frame are merged: a thousandth of the page's
/// width is about a pixel.
const FLAME_MIN_FRACTION: f64 = 0.001;

/// What every view is computed from.
pub(crate) struct Input<'a> {
    /// The profile, filtered and aggregated as the request asks.
    pub profile: &'a Profile,
    /// The report options of the request.
    pub options: &'a Options,
    /// The request's configuration.
    pub config: &'a Config,
    /// The function regex (`re`) of Peek, Source and Disassembly.
    pub re: &'a str,
    /// The flame graph's zoom path.
    pub path: &'a [String],
}

impl Input<'_> {
    fn report(&self, command: &str) -> Result<Report> {
        Ok(Report::new(self.profile, self.options, command)?)
    }

    /// `re` compiled, for the views that need one.
    fn regex(&self, view: &str) -> Result<regex::Regex> {
        if self.re.is_empty() {
            bail!("{view} needs functions: select one, or search for a regexp");
        }
        crate::driver::compile_argument(self.re)
    }

    fn labels(&self, report: &Report) -> Vec<String> {
        let mut labels = header::profile_labels(report, self.profile);
        if !self.options.active_filters.is_empty() {
            labels.push(format!(
                "Active filters: {}",
                self.options.active_filters.join(" ")
            ));
        }
        labels
    }
}

/// The visible part of the flame graph: frames as `[name, parent, value, self, inline]` (and
/// `base, base self` in a differential graph), depth first, names by index.
pub(crate) fn flame(input: &Input) -> Result<Value> {
    if input.options.mean {
        bail!("mean does not apply to a flame graph: a flame graph adds frames up, and means do not add up");
    }
    let report = input.report("flame")?;
    let v = visible(input.profile, &report, input.path, FLAME_MIN_FRACTION);
    let g = &v.graph;
    let frames: Vec<Value> = g
        .frames
        .iter()
        .map(|f| {
            let mut row = vec![
                json!(f.name),
                json!(f.parent),
                json!(f.value),
                json!(f.self_value),
                json!(u8::from(f.inline)),
            ];
            if g.diff {
                row.extend([json!(f.base), json!(f.base_self)]);
            }
            Value::Array(row)
        })
        .collect();
    Ok(json!({
        "labels": input.labels(&report),
        "sample_type": g.sample_type,
        "unit": g.unit,
        "total": report.total,
        "diff": g.diff,
        "zoom": v.zoom,
        "min_value": v.min_value,
        "names": g.names,
        "frames": frames,
    }))
}

/// The `top` table: `[name, flat, cum, flat text, cum text, inline mark]` per function.
pub(crate) fn top(input: &Input) -> Result<Value> {
    let (items, labels) = top::text_items(input.profile, input.options)?;
    let report = input.report("top")?;
    let rows: Vec<Value> = items
        .iter()
        .map(|i| {
            json!([
                i.name,
                i.flat,
                i.cum,
                i.flat_format,
                i.cum_format,
                i.inline_label
            ])
        })
        .collect();
    Ok(json!({"labels": labels, "total": report.total, "unit": report.sample_unit, "rows": rows}))
}

/// The call graph as SVG, drawn as `-web` draws it.
pub(crate) fn graph(input: &Input) -> Result<Value> {
    let svg = crate::graphs::graph_svg(input.profile, input.options)?;
    let report = input.report("dot")?;
    Ok(json!({ "labels": input.labels(&report), "svg": svg }))
}

/// The `peek` report of the functions `re` matches, as text.
pub(crate) fn peek(input: &Input) -> Result<Value> {
    let re = input.regex("Peek")?;
    let mut out = Vec::new();
    tree::write_peek(&mut out, input.profile, input.options, &re)?;
    Ok(json!({ "text": String::from_utf8_lossy(&out) }))
}

/// The `weblist` listing: each function's source lines with their weights and instructions.
pub(crate) fn source(input: &Input) -> Result<Value> {
    let re = input.regex("Source")?;
    let report = input.report("weblist")?;
    let mut reader = source_reader(input.config);
    let listing = weblist::web_listing(
        input.profile,
        &report,
        &re,
        &mut crate::objects::Binaries::new(),
        syntax(input.config),
        &mut reader,
    )?;
    let functions: Vec<Value> = listing
        .functions
        .iter()
        .map(|f| {
            let lines: Vec<Value> = f
                .lines
                .iter()
                .map(|l| {
                    let code: Vec<Value> = l
                        .instructions
                        .iter()
                        .map(|i| {
                            json!([
                                format!("{:x}", i.address),
                                i.text,
                                i.flat,
                                i.cum,
                                i.file,
                                i.line
                            ])
                        })
                        .collect();
                    json!([l.lineno, l.text, l.flat, l.cum, code])
                })
                .collect();
            json!({"name": f.name, "file": f.file, "flat": f.flat, "cum": f.cum, "lines": lines})
        })
        .collect();
    Ok(json!({
        "labels": listing.labels,
        "total": listing.total,
        "unit": report.sample_unit,
        "functions": functions,
    }))
}

/// The `disasm` listing: each function's instructions with their weights and source lines.
pub(crate) fn disassembly(input: &Input) -> Result<Value> {
    let re = input.regex("Disassembly")?;
    let report = input.report("disasm")?;
    let listing = disasm::assembly_listing(
        input.profile,
        &report,
        &re,
        &mut crate::objects::Binaries::new(),
        syntax(input.config),
    )?;
    let routines: Vec<Value> = listing
        .routines
        .iter()
        .map(|r| {
            let code: Vec<Value> = r
                .instructions
                .iter()
                .map(|i| {
                    json!([
                        format!("{:x}", i.address),
                        i.text,
                        i.flat,
                        i.cum,
                        i.function,
                        i.file,
                        i.line
                    ])
                })
                .collect();
            json!({"name": r.name, "flat": r.flat, "cum": r.cum, "instructions": code})
        })
        .collect();
    Ok(json!({
        "labels": input.labels(&report),
        "total": listing.total,
        "unit": report.sample_unit,
        "warnings": listing.warnings,
        "routines": routines,
    }))
}

/// What the page's menus offer for `profile` (the whole one, before filters): its sample types,
/// header lines, and each label key with its values, heaviest first, written as `tagfocus`
/// takes them.
pub(crate) fn meta(profile: &Profile, units: &NumLabelUnits, initial: &str) -> Result<Value> {
    let sample_index = profile.sample_index("")?;
    let options = Options {
        sample_index,
        ..Options::default()
    };
    let report = Report::new(profile, &options, "top")?;
    let mut tags: BTreeMap<&str, BTreeMap<String, i64>> = BTreeMap::new();
    let mut numeric = std::collections::BTreeSet::new();
    for sample in &profile.sample {
        let value = sample.value.get(sample_index).copied().unwrap_or(0);
        for label in &sample.label {
            let name = match &label.value {
                LabelValue::Str(s) => s.clone(),
                LabelValue::Num { num, .. } => {
                    numeric.insert(label.key.as_str());
                    let unit = units
                        .units
                        .get(&label.key)
                        .map_or(label.key.as_str(), String::as_str);
                    measurement::scaled_label(*num, unit, "minimum")
                }
            };
            let sum = tags.entry(&label.key).or_default().entry(name).or_default();
            *sum = sum.wrapping_add(value.wrapping_abs());
        }
    }
    let tags: Vec<Value> = tags
        .into_iter()
        .map(|(key, values)| {
            let mut values: Vec<(String, i64)> = values.into_iter().collect();
            values.sort_by_key(|(_, v)| std::cmp::Reverse(*v));
            let values: Vec<Value> = values.iter().map(|(n, v)| json!([n, v])).collect();
            json!({"key": key, "numeric": numeric.contains(key), "values": values})
        })
        .collect();
    let sample_types: Vec<Value> = profile
        .sample_type
        .iter()
        .map(|t| json!([t.ty, t.unit]))
        .collect();
    Ok(json!({
        "sample_types": sample_types,
        "default_sample": sample_index,
        "labels": header::profile_labels(&report, profile),
        "total": report.total,
        "unit": report.sample_unit,
        "tags": tags,
        "initial": initial,
    }))
}

fn source_reader(config: &Config) -> SourceReader {
    SourceReader::new(Box::new(FileSystem::new(
        &config.source_path,
        &config.trim_path,
    )))
}

fn syntax(config: &Config) -> Syntax {
    if config.intel_syntax {
        Syntax::Intel
    } else {
        Syntax::Att
    }
}
