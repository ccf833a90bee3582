//! Tags: the labels of the samples that reach a node, weighed like the node itself. Graphical
//! reports draw a node's heaviest tags as small boxes hanging off it (pprof's "nodelets").
//!
//! As in pprof, a sample's string labels form one tag (`key:value` pairs, sorted, joined by a
//! DOT line break), and its numeric `bytes` labels one tag each, filed under that string tag;
//! other numeric labels are left out.

use std::collections::BTreeMap;

use oxprof_profile::{LabelValue, Sample};

use crate::measurement;

/// One tag of a node: a label value and the weight of the samples carrying it.
///
/// ```
/// let t = oxprof_report::graph::tags::Tag { flat: 10, flat_div: 2, ..Default::default() };
/// assert_eq!(t.flat_value(), 5);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tag {
    /// What the tag shows: joined string labels, or a formatted number.
    pub name: String,
    /// Unit of a numeric tag; empty for string tags.
    pub unit: String,
    /// The number of a numeric tag.
    pub value: i64,
    /// Weight of the samples whose leaf is the node.
    pub flat: i64,
    /// Sum of their mean divisors.
    pub flat_div: i64,
    /// Weight of the samples through the node.
    pub cum: i64,
    /// Sum of their mean divisors.
    pub cum_div: i64,
}

impl Tag {
    /// Flat weight, divided by its mean divisor when there is one.
    ///
    /// ```
    /// let t = oxprof_report::graph::tags::Tag { flat: 7, ..Default::default() };
    /// assert_eq!(t.flat_value(), 7);
    /// ```
    pub fn flat_value(&self) -> i64 {
        mean(self.flat, self.flat_div)
    }

    /// Cumulative weight, divided by its mean divisor when there is one.
    ///
    /// ```
    /// let t = oxprof_report::graph::tags::Tag { cum: 9, cum_div: 3, ..Default::default() };
    /// assert_eq!(t.cum_value(), 3);
    /// ```
    pub fn cum_value(&self) -> i64 {
        mean(self.cum, self.cum_div)
    }

    fn add(&mut self, w: i64, dw: i64, flat: bool) {
        if flat {
            self.flat = self.flat.wrapping_add(w);
            self.flat_div = self.flat_div.wrapping_add(dw);
        } else {
            self.cum = self.cum.wrapping_add(w);
            self.cum_div = self.cum_div.wrapping_add(dw);
        }
    }
}

fn mean(v: i64, div: i64) -> i64 {
    if div == 0 {
        v
    } else {
        v.wrapping_div(div)
    }
}

/// Sorts tags heaviest first: by absolute cumulative weight unless `flat`, then by absolute flat
/// weight, then by name (pprof's `SortTags`).
///
/// ```
/// use oxprof_report::graph::tags::{sort_tags, Tag};
/// let t = |name: &str, flat, cum| Tag { name: name.into(), flat, cum, ..Default::default() };
/// let mut tags = vec![t("a", 1, 9), t("b", 5, 5)];
/// sort_tags(&mut tags, true);
/// assert_eq!(tags[0].name, "b");
/// sort_tags(&mut tags, false);
/// assert_eq!(tags[0].name, "a");
/// ```
pub fn sort_tags(tags: &mut [Tag], flat: bool) {
    tags.sort_by(|a, b| {
        let by_cum = if flat {
            std::cmp::Ordering::Equal
        } else {
            b.cum.unsigned_abs().cmp(&a.cum.unsigned_abs())
        };
        by_cum
            .then_with(|| b.flat.unsigned_abs().cmp(&a.flat.unsigned_abs()))
            .then_with(|| a.name.cmp(&b.name))
    });
}

/// The tags of one node.
///
/// ```
/// let tags = oxprof_report::graph::tags::NodeTags::default();
/// assert_eq!(tags.count_flat(), 0);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeTags {
    /// String tags by name.
    pub labels: BTreeMap<String, Tag>,
    /// Numeric tags by name, grouped by the string tag of their samples (`""` for samples
    /// without string labels).
    pub numeric: BTreeMap<String, BTreeMap<String, Tag>>,
}

impl NodeTags {
    /// Adds one sample's tags with weight `w` (and mean divisor `dw`) to the flat or the
    /// cumulative weights.
    pub(crate) fn add(&mut self, sample: &SampleTags, w: i64, dw: i64, flat: bool) {
        if !sample.labels.is_empty() {
            self.labels
                .entry(sample.labels.clone())
                .or_insert_with(|| Tag {
                    name: sample.labels.clone(),
                    ..Tag::default()
                })
                .add(w, dw, flat);
        }
        if sample.numbers.is_empty() {
            return;
        }
        let numeric = self.numeric.entry(sample.labels.clone()).or_default();
        for (name, value) in &sample.numbers {
            numeric
                .entry(name.clone())
                .or_insert_with(|| Tag {
                    name: name.clone(),
                    unit: sample.unit.clone(),
                    value: *value,
                    ..Tag::default()
                })
                .add(w, dw, flat);
        }
    }

