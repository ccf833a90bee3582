//! pprof's report options with their defaults, the per-command adjustments `go tool pprof`
//! applies to them, and [`Report`]: options bound to one profile (sample type, unit and total).

use std::io;

use oxprof_profile::{LabelValue, Profile};

use crate::graph::GraphOptions;
use crate::measurement;

/// The options of a report, named after pprof's flags. [`Options::default`] holds pprof's
/// defaults.
///
/// How the node count is settled per command (pprof's `applyCommandOverrides`, see
/// [`Options::for_command`]): `top`, `text` and `topproto` show every node unless `-nodecount`
/// is given; every other report (`tree`, `dot`, `traces`, ...) defaults to 80 nodes; `peek`,
/// `list`, `disasm` and `weblist`, and the `raw`, `proto` and `callgrind` formats, never trim
/// (node count and both fractions become 0).
///
/// ```
/// let o = oxprof_report::Options::default();
/// assert_eq!((o.node_fraction, o.edge_fraction, o.node_count), (0.005, 0.001, None));
/// assert_eq!(o.output_unit, "minimum");
/// assert_eq!(o.for_command("tree").node_count, Some(80));
/// assert_eq!(o.for_command("top").node_count, Some(0));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Index into the sample values of the value to report (`-sample_index`). pprof's default
    /// is the profile's default sample type, else its last: resolve flags, names and that
    /// default with `Profile::sample_index`.
    pub sample_index: usize,
    /// Report values divided by the first sample value, e.g. mean delay (`-mean`).
    pub mean: bool,
    /// Sort by cumulative instead of flat weight (`-cum`).
    pub cum_sort: bool,
    /// Leave out nodes with negative weight (`-drop_negative`).
    pub drop_negative: bool,
    /// Omit the profile's own header lines (`-compact_labels`).
    pub compact_labels: bool,
    /// Factor applied to every printed value: 1 / `-divide_by`.
    pub ratio: f64,
    /// Maximum number of nodes shown (`-nodecount`); `None` means "not given", 0 means no limit.
    pub node_count: Option<usize>,
    /// Nodes whose cumulative weight is at most this fraction of the total are dropped
    /// (`-nodefraction`).
    pub node_fraction: f64,
    /// Edges lighter than this fraction of the total are dropped (`-edgefraction`).
    pub edge_fraction: f64,
    /// Apply `node_count`, `node_fraction` and `edge_fraction` at all (`-trim`).
    pub trim: bool,
    /// Unit values print in: a unit name, or `minimum` to choose one per report (`-unit`).
    pub output_unit: String,
    /// Header lines replacing the profile's own (`File:`, `Type:`, ...), when not empty.
    pub profile_labels: Vec<String>,
    /// Filters applied to the profile, as `name=value`, listed under `Active filters:`.
    pub active_filters: Vec<String>,
    /// Total that percentages are relative to. `None` sums the reported profile; the driver sets
    /// it to the total of the profile before focusing, unless `-relative_percentages` is given.
    pub total: Option<i64>,
    /// Prefixes stripped from source file names, `:`-separated (`-trim_path`).
    pub trim_path: String,
    /// Source search path, `:`-separated (`-source_path`).
    pub source_path: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            sample_index: 0,
            mean: false,
            cum_sort: false,
            drop_negative: false,
            compact_labels: false,
            ratio: 1.0,
            node_count: None,
            node_fraction: 0.005,
            edge_fraction: 0.001,
            trim: true,
            output_unit: "minimum".to_string(),
            profile_labels: Vec::new(),
            active_filters: Vec::new(),
            total: None,
            trim_path: String::new(),
            source_path: String::new(),
        }
    }
}

