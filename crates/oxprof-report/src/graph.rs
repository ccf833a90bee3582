//! The call graph pprof's reports are drawn from: one node per distinct source location (function,
//! file, line, address, whatever granularity the profile was aggregated to), flat and cumulative
//! weights per node, weighted caller→callee edges, and the trimming steps that shrink it to what
//! a report shows.
//!
//! Nodes are identified by their [`NodeInfo`]; every trimming step rebuilds the graph from the
//! samples keeping only a set of infos, exactly as pprof does, so weights stay precise and edges
//! that skip dropped nodes become *residual* edges.

mod names;
pub mod tags;

use std::collections::{HashMap, HashSet};

use oxprof_profile::{Location, Profile, Sample};

pub use names::shorten_function_name;
use tags::{NodeTags, SampleTags, TagFormat};

use crate::Report;

/// What identifies a node: the location fields left after aggregation.
///
/// ```
/// use oxprof_report::graph::NodeInfo;
/// let info = NodeInfo { name: "main.hot".into(), file: "main.go".into(), lineno: 12, ..Default::default() };
/// assert_eq!(info.printable_name(), "main.hot main.go:12");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct NodeInfo {
    /// Function name, empty when unsymbolized.
    pub name: String,
    /// System (e.g. mangled) function name; only kept when asked for.
    pub orig_name: String,
    /// Instruction address, 0 unless the profile keeps addresses.
    pub address: u64,
    /// Source file, cleaned and trimmed.
    pub file: String,
    /// First line of the function; only kept together with `objfile`.
    pub start_line: i64,
    /// Line number, 0 unless the profile keeps lines.
    pub lineno: i64,
    /// Path of the binary; kept for unsymbolized locations or when object names are asked for.
    pub objfile: String,
}

impl NodeInfo {
    /// The parts of the printed name: address as 16 hex digits, function name, then `file:line`,
    /// the file, `[binary]` or `<unknown>`, depending on what is known.
    ///
    /// ```
    /// use oxprof_report::graph::NodeInfo;
    /// let info = NodeInfo { address: 0x4010, objfile: "/usr/bin/app".into(), ..Default::default() };
    /// assert_eq!(info.name_components(), ["0000000000004010", "[app]"]);
    /// ```
    pub fn name_components(&self) -> Vec<String> {
        let mut parts = Vec::with_capacity(2);
        if self.address != 0 {
            parts.push(format!("{:016x}", self.address));
        }
        if !self.name.is_empty() {
            parts.push(self.name.clone());
        }
        if self.lineno != 0 {
            parts.push(format!("{}:{}", self.file, self.lineno));
        } else if !self.file.is_empty() {
            parts.push(self.file.clone());
        } else if !self.name.is_empty() {
            // The function name alone says it all.
        } else if !self.objfile.is_empty() {
            parts.push(format!("[{}]", go_base(&self.objfile)));
        } else {
            parts.push("<unknown>".to_string());
        }
        parts
    }

    /// The name reports print: [`name_components`](Self::name_components) joined by spaces.
    ///
    /// ```
    /// assert_eq!(oxprof_report::graph::NodeInfo::default().printable_name(), "<unknown>");
    /// ```
    pub fn printable_name(&self) -> String {
        self.name_components().join(" ")
    }

    /// The last tie-breaker of pprof's node orders: the info as Go's `fmt.Sprint` prints the
    /// struct, compared as a string.
    pub(crate) fn go_sprint(&self) -> String {
        format!(
            "{{{} {} {} {} {} {} {}}}",
            self.name,
            self.orig_name,
            self.address,
            self.file,
            self.start_line,
            self.lineno,
            self.objfile
        )
    }
}