    /// Drops the tags whose flat and cumulative weights are both below `cutoff` in absolute
    /// value (pprof's `TrimLowFrequencyTags`).
    ///
    /// ```
    /// use oxprof_report::graph::tags::{NodeTags, Tag};
    /// let mut tags = NodeTags::default();
    /// tags.labels.insert("a".into(), Tag { name: "a".into(), cum: 2, ..Default::default() });
    /// tags.trim(3);
    /// assert!(tags.labels.is_empty());
    /// ```
    pub fn trim(&mut self, cutoff: i64) {
        let cutoff = cutoff.unsigned_abs();
        let keep = |t: &Tag| t.flat.unsigned_abs() >= cutoff || t.cum.unsigned_abs() >= cutoff;
        self.labels.retain(|_, t| keep(t));
        for tags in self.numeric.values_mut() {
            tags.retain(|_, t| keep(t));
        }
    }

    /// How many tags have a flat weight (pprof's `countTags`, which graphical reports count as
    /// extra nodes when they pick the nodes to show).
    ///
    /// ```
    /// use oxprof_report::graph::tags::{NodeTags, Tag};
    /// let mut tags = NodeTags::default();
    /// tags.labels.insert("a".into(), Tag { name: "a".into(), flat: 1, ..Default::default() });
    /// tags.labels.insert("b".into(), Tag { name: "b".into(), cum: 1, ..Default::default() });
    /// assert_eq!(tags.count_flat(), 1);
    /// ```
    pub fn count_flat(&self) -> usize {
        self.labels
            .values()
            .chain(self.numeric.values().flat_map(|m| m.values()))
            .filter(|t| t.flat != 0)
            .count()
    }
}

/// How sample labels turn into tags.
///
/// ```
/// let f = oxprof_report::graph::tags::TagFormat { bytes_unit: "bytes".into(), output_unit: "minimum".into() };
/// assert_eq!(f.bytes_unit, "bytes");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagFormat {
    /// Unit of the numeric `bytes` label, as inferred from the profile
    /// ([`Profile::num_label_units`](oxprof_profile::Profile::num_label_units)).
    pub bytes_unit: String,
    /// Unit numeric tags are printed in (the report's `-unit`).
    pub output_unit: String,
}

/// The tags one sample adds to every node it reaches, worked out once per sample.
pub(crate) struct SampleTags {
    /// String labels as `key:value`, sorted, joined by `\n` (a DOT line break); empty if none.
    labels: String,
    /// Each `bytes` label: its formatted name and value.
    numbers: Vec<(String, i64)>,
    unit: String,
}

impl SampleTags {
    /// The tags of `sample`, or `None` when it has none. The `pprof::base` label that marks
    /// the samples of a diff base is no tag.
    pub(crate) fn new(sample: &Sample, format: &TagFormat) -> Option<SampleTags> {
        let mut labels = Vec::new();
        let mut numbers = Vec::new();
        for label in &sample.label {
            match &label.value {
                LabelValue::Str(v) if label.key != "pprof::base" => {
                    labels.push(format!("{}:{v}", label.key));
                }
                LabelValue::Num { num, .. } if label.key == "bytes" => {
                    let name =
                        measurement::scaled_label(*num, &format.bytes_unit, &format.output_unit);
                    numbers.push((name, *num));
                }
                _ => {}
            }
        }
        if labels.is_empty() && numbers.is_empty() {
            return None;
        }
        labels.sort();
        Some(SampleTags {
            labels: labels.join("\\n"),
            numbers,
            unit: format.bytes_unit.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxprof_profile::Label;

    #[test]
    fn samples_tag_sorted_string_labels_and_bytes_only() {
        let sample = Sample {
            location_id: vec![],
            value: vec![1],
            label: vec![
                Label::str("worker", "b"),
                Label::str("pprof::base", "true"),
                Label::str("phase", "a"),
                Label::num("bytes", 2048, "bytes"),
                Label::num("request", 7, ""),
            ],
        };
        let format = TagFormat {
            bytes_unit: "bytes".into(),
            output_unit: "minimum".into(),
        };
        let tags = SampleTags::new(&sample, &format).unwrap();
        assert_eq!(tags.labels, "phase:a\\nworker:b");
        assert_eq!(tags.numbers, [("2kB".to_string(), 2048)]);
        let mut node = NodeTags::default();
        node.add(&tags, 5, 0, false);
        node.add(&tags, 3, 0, true);
        let t = &node.labels["phase:a\\nworker:b"];
        assert_eq!((t.flat, t.cum), (3, 5));
        let n = &node.numeric["phase:a\\nworker:b"]["2kB"];
        assert_eq!(
            (n.value, n.unit.as_str(), n.flat, n.cum),
            (2048, "bytes", 3, 5)
        );
        let plain = Sample {
            location_id: vec![],
            value: vec![1],
            label: vec![Label::num("request", 7, "")],
        };
        assert!(SampleTags::new(&plain, &format).is_none());
    }
}