impl Options {
    /// The options as `go tool pprof` adjusts them for `command` (a report name such as `top`,
    /// `tree`, `peek`, `dot`, `raw`): the node count settled and trimming turned off where pprof
    /// turns it off. The result always has `node_count` set.
    ///
    /// ```
    /// let o = oxprof_report::Options { node_count: Some(5), ..Default::default() };
    /// assert_eq!(o.for_command("top").node_count, Some(5));
    /// let peek = o.for_command("peek");
    /// assert_eq!((peek.node_count, peek.node_fraction), (Some(0), 0.0));
    /// ```
    pub fn for_command(&self, command: &str) -> Options {
        let mut o = self.clone();
        let default_count = match command {
            "text" | "top" | "topproto" => 0,
            _ => 80,
        };
        o.node_count = Some(o.node_count.unwrap_or(default_count));
        let never_trims = matches!(
            command,
            "peek" | "list" | "disasm" | "weblist" | "raw" | "proto" | "callgrind"
        );
        if never_trims || !o.trim {
            o.trim = false;
            o.node_count = Some(0);
            o.node_fraction = 0.0;
            o.edge_fraction = 0.0;
        }
        o
    }
}

/// Options bound to one profile: the reported sample type and unit, the total percentages refer
/// to, and the unit values print in.
///
/// ```
/// use oxprof_profile::{Profile, Sample, ValueType};
/// let p = Profile {
///     sample_type: vec![ValueType::new("alloc_space", "bytes")],
///     sample: vec![Sample { location_id: vec![], value: vec![-3072], label: vec![] }],
///     ..Default::default()
/// };
/// let r = oxprof_report::Report::new(&p, &Default::default(), "top")?;
/// assert_eq!((r.total, r.sample_type.as_str()), (3072, "alloc_space"));
/// assert_eq!(r.format_value(3072), "3kB"); // until a graph fixes the unit, `minimum` auto-scales
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Options as adjusted for the command.
    pub options: Options,
    /// Sample type shown in the header, `mean_` prefixed for `-mean`.
    pub sample_type: String,
    /// Unit of the reported sample values.
    pub sample_unit: String,
    /// Total the percentages are relative to.
    pub total: i64,
}

impl Report {
    /// Binds `options`, adjusted for `command`, to `profile`. Fails when the profile has no
    /// sample types or the sample index is out of range.
    pub fn new(profile: &Profile, options: &Options, command: &str) -> io::Result<Report> {
        let options = options.for_command(command);
        let sample_index = options.sample_index;
        let Some(vt) = profile.sample_type.get(sample_index) else {
            let msg = format!(
                "sample_index {sample_index} out of range: the profile has {} sample types",
                profile.sample_type.len()
            );
            return Err(io::Error::new(io::ErrorKind::InvalidInput, msg));
        };
        let sample_type = if options.mean {
            format!("mean_{}", vt.ty)
        } else {
            vt.ty.clone()
        };
        let mut report = Report {
            sample_type,
            sample_unit: vt.unit.clone(),
            total: 0,
            options,
        };
        report.total = match report.options.total {
            Some(total) => total,
            None => compute_total(profile, &report.graph_options()),
        };
        Ok(report)
    }