/// A node of the graph with its weights and edges (indices into [`Graph::edges`]).
///
/// ```
/// use oxprof_report::graph::Node;
/// let n = Node { flat: 30, flat_div: 3, ..Default::default() };
/// assert_eq!(n.flat_value(), 10);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Node {
    /// What the node stands for.
    pub info: NodeInfo,
    /// Weight of samples whose leaf is this node.
    pub flat: i64,
    /// Sum of mean divisors of those samples (0 unless reporting means).
    pub flat_div: i64,
    /// Weight of samples with this node anywhere on the stack, each sample counted once.
    pub cum: i64,
    /// Sum of mean divisors of those samples.
    pub cum_div: i64,
    /// Edges from callers.
    pub incoming: Vec<usize>,
    /// Edges to callees.
    pub outgoing: Vec<usize>,
    /// Labels of the samples through the node; only collected when
    /// [`GraphOptions::tags`] asks for them.
    pub tags: NodeTags,
}

impl Node {
    /// Flat weight, divided by its mean divisor when there is one.
    ///
    /// ```
    /// let n = oxprof_report::graph::Node { flat: 7, ..Default::default() };
    /// assert_eq!(n.flat_value(), 7);
    /// ```
    pub fn flat_value(&self) -> i64 {
        mean(self.flat, self.flat_div)
    }

    /// Cumulative weight, divided by its mean divisor when there is one.
    ///
    /// ```
    /// let n = oxprof_report::graph::Node { cum: 9, cum_div: 2, ..Default::default() };
    /// assert_eq!(n.cum_value(), 4);
    /// ```
    pub fn cum_value(&self) -> i64 {
        mean(self.cum, self.cum_div)
    }
}

/// A caller→callee edge.
///
/// ```
/// let e = oxprof_report::graph::Edge { src: 0, dest: 1, weight: 5, weight_div: 0, residual: false, inline: true };
/// assert_eq!(e.weight_value(), 5);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Edge {
    /// Index of the calling node in [`Graph::nodes`].
    pub src: usize,
    /// Index of the called node.
    pub dest: usize,
    /// Weight of the samples going through the call.
    pub weight: i64,
    /// Sum of their mean divisors.
    pub weight_div: i64,
    /// The edge skips nodes that were dropped from the graph.
    pub residual: bool,
    /// Every call along this edge was inlined into the caller.
    pub inline: bool,
}

impl Edge {
    /// Weight, divided by its mean divisor when there is one.
    ///
    /// ```
    /// let e = oxprof_report::graph::Edge { weight: 10, weight_div: 4, ..Default::default() };
    /// assert_eq!(e.weight_value(), 2);
    /// ```
    pub fn weight_value(&self) -> i64 {
        mean(self.weight, self.weight_div)
    }
}

fn mean(v: i64, div: i64) -> i64 {
    if div == 0 {
        v
    } else {
        v.wrapping_div(div)
    }
}

/// How samples turn into a graph.
///
/// ```
/// let o = oxprof_report::graph::GraphOptions { sample_index: 1, ..Default::default() };
/// assert!(!o.mean);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GraphOptions {
    /// Which entry of [`Sample::value`] weighs a sample.
    pub sample_index: usize,
    /// Divide weights by the first sample value (pprof's `-mean`).
    pub mean: bool,
    /// Keep binary names in node infos (pprof does for raw, list, disasm and callgrind).
    pub obj_names: bool,
    /// Keep system function names in node infos.
    pub orig_fn_names: bool,
    /// Leave out nodes whose weight is negative overall.
    pub drop_negative: bool,
    /// Prefixes to strip from file names, `:`-separated (pprof's `-trim_path`).
    pub trim_path: String,
    /// Source search path, `:`-separated, used to guess a prefix when `trim_path` is empty.
    pub source_path: String,
    /// Build only the edges into nodes that appear inlined somewhere, which decide the
    /// `(inline)` and `(partial-inline)` marks: all `top` needs, and on profiles with millions
    /// of distinct call edges most of the time and memory a graph costs.
    pub nodes_only: bool,
    /// Collect each node's [`tags`], as graphical reports draw them.
    pub tags: Option<TagFormat>,
}

impl GraphOptions {
    /// The weight and mean divisor of a sample; missing values count as 0.
    pub(crate) fn weigh(&self, s: &Sample) -> (i64, i64) {
        let w = s.value.get(self.sample_index).copied().unwrap_or(0);
        let dw = if self.mean {
            s.value.first().copied().unwrap_or(0)
        } else {
            0
        };
        (w, dw)
    }
}

