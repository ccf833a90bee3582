//! Trimming for drawings (pprof's `newTrimmedGraph` in visual mode): nodes ordered by how much
//! they add to a picture rather than by weight, their tags counted against the node budget, and
//! residual edges dropped where another path already connects the same nodes.

use std::collections::{HashSet, VecDeque};

use oxprof_profile::Profile;

use crate::graph::tags::TagFormat;
use crate::graph::{Graph, GraphOptions, NodeSet, Trimmed};
use crate::Report;

/// At most this many tags of a node are drawn (pprof's `maxNodelets`).
pub(super) const MAX_NODELETS: usize = 4;

/// The graph of `profile` trimmed for drawing, and the report's output unit chosen from it.
pub(super) fn trimmed(profile: &Profile, report: &mut Report) -> Trimmed {
    let bytes_unit = profile
        .num_label_units()
        .units
        .get("bytes")
        .cloned()
        .unwrap_or_default();
    let gopt = GraphOptions {
        tags: Some(TagFormat {
            bytes_unit,
            output_unit: report.options.output_unit.clone(),
        }),
        ..report.graph_options()
    };
    let options = &report.options;
    let build = |kept: Option<&NodeSet>| Graph::new(profile, &gopt, kept);
    let mut graph = build(None);
    let (total, _) = graph.sum();
    let node_cutoff = ((total as f64 * options.node_fraction) as i64).wrapping_abs();
    let edge_cutoff = ((total as f64 * options.edge_fraction) as i64).wrapping_abs();
    let mut dropped_nodes = 0;
    if node_cutoff > 0 {
        let kept = graph.nodes_above(node_cutoff);
        if kept.len() != graph.nodes.len() {
            dropped_nodes = graph.nodes.len() - kept.len();
            graph = build(Some(&kept));
        }
    }
    let orig_count = graph.nodes.len();
    sort_by_entropy(&mut graph);
    let node_count = options.node_count.unwrap_or(0);
    if node_count > 0 {
        trim_tags(&mut graph, node_cutoff);
        graph.trim_low_frequency_edges(edge_cutoff);
        let kept = graph.first_nodes(top_node_count(&graph, node_count));
        if kept.len() != graph.nodes.len() {
            graph = build(Some(&kept));
            sort_by_entropy(&mut graph);
        }
    }
    trim_tags(&mut graph, node_cutoff);
    let dropped_edges = graph.trim_low_frequency_edges(edge_cutoff);
    remove_redundant_edges(&mut graph);
    report.select_output_unit(graph.nodes.iter().map(|n| (n.flat_value(), n.cum_value())));
    Trimmed {
        graph,
        orig_count,
        dropped_nodes,
        dropped_edges,
    }
}

fn trim_tags(graph: &mut Graph, cutoff: i64) {
    for n in &mut graph.nodes {
        n.tags.trim(cutoff);
    }
}

/// How many of the first nodes fit in a budget of `max_nodes` when each also spends one unit
/// per drawn tag.
fn top_node_count(graph: &Graph, max_nodes: usize) -> usize {
    let mut count = 0;
    for (i, n) in graph.nodes.iter().enumerate() {
        count += n.tags.count_flat().min(MAX_NODELETS) + 1;
        if count >= max_nodes {
            return i + 1;
        }
    }
    max_nodes.min(graph.nodes.len())
}

/// Sorts nodes by pprof's entropy score: entry and leaf nodes, and nodes whose weight splits
/// among several callers or callees, come first; a node that only passes its weight from one
/// caller to one callee comes late.
fn sort_by_entropy(graph: &mut Graph) {
    let scores: Vec<u64> = graph
        .nodes
        .iter()
        .map(|n| {
            let mut score = 0.0;
            if n.incoming.is_empty() {
                score += 1.0;
            } else {
                score += edge_entropy(graph, &n.incoming, 0);
            }
            if n.outgoing.is_empty() {
                score += 1.0;
            } else {
                score += edge_entropy(graph, &n.outgoing, n.flat);
            }
            ((score * n.cum as f64) as i64)
                .wrapping_add(n.flat)
                .unsigned_abs()
        })
        .collect();
    let names: Vec<String> = graph
        .nodes
        .iter()
        .map(|n| n.info.printable_name())
        .collect();
    let mut order: Vec<usize> = (0..graph.nodes.len()).collect();
    let nodes = &graph.nodes;
    order.sort_by(|&l, &r| {
        scores[r]
            .cmp(&scores[l])
            .then_with(|| names[l].cmp(&names[r]))
            .then_with(|| {
                nodes[r]
                    .flat
                    .unsigned_abs()
                    .cmp(&nodes[l].flat.unsigned_abs())
            })
            .then_with(|| nodes[l].info.go_sprint().cmp(&nodes[r].info.go_sprint()))
    });
    graph.permute(&order);
}

/// The entropy of how a node's weight spreads over `edges` (and its own flat weight `own`).
fn edge_entropy(graph: &Graph, edges: &[usize], own: i64) -> f64 {
    let weights = || edges.iter().map(|&e| graph.edges[e].weight);
    let total = weights()
        .filter(|&w| w > 0)
        .fold(own, |t, w| t.wrapping_add(w));
    if total == 0 {
        return 0.0;
    }
    let term = |w: i64| {
        let frac = w.unsigned_abs() as f64 / total as f64;
        -frac * frac.log2()
    };
    let mut score: f64 = weights().map(term).sum();
    if own > 0 {
        score += term(own);
    }
    score
}

/// Removes residual edges whose destination the source reaches through other edges anyway,
/// lightest first, never one heavier than a direct edge into the same node (pprof's
/// `RemoveRedundantEdges`).
fn remove_redundant_edges(graph: &mut Graph) {
    let mut removed = vec![false; graph.edges.len()];
    for n in (0..graph.nodes.len()).rev() {
        let incoming: Vec<usize> = graph.nodes[n]
            .incoming
            .iter()
            .copied()
            .filter(|&e| !removed[e])
            .collect();
        let sorted: Vec<usize> = graph
            .sorted_edges(&incoming)
            .into_iter()
            .map(|e| edge_index(graph, e.src, e.dest))
            .collect();
        for &e in sorted.iter().rev() {
            if !graph.edges[e].residual {
                break;
            }
            if reachable_without(graph, e, &removed) {
                removed[e] = true;
            }
        }
    }
    let gone: HashSet<(usize, usize)> = (0..graph.edges.len())
        .filter(|&e| removed[e])
        .map(|e| (graph.edges[e].src, graph.edges[e].dest))
        .collect();
    graph.retain_edges(|e| !gone.contains(&(e.src, e.dest)));
}

fn edge_index(graph: &Graph, src: usize, dest: usize) -> usize {
    graph.nodes[dest]
        .incoming
        .iter()
        .copied()
        .find(|&e| graph.edges[e].src == src)
        .expect("an incoming edge of the node")
}

/// Whether the source of edge `skip` reaches its destination through other edges.
fn reachable_without(graph: &Graph, skip: usize, removed: &[bool]) -> bool {
    let (src, dest) = (graph.edges[skip].src, graph.edges[skip].dest);
    let mut seen = vec![false; graph.nodes.len()];
    seen[dest] = true;
    let mut queue = VecDeque::from([dest]);
    while let Some(n) = queue.pop_front() {
        for &ie in &graph.nodes[n].incoming {
            let from = graph.edges[ie].src;
            if ie == skip || removed[ie] || seen[from] {
                continue;
            }
            if from == src {
                return true;
            }
            seen[from] = true;
            queue.push_back(from);
        }
    }
    false
}
