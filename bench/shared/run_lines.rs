//! What the benchmark summaries share: parsing the `key=value` lines a run prints, and the
//! order statistics of a set of runs.

use std::collections::HashMap;

/// One parsed output line of a benchmark run.
pub struct Line(HashMap<String, String>);

impl Line {
    /// The line's fields, if it has every key in `required` (other lines are not run output).
    pub fn parse(text: &str, required: &[&str]) -> Option<Line> {
        let fields: HashMap<_, _> = text
            .split_whitespace()
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        required
            .iter()
            .all(|k| fields.contains_key(*k))
            .then_some(Line(fields))
    }

    /// A field as text ("" when absent).
    pub fn text(&self, key: &str) -> &str {
        self.0.get(key).map_or("", String::as_str)
    }

    /// A field as a number (NaN when absent or not a number).
    pub fn num(&self, key: &str) -> f64 {
        self.text(key).parse().unwrap_or(f64::NAN)
    }
}

pub fn median(values: &[f64]) -> f64 {
    quantile(values, 0.5)
}

/// The `q` quantile, interpolating between the two nearest values; NaN when there are none.
pub fn quantile(values: &[f64], q: f64) -> f64 {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let at = q * (v.len() - 1) as f64;
    let (lo, hi) = (at.floor() as usize, at.ceil() as usize);
    v[lo] + (v[hi] - v[lo]) * (at - lo as f64)
}

/// A KiB figure as signed MiB.
pub fn mib(kib: f64) -> String {
    format!("{:+.1} MiB", kib / 1024.0)
}