/// A call graph: nodes and the edges between them.
///
/// ```
/// use oxprof_profile::{Function, Line, Location, Profile, Sample, ValueType};
/// use oxprof_report::graph::{Graph, GraphOptions};
/// let f = |id, name: &str| Function { id, name: name.into(), ..Default::default() };
/// let loc = |id| Location { id, line: vec![Line { function_id: id, ..Default::default() }], ..Default::default() };
/// let p = Profile {
///     sample_type: vec![ValueType::new("samples", "count")],
///     sample: vec![Sample { location_id: vec![2, 1], value: vec![3], label: vec![] }],
///     location: vec![loc(1), loc(2)],
///     function: vec![f(1, "main"), f(2, "work")],
///     ..Default::default()
/// };
/// let g = Graph::new(&p, &GraphOptions::default(), None);
/// let work = g.nodes.iter().find(|n| n.info.name == "work").unwrap();
/// assert_eq!((work.flat, work.cum), (3, 3));
/// assert_eq!(g.edges.len(), 1);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Graph {
    /// The nodes, in the order of the last sort.
    pub nodes: Vec<Node>,
    /// All edges; nodes refer to them by index.
    pub edges: Vec<Edge>,
}

/// A set of node infos to keep when rebuilding a graph.
pub type NodeSet = HashSet<NodeInfo>;

impl Graph {
    /// Builds the graph of `profile`. With `kept`, only nodes whose info is in the set are
    /// created; stacks passing through other nodes yield residual edges.
    pub fn new(profile: &Profile, options: &GraphOptions, kept: Option<&NodeSet>) -> Graph {
        let mut builder = Builder::new(profile, options, kept);
        let location_nodes = std::mem::take(&mut builder.location_nodes);
        // The last sample that added to each node's cum: every sample counts once per node, even
        // through recursion, without a per-sample set (this loop is where big profiles spend
        // their time).
        let mut counted_in = vec![usize::MAX; builder.nodes.len()];
        let mut seen_edges = HashSet::new();
        for (sample_idx, sample) in profile.sample.iter().enumerate() {
            let (w, dw) = options.weigh(sample);
            if w == 0 && dw == 0 {
                continue;
            }
            seen_edges.clear();
            let tags = options
                .tags
                .as_ref()
                .and_then(|format| SampleTags::new(sample, format));
            let mut parent: Option<usize> = None;
            let mut residual = false;
            for &id in sample.location_id.iter().rev() {
                let Some(frames) = location_nodes.get(id) else {
                    continue;
                };
                // Frames are innermost first; walk from the outermost caller inwards.
                for (depth, node) in frames.iter().enumerate().rev() {
                    let Some(n) = *node else {
                        residual = true;
                        continue;
                    };
                    if counted_in[n] != sample_idx {
                        counted_in[n] = sample_idx;
                        let node = &mut builder.nodes[n];
                        node.cum = node.cum.wrapping_add(w);
                        node.cum_div = node.cum_div.wrapping_add(dw);
                        if let Some(tags) = &tags {
                            node.tags.add(tags, w, dw, false);
                        }
                    }
                    let wants_edge = !options.nodes_only || builder.inlined[n];
                    if let Some(p) = parent.filter(|&p| p != n && wants_edge) {
                        if seen_edges.insert((p, n)) {
                            let inline = depth != frames.len() - 1;
                            builder.add_to_edge(p, n, w, dw, residual, inline);
                        }
                    }
                    parent = Some(n);
                    residual = false;
                }
            }
            if let (Some(leaf), false) = (parent, residual) {
                let node = &mut builder.nodes[leaf];
                node.flat = node.flat.wrapping_add(w);
                node.flat_div = node.flat_div.wrapping_add(dw);
                if let Some(tags) = &tags {
                    node.tags.add(tags, w, dw, true);
                }
            }
        }
        builder.finish(options.drop_negative)
    }

