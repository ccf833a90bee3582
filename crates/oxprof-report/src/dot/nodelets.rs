//! A node's tags as small boxes hanging off it: its heaviest string tags, and under each (or
//! under the node itself) its numeric tags, collapsed into at most four ranges (pprof's
//! `addNodelets`).

use crate::graph::tags::{sort_tags, Tag};
use crate::graph::Node;
use crate::measurement::{label, scale};
use crate::Report;

use super::visual::MAX_NODELETS;
use super::{DotEdge, DotGraph, DotNode, DotNodeKind, Shape};

/// Adds the tags of `node` (drawn as `N<id>`, the last node of `dot`) to `dot`; `flat_tags`
/// shows flat weights (for nodes with callees) rather than cumulative ones. Returns whether
/// anything was added.
pub(super) fn add(
    dot: &mut DotGraph,
    node: &Node,
    id: usize,
    flat_tags: bool,
    report: &Report,
) -> bool {
    let parent = dot.nodes.len() - 1;
    let before = dot.nodes.len();
    let mut labels: Vec<Tag> = node.tags.labels.values().cloned().collect();
    sort_tags(&mut labels, flat_tags);
    labels.truncate(MAX_NODELETS);
    for (i, t) in labels.iter().enumerate() {
        let w = if flat_tags {
            t.flat_value()
        } else {
            t.cum_value()
        };
        if w == 0 {
            continue;
        }
        let name = format!("N{id}_{i}");
        let tag = push(
            dot,
            parent,
            name.clone(),
            &t.name,
            report.format_value(w),
            false,
        );
        if let Some(numbers) = node.tags.numeric.get(&t.name) {
            let numbers: Vec<Tag> = numbers.values().cloned().collect();
            add_numeric(dot, tag, &name, numbers, flat_tags, report);
        }
    }
    if let Some(numbers) = node.tags.numeric.get("") {
        let numbers: Vec<Tag> = numbers.values().cloned().collect();
        add_numeric(dot, parent, &format!("N{id}"), numbers, flat_tags, report);
    }
    dot.nodes.len() != before
}

/// Adds the numeric tags under the node `source` (named `source_name`).
fn add_numeric(
    dot: &mut DotGraph,
    source: usize,
    source_name: &str,
    tags: Vec<Tag>,
    flat_tags: bool,
    report: &Report,
) {
    if tags.is_empty() {
        return;
    }
    for (j, t) in collapsed(tags, MAX_NODELETS, flat_tags).iter().enumerate() {
        let (w, dotted) = if flat_tags || t.flat_value() == t.cum_value() {
            (t.flat_value(), false)
        } else {
            (t.cum_value(), true)
        };
        if w != 0 {
            let name = format!("N{source_name}_{j}");
            push(dot, source, name, &t.name, report.format_value(w), dotted);
        }
    }
}

/// Adds a tag box and the edge to it from `source`; returns the box's index.
fn push(
    dot: &mut DotGraph,
    source: usize,
    name: String,
    label: &str,
    weight: String,
    dotted: bool,
) -> usize {
    let index = dot.nodes.len();
    dot.nodes.push(DotNode {
        id: name.clone(),
        name,
        label: label.to_string(),
        font_size: 8,
        shape: Shape::Box3d,
        tooltip: weight.clone(),
        kind: DotNodeKind::Tag,
    });
    dot.edges.push(DotEdge {
        src: source,
        dest: index,
        label: format!(" {weight}"),
        weight: Some(100),
        pen_width: None,
        color: None,
        tooltip: weight,
        dotted,
        min_len: None,
        to_tag: true,
    });
    index
}

/// The tags sorted, and when there are more than `count`, grouped around the `count`
/// heaviest by closeness of value, each group a range `min..max` (pprof's `collapsedTags`).
fn collapsed(mut tags: Vec<Tag>, count: usize, flat: bool) -> Vec<Tag> {
    sort_tags(&mut tags, flat);
    if tags.len() <= count {
        return tags;
    }
    let rest = tags.split_off(count);
    let mut groups: Vec<Vec<Tag>> = tags.into_iter().map(|t| vec![t]).collect();
    for t in rest {
        let mut best = 0;
        let mut best_distance = distance(&t, &groups[0][0]);
        for (i, g) in groups.iter().enumerate().skip(1) {
            let d = distance(&t, &g[0]);
            if d < best_distance {
                (best, best_distance) = (i, d);
            }
        }
        groups[best].push(t);
    }
    let mut merged: Vec<Tag> = groups.iter().map(|g| group_tag(g)).collect();
    sort_tags(&mut merged, flat);
    merged
}

/// How far apart two numeric tags are, in `t`'s unit.
fn distance(t: &Tag, u: &Tag) -> f64 {
    let (v, _) = scale(u.value, &u.unit, &t.unit);
    (t.value as f64 - v).abs()
}

/// One tag standing for a group: named by its value range, weighing what the group weighs.
fn group_tag(group: &[Tag]) -> Tag {
    if let [t] = group {
        return Tag {
            name: label(t.value, &t.unit),
            flat: t.flat_value(),
            cum: t.cum_value(),
            ..Tag::default()
        };
    }
    let (mut min, mut max) = (&group[0], &group[0]);
    let (mut flat, mut flat_div, mut cum, mut cum_div) =
        (min.flat, min.flat_div, min.cum, min.cum_div);
    for t in &group[1..] {
        if (scale(t.value, &t.unit, &min.unit).0 as i64) < min.value {
            min = t;
        }
        if (scale(t.value, &t.unit, &max.unit).0 as i64) > max.value {
            max = t;
        }
        flat = flat.wrapping_add(t.flat);
        flat_div = flat_div.wrapping_add(t.flat_div);
        cum = cum.wrapping_add(t.cum);
        cum_div = cum_div.wrapping_add(t.cum_div);
    }
    if flat_div != 0 {
        flat = flat.wrapping_div(flat_div);
    }
    if cum_div != 0 {
        cum = cum.wrapping_div(cum_div);
    }
    // Tags are not scaled to the output unit: they are often far smaller than the values shown,
    // and would print as `0..0`.
    Tag {
        name: format!(
            "{}..{}",
            label(min.value, &min.unit),
            label(max.value, &max.unit)
        ),
        flat,
        cum,
        ..Tag::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(value: i64, flat: i64) -> Tag {
        Tag {
            name: format!("{value}B"),
            unit: "bytes".into(),
            value,
            flat,
            cum: flat,
            ..Tag::default()
        }
    }

    #[test]
    fn more_than_four_numeric_tags_collapse_into_ranges() {
        let tags = vec![
            bytes(16, 50),
            bytes(32, 40),
            bytes(1024, 30),
            bytes(1 << 20, 20),
            bytes(48, 5),
            bytes(2048, 4),
            bytes(2 << 20, 3),
        ];
        let got: Vec<(String, i64)> = collapsed(tags, 4, true)
            .into_iter()
            .map(|t| (t.name, t.flat))
            .collect();
        let want = [
            ("16B", 50),
            ("32B..48B", 45),
            ("1kB..2kB", 34),
            ("1MB..2MB", 23),
        ];
        let want: Vec<(String, i64)> = want.iter().map(|&(n, f)| (n.to_string(), f)).collect();
        assert_eq!(got, want);
    }
}