    /// How the graph is built for this report.
    ///
    /// ```
    /// let p = oxprof_profile::Profile { sample_type: vec![Default::default(); 2], ..Default::default() };
    /// let o = oxprof_report::Options { sample_index: 1, ..Default::default() };
    /// let r = oxprof_report::Report::new(&p, &o, "top")?;
    /// assert_eq!(r.graph_options().sample_index, 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn graph_options(&self) -> GraphOptions {
        GraphOptions {
            sample_index: self.options.sample_index,
            mean: self.options.mean,
            drop_negative: self.options.drop_negative,
            trim_path: self.options.trim_path.clone(),
            source_path: self.options.source_path.clone(),
            ..GraphOptions::default()
        }
    }

    /// `v` as reports print it: scaled by the ratio, in the output unit.
    ///
    /// ```
    /// let p = oxprof_profile::Profile { sample_type: vec![oxprof_profile::ValueType::new("cpu", "nanoseconds")], ..Default::default() };
    /// let o = oxprof_report::Options { output_unit: "ms".into(), ratio: 0.5, ..Default::default() };
    /// let r = oxprof_report::Report::new(&p, &o, "top")?;
    /// assert_eq!(r.format_value(30_000_000), "15ms");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn format_value(&self, v: i64) -> String {
        measurement::scaled_label(
            self.apply_ratio(v),
            &self.sample_unit,
            &self.options.output_unit,
        )
    }

    fn apply_ratio(&self, v: i64) -> i64 {
        let r = self.options.ratio;
        if r > 0.0 && r != 1.0 {
            (v as f64 * r) as i64
        } else {
            v
        }
    }

    /// Resolves an output unit of `minimum` from the smallest non-zero node value (`values`
    /// yields each node's flat and cumulative value) and the total, as pprof does once the graph
    /// of a report is known. Other output units are left alone.
    pub fn select_output_unit(&mut self, values: impl IntoIterator<Item = (i64, i64)>) {
        self.choose_output_unit(values, false);
    }

    /// [`select_output_unit`](Self::select_output_unit) for formats that print whole numbers
    /// only (callgrind): the unit of the smallest value is kept even when it is far below the
    /// total.
    ///
    /// ```
    /// let p = oxprof_profile::Profile { sample_type: vec![oxprof_profile::ValueType::new("cpu", "nanoseconds")], ..Default::default() };
    /// let o = oxprof_report::Options { total: Some(4_000_000_000), ..Default::default() };
    /// let mut r = oxprof_report::Report::new(&p, &o, "callgrind")?;
    /// r.select_integral_output_unit([(10_000_000, 10_000_000)]);
    /// assert_eq!(r.options.output_unit, "ms");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn select_integral_output_unit(&mut self, values: impl IntoIterator<Item = (i64, i64)>) {
        self.choose_output_unit(values, true);
    }

    fn choose_output_unit(&mut self, values: impl IntoIterator<Item = (i64, i64)>, integral: bool) {
        if self.options.output_unit != "minimum" {
            return;
        }
        let mut any = false;
        let mut min = 0i64;
        for (flat, cum) in values {
            any = true;
            let v = if flat != 0 {
                flat.unsigned_abs()
            } else {
                cum.unsigned_abs()
            };
            let v = i64::try_from(v).unwrap_or(i64::MAX);
            if v > 0 && (min == 0 || v < min) {
                min = v;
            }
        }
        if !any {
            return;
        }
        let min = self.apply_ratio(if min == 0 { self.total } else { min });
        let max = self.apply_ratio(self.total);
        self.options.output_unit = measurement::minimum_unit(min, max, &self.sample_unit, integral);
    }
}

/// Sum of the absolute sample values pprof's percentages refer to: only the samples of the diff
/// base (label `pprof::base=true`) when there are any, divided by the summed mean divisors when
/// reporting means.
///
/// ```
/// use oxprof_profile::{Profile, Sample};
/// let s = |v: i64| Sample { location_id: vec![], value: vec![v], label: vec![] };
/// let p = Profile { sample: vec![s(5), s(-7)], ..Default::default() };
/// assert_eq!(oxprof_report::options::compute_total(&p, &Default::default()), 12);
/// ```
pub fn compute_total(profile: &Profile, options: &GraphOptions) -> i64 {
    let (mut total, mut div, mut base_total, mut base_div) = (0i64, 0i64, 0i64, 0i64);
    for s in &profile.sample {
        let (v, d) = options.weigh(s);
        let v = v.wrapping_abs();
        total = total.wrapping_add(v);
        div = div.wrapping_add(d);
        let in_base = s
            .label
            .iter()
            .any(|l| l.key == "pprof::base" && l.value == LabelValue::Str("true".to_string()));
        if in_base {
            base_total = base_total.wrapping_add(v);
            base_div = base_div.wrapping_add(d);
        }
    }
    if base_total > 0 {
        (total, div) = (base_total, base_div);
    }
    if div != 0 {
        total.wrapping_div(div)
    } else {
        total
    }
}