    /// Sorts nodes by decreasing flat (`cum` false) or cumulative weight, ties broken by name as
    /// pprof does.
    ///
    /// ```
    /// use oxprof_report::graph::{Graph, Node};
    /// let node = |name: &str, flat, cum| Node { flat, cum, info: oxprof_report::graph::NodeInfo { name: name.into(), ..Default::default() }, ..Default::default() };
    /// let mut g = Graph { nodes: vec![node("a", 1, 9), node("b", 5, 5)], edges: vec![] };
    /// g.sort_nodes(false);
    /// assert_eq!(g.nodes[0].info.name, "b");
    /// g.sort_nodes(true);
    /// assert_eq!(g.nodes[0].info.name, "a");
    /// ```
    pub fn sort_nodes(&mut self, cum: bool) {
        let names: Vec<String> = self.nodes.iter().map(|n| n.info.printable_name()).collect();
        let mut order: Vec<usize> = (0..self.nodes.len()).collect();
        let nodes = &self.nodes;
        order.sort_by(|&l, &r| {
            let (a, b) = (&nodes[l], &nodes[r]);
            let (primary, secondary) = if cum {
                (
                    b.cum.unsigned_abs().cmp(&a.cum.unsigned_abs()),
                    b.flat.unsigned_abs().cmp(&a.flat.unsigned_abs()),
                )
            } else {
                (
                    b.flat.unsigned_abs().cmp(&a.flat.unsigned_abs()),
                    b.cum.unsigned_abs().cmp(&a.cum.unsigned_abs()),
                )
            };
            primary
                .then_with(|| names[l].cmp(&names[r]))
                .then(secondary)
                .then_with(|| a.info.go_sprint().cmp(&b.info.go_sprint()))
        });
        self.permute(&order);
    }

    /// Reorders nodes so that the new node `i` is the old node `order[i]`.
    pub(crate) fn permute(&mut self, order: &[usize]) {
        let mut new_index = vec![0; order.len()];
        for (new, &old) in order.iter().enumerate() {
            new_index[old] = new;
        }
        let mut old_nodes: Vec<Option<Node>> = std::mem::take(&mut self.nodes)
            .into_iter()
            .map(Some)
            .collect();
        self.nodes = order
            .iter()
            .filter_map(|&old| old_nodes[old].take())
            .collect();
        for e in &mut self.edges {
            e.src = new_index[e.src];
            e.dest = new_index[e.dest];
        }
    }

    /// Sum of flat and of cumulative weights over all nodes.
    ///
    /// ```
    /// use oxprof_report::graph::{Graph, Node};
    /// let g = Graph { nodes: vec![Node { flat: 2, cum: 3, ..Default::default() }; 2], edges: vec![] };
    /// assert_eq!(g.sum(), (4, 6));
    /// ```
    pub fn sum(&self) -> (i64, i64) {
        self.nodes.iter().fold((0, 0), |(f, c), n| {
            (f.wrapping_add(n.flat), c.wrapping_add(n.cum))
        })
    }

    /// Infos of the nodes whose absolute cumulative weight reaches `cutoff`.
    pub fn nodes_above(&self, cutoff: i64) -> NodeSet {
        let cutoff = cutoff.unsigned_abs();
        self.nodes
            .iter()
            .filter(|n| n.cum.unsigned_abs() >= cutoff)
            .map(|n| n.info.clone())
            .collect()
    }

    /// Infos of the first `count` nodes (all when there are fewer).
    pub fn first_nodes(&self, count: usize) -> NodeSet {
        self.nodes
            .iter()
            .take(count)
            .map(|n| n.info.clone())
            .collect()
    }

    /// Removes edges whose absolute weight is below `cutoff`; returns how many were removed.
    pub fn trim_low_frequency_edges(&mut self, cutoff: i64) -> usize {
        let cutoff = cutoff.unsigned_abs();
        self.retain_edges(|e| e.weight.unsigned_abs() >= cutoff)
    }

    /// Keeps only the edges `keep` accepts, renumbering the rest; returns how many were
    /// removed.
    ///
    /// ```
    /// use oxprof_report::graph::{Edge, Graph, Node};
    /// let mut g = Graph {
    ///     nodes: vec![Node { outgoing: vec![0, 1], ..Default::default() }, Node { incoming: vec![0], ..Default::default() }, Node { incoming: vec![1], ..Default::default() }],
    ///     edges: vec![Edge { src: 0, dest: 1, ..Default::default() }, Edge { src: 0, dest: 2, residual: true, ..Default::default() }],
    /// };
    /// assert_eq!(g.retain_edges(|e| e.residual), 1);
    /// assert_eq!((g.nodes[0].outgoing.as_slice(), g.edges[0].dest), (&[0][..], 2));
    /// ```
    pub fn retain_edges(&mut self, mut keep: impl FnMut(&Edge) -> bool) -> usize {
        let before = self.edges.len();
        let mut new_index = Vec::with_capacity(before);
        let mut kept = Vec::with_capacity(before);
        for e in &self.edges {
            if keep(e) {
                new_index.push(Some(kept.len()));
                kept.push(*e);
            } else {
                new_index.push(None);
            }
        }
        self.edges = kept;
        for n in &mut self.nodes {
            n.incoming = n.incoming.iter().filter_map(|&e| new_index[e]).collect();
            n.outgoing = n.outgoing.iter().filter_map(|&e| new_index[e]).collect();
        }
        before - self.edges.len()
    }

    /// The edges `ids`, heaviest first, then by caller and callee name.
    ///
    /// ```
    /// use oxprof_report::graph::{Edge, Graph, Node};
    /// let g = Graph {
    ///     nodes: vec![Node::default(); 3],
    ///     edges: vec![Edge { src: 0, dest: 1, weight: 1, ..Default::default() }, Edge { src: 0, dest: 2, weight: 4, ..Default::default() }],
    /// };
    /// assert_eq!(g.sorted_edges(&[0, 1])[0].weight, 4);
    /// ```
    pub fn sorted_edges(&self, ids: &[usize]) -> Vec<&Edge> {
        let mut edges: Vec<(&Edge, String, String)> = ids
            .iter()
            .map(|&i| {
                let e = &self.edges[i];
                (
                    e,
                    self.nodes[e.src].info.printable_name(),
                    self.nodes[e.dest].info.printable_name(),
                )
            })
            .collect();
        edges.sort_by(|(a, asrc, adest), (b, bsrc, bdest)| {
            b.weight
                .unsigned_abs()
                .cmp(&a.weight.unsigned_abs())
                .then_with(|| asrc.cmp(bsrc))
                .then_with(|| adest.cmp(bdest))
        });
        edges.into_iter().map(|(e, _, _)| e).collect()
    }
}

/// A graph trimmed for a report, with the counts the report header mentions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trimmed {
    /// The trimmed, sorted graph.
    pub graph: Graph,
    /// Number of nodes before the node count limit applied.
    pub orig_count: usize,
    /// Nodes dropped for a cumulative weight below the node fraction.
    pub dropped_nodes: usize,
    /// Edges dropped for a weight below the edge fraction in the final step.
    pub dropped_edges: usize,
}

/// Builds the graph of `profile` and trims it as pprof does for text reports: nodes with
/// cumulative weight below `node_fraction` of the graph total are dropped, the rest sorted
/// (flat or cum), cut to the first `node_count`, and light edges removed (`nodes_only` builds no
/// edges: enough for `top`, and far cheaper on big profiles). Each step rebuilds the
/// graph from the samples so weights stay exact. The report's options are already adjusted for
/// its command ([`Options::for_command`](crate::Options::for_command)).
///
/// ```
/// use oxprof_profile::{Function, Line, Location, Profile, Sample, ValueType};
/// let loc = |id| Location { id, line: vec![Line { function_id: id, ..Default::default() }], ..Default::default() };
/// let f = |id, name: &str| Function { id, name: name.into(), ..Default::default() };
/// let s = |loc, v| Sample { location_id: vec![loc], value: vec![v], label: vec![] };
/// let p = Profile {
///     sample_type: vec![ValueType::new("samples", "count")],
///     sample: vec![s(1, 1000), s(2, 10), s(3, 1)],
///     location: vec![loc(1), loc(2), loc(3)],
///     function: vec![f(1, "big"), f(2, "small"), f(3, "tiny")],
///     ..Default::default()
/// };
/// let o = oxprof_report::Options { node_count: Some(1), ..Default::default() };
/// let t = oxprof_report::graph::trimmed(&p, &oxprof_report::Report::new(&p, &o, "top")?, true);
/// assert_eq!((t.dropped_nodes, t.orig_count), (1, 2)); // "tiny" is under 0.5%
/// assert_eq!(t.graph.nodes[0].info.name, "big");
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn trimmed(profile: &Profile, report: &Report, nodes_only: bool) -> Trimmed {
    let gopt = GraphOptions {
        nodes_only,
        ..report.graph_options()
    };
    let options = &report.options;
    let mut graph = Graph::new(profile, &gopt, None);
    let (total, _) = graph.sum();
    let node_cutoff = (total as f64 * options.node_fraction) as i64;
    let edge_cutoff = (total as f64 * options.edge_fraction) as i64;
    let mut dropped_nodes = 0;
    if node_cutoff != 0 {
        let kept = graph.nodes_above(node_cutoff);
        if kept.len() != graph.nodes.len() {
            dropped_nodes = graph.nodes.len() - kept.len();
            graph = Graph::new(profile, &gopt, Some(&kept));
        }
    }
    let orig_count = graph.nodes.len();
    graph.sort_nodes(options.cum_sort);
    let node_count = options.node_count.unwrap_or(0);
    if node_count > 0 {
        graph.trim_low_frequency_edges(edge_cutoff);
        let kept = graph.first_nodes(node_count);
        if kept.len() != graph.nodes.len() {
            graph = Graph::new(profile, &gopt, Some(&kept));
            graph.sort_nodes(options.cum_sort);
        }
    }
    let dropped_edges = graph.trim_low_frequency_edges(edge_cutoff);
    Trimmed {
        graph,
        orig_count,
        dropped_nodes,
        dropped_edges,
    }
}

/// [`trimmed`], then the report's output unit chosen from the nodes that remain, as pprof's
/// `newTrimmedGraph` does for every text report built on a graph.
pub(crate) fn trimmed_for_output(
    profile: &Profile,
    report: &mut Report,
    nodes_only: bool,
) -> Trimmed {
    let t = trimmed(profile, report, nodes_only);
    report.select_output_unit(
        t.graph
            .nodes
            .iter()
            .map(|n| (n.flat_value(), n.cum_value())),
    );
    t
}

/// The node of every line of every location, innermost first (`None` for nodes not kept),
/// stored flat and found by location id: by position when ids are 1..n in order, as they are in
/// every profile oxprof writes, else through a map.
#[derive(Default)]
struct LocationNodes {
    /// Location id to position, only when ids are not 1..n in order.
    positions: Option<HashMap<u64, usize>>,
    /// `nodes[ends[i - 1]..ends[i]]` belong to the location at position `i`.
    ends: Vec<usize>,
    nodes: Vec<Option<usize>>,
}

impl LocationNodes {
    fn new(profile: &Profile) -> LocationNodes {
        let dense = (1..).zip(&profile.location).all(|(id, loc)| loc.id == id);
        let positions = (!dense).then(|| {
            (0..)
                .zip(&profile.location)
                .map(|(i, loc)| (loc.id, i))
                .collect()
        });
        LocationNodes {
            positions,
            ends: Vec::with_capacity(profile.location.len()),
            nodes: Vec::with_capacity(profile.location.len()),
        }
    }

    fn get(&self, id: u64) -> Option<&[Option<usize>]> {
        let pos = match &self.positions {
            None => usize::try_from(id).ok()?.checked_sub(1)?,
            Some(positions) => *positions.get(&id)?,
        };
        let end = *self.ends.get(pos)?;
        let start = pos.checked_sub(1).map_or(0, |prev| self.ends[prev]);
        Some(&self.nodes[start..end])
    }
}

/// Node and edge bookkeeping while a graph is built.
struct Builder {
    nodes: Vec<Node>,
    node_index: HashMap<NodeInfo, usize>,
    location_nodes: LocationNodes,
    /// Nodes that are an inlined (not outermost) line of some location.
    inlined: Vec<bool>,
    edge_index: HashMap<(usize, usize), usize>,
    edges: Vec<Edge>,
}

impl Builder {
    fn new(profile: &Profile, options: &GraphOptions, kept: Option<&NodeSet>) -> Builder {
        let mut b = Builder {
            nodes: Vec::new(),
            node_index: HashMap::new(),
            location_nodes: LocationNodes::new(profile),
            inlined: Vec::new(),
            edge_index: HashMap::new(),
            edges: Vec::new(),
        };
        for (_, infos) in location_infos(profile, options) {
            let outermost = infos.len() - 1;
            for (depth, info) in infos.into_iter().enumerate() {
                let node = b.find_or_insert(info, kept);
                if let (Some(n), true) = (node, depth != outermost) {
                    b.inlined[n] = true;
                }
                b.location_nodes.nodes.push(node);
            }
            b.location_nodes.ends.push(b.location_nodes.nodes.len());
        }
        b
    }

    fn find_or_insert(&mut self, info: NodeInfo, kept: Option<&NodeSet>) -> Option<usize> {
        if kept.is_some_and(|k| !k.contains(&info)) {
            return None;
        }
        if let Some(&i) = self.node_index.get(&info) {
            return Some(i);
        }
        let i = self.nodes.len();
        self.nodes.push(Node {
            info: info.clone(),
            ..Default::default()
        });
        self.inlined.push(false);
        self.node_index.insert(info, i);
        Some(i)
    }

    fn add_to_edge(
        &mut self,
        src: usize,
        dest: usize,
        w: i64,
        dw: i64,
        residual: bool,
        inline: bool,
    ) {
        if let Some(&i) = self.edge_index.get(&(src, dest)) {
            let e = &mut self.edges[i];
            e.weight = e.weight.wrapping_add(w);
            e.weight_div = e.weight_div.wrapping_add(dw);
            e.residual |= residual;
            e.inline &= inline;
            return;
        }
        self.edge_index.insert((src, dest), self.edges.len());
        self.edges.push(Edge {
            src,
            dest,
            weight: w,
            weight_div: dw,
            residual,
            inline,
        });
    }

    /// Drops nodes no sample reached (and negative ones if asked), renumbering the rest.
    fn finish(self, drop_negative: bool) -> Graph {
        let keep = |n: &Node| {
            let negative = n.flat < 0 || (n.flat == 0 && n.cum < 0);
            (n.flat != 0 || n.cum != 0) && !(drop_negative && negative)
        };
        let mut new_index = vec![None; self.nodes.len()];
        let mut nodes = Vec::with_capacity(self.nodes.len());
        for (old, n) in self.nodes.into_iter().enumerate() {
            if keep(&n) {
                new_index[old] = Some(nodes.len());
                nodes.push(n);
            }
        }
        let mut edges = Vec::with_capacity(self.edges.len());
        for e in self.edges {
            if let (Some(src), Some(dest)) = (new_index[e.src], new_index[e.dest]) {
                edges.push(Edge { src, dest, ..e });
            }
        }
        for (i, e) in edges.iter().enumerate() {
            nodes[e.src].outgoing.push(i);
            nodes[e.dest].incoming.push(i);
        }
        Graph { nodes, edges }
    }
}

/// The node infos of every location's lines, innermost inlined callee first, in location
/// order: what graph nodes and `traces` frames are made of. A location without lines (or a line
/// without a function) is its address in its mapping's object.
pub(crate) fn location_infos<'p>(
    profile: &'p Profile,
    options: &GraphOptions,
) -> Vec<(&'p Location, Vec<NodeInfo>)> {
    let functions: HashMap<u64, _> = profile.function.iter().map(|f| (f.id, f)).collect();
    let objfiles: HashMap<u64, &str> = profile
        .mapping
        .iter()
        .map(|m| (m.id, m.filename.as_str()))
        .collect();
    let mut files: HashMap<u64, String> = HashMap::new();
    let mut res = Vec::with_capacity(profile.location.len());
    for loc in &profile.location {
        let objfile = objfiles.get(&loc.mapping_id).copied().unwrap_or_default();
        let unsymbolized = || NodeInfo {
            address: loc.address,
            objfile: objfile.to_string(),
            ..Default::default()
        };
        let infos: Vec<NodeInfo> = if loc.line.is_empty() {
            vec![unsymbolized()]
        } else {
            loc.line
                .iter()
                .map(|line| match functions.get(&line.function_id) {
                    None => unsymbolized(),
                    Some(f) => {
                        let file = files
                            .entry(f.id)
                            .or_insert_with(|| clean_file_name(&f.filename, options))
                            .clone();
                        line_info(loc, f, line.line, file, objfile, options)
                    }
                })
                .collect()
        };
        res.push((loc, infos));
    }
    res
}

fn line_info(
    loc: &Location,
    f: &oxprof_profile::Function,
    lineno: i64,
    file: String,
    objfile: &str,
    options: &GraphOptions,
) -> NodeInfo {
    let mut info = NodeInfo {
        address: loc.address,
        lineno,
        name: f.name.clone(),
        file,
        ..Default::default()
    };
    if options.orig_fn_names {
        info.orig_name = f.system_name.clone();
    }
    if options.obj_names || (info.name.is_empty() && info.orig_name.is_empty()) {
        info.objfile = objfile.to_string();
        info.start_line = f.start_line;
    }
    info
}

/// A function's file name as pprof shows it: known prefixes trimmed, then cleaned lexically.
fn clean_file_name(name: &str, options: &GraphOptions) -> String {
    if name.is_empty() {
        return String::new();
    }
    go_clean(trim_path(name, &options.trim_path, &options.source_path))
}

/// Strips the first matching prefix: with no trim path, everything up to the base name of a
/// source path directory found in the name; else a `:`-separated trim prefix; always
/// `/proc/self/cwd/` (the working directory of remote builds).
pub(crate) fn trim_path<'a>(path: &'a str, trim: &str, search: &str) -> &'a str {
    if trim.is_empty() {
        for dir in search.split(':').filter(|_| !search.is_empty()) {
            let want = format!("/{}/", go_base(dir));
            if let Some(found) = path.find(&want) {
                return &path[found + want.len()..];
            }
        }
    }
    let configured = trim.split(':').filter(|_| !trim.is_empty());
    for prefix in configured.chain(["/proc/self/cwd/./", "/proc/self/cwd/"]) {
        let prefix = if prefix.ends_with('/') {
            prefix.to_string()
        } else {
            format!("{prefix}/")
        };
        if let Some(rest) = path.strip_prefix(prefix.as_str()) {
            return rest;
        }
    }
    path
}

/// Go's `filepath.Base`: the last element, trailing slashes ignored; `.` for an empty path.
pub(crate) fn go_base(path: &str) -> &str {
    if path.is_empty() {
        return ".";
    }
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/";
    }
    trimmed.rsplit('/').next().unwrap_or(trimmed)
}

/// Go's `filepath.Clean`: the shortest equivalent path, lexically.
pub(crate) fn go_clean(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|&p| p != "..") => {
                parts.pop();
            }
            ".." if rooted => {}
            _ => parts.push(part),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_matches_go() {
        for (input, want) in [
            ("a/b/../c", "a/c"),
            ("/../a//b/./c/", "/a/b/c"),
            ("../../x", "../../x"),
            ("a/..", "."),
            ("/", "/"),
        ] {
            assert_eq!(go_clean(input), want, "{input}");
        }
    }

    #[test]
    fn trim_path_strips_known_prefixes() {
        assert_eq!(trim_path("/proc/self/cwd/./pkg/a.go", "", ""), "pkg/a.go");
        assert_eq!(
            trim_path("/build/src/pkg/a.go", "/build/src", ""),
            "pkg/a.go"
        );
        assert_eq!(
            trim_path("/remote/my-project/foo/bar.c", "", "/local/my-project"),
            "foo/bar.c"
        );
        assert_eq!(trim_path("/x/a.go", "", ""), "/x/a.go");
    }
}
