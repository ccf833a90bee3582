//! The call graph as Graphviz DOT, styled as `go tool pprof -dot` styles it: node labels with
//! short names and flat/cumulative weights, font sizes growing with flat weight, colours from
//! grey to red (green for negative) by cumulative weight, edges weighted, widened and coloured
//! by their weight, dotted residual edges, `(inline)` marks, tag boxes ("nodelets") under the
//! nodes, and the legend box with the report's header lines.
//!
//! [`DotGraph`] is the styled graph as data: [`DotGraph::write`] prints it as DOT, exactly as
//! pprof prints it, and [`crate::svg`] draws it without Graphviz.

mod nodelets;
mod visual;

use std::collections::HashMap;
use std::io::{self, Write};

use oxprof_profile::Profile;

use crate::graph::{go_base, shorten_function_name, Edge, Graph, Node};
use crate::{header, measurement, Options, Report};

/// The shape of a node.
///
/// ```
/// assert_eq!(oxprof_report::dot::Shape::Box3d.as_str(), "box3d");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A plain box: call graph nodes and the legend.
    Box,
    /// A box drawn with depth: the tags of a node.
    Box3d,
}

impl Shape {
    /// The Graphviz name of the shape.
    ///
    /// ```
    /// assert_eq!(oxprof_report::dot::Shape::Box.as_str(), "box");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Shape::Box => "box",
            Shape::Box3d => "box3d",
        }
    }
}

/// What a node of the drawing stands for.
///
/// ```
/// use oxprof_report::dot::{dot_color, DotNodeKind};
/// let kind = DotNodeKind::Function { color: dot_color(0.5, false), fill_color: dot_color(0.5, true) };
/// assert!(matches!(kind, DotNodeKind::Function { .. }));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DotNodeKind {
    /// A node of the call graph, with its outline and fill colours.
    Function {
        /// Outline colour, `#rrggbb`.
        color: String,
        /// Fill colour, `#rrggbb`.
        fill_color: String,
    },
    /// A tag of the node it hangs off.
    Tag,
}

/// A node as drawn. Text fields hold DOT escape strings, as they are written: `\n` ends a
/// centred line, `\l` a left-aligned one, `\\` and `\"` stand for `\` and `"`
/// ([`label_lines`] reads them back).
///
/// ```
/// use oxprof_report::dot::{DotNode, DotNodeKind, Shape};
/// let n = DotNode { name: "N1".into(), id: "node1".into(), label: "main\\n1s (50%)\\n".into(), font_size: 24, shape: Shape::Box, tooltip: "main (1s)".into(), kind: DotNodeKind::Tag };
/// assert_eq!(n.font_size, 24);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DotNode {
    /// The DOT node name (`N1`, `N1_0`).
    pub name: String,
    /// The `id` attribute, which becomes the SVG element id (`node1`).
    pub id: String,
    /// The label.
    pub label: String,
    /// Font size in points.
    pub font_size: u32,
    /// The shape.
    pub shape: Shape,
    /// Text shown on hover.
    pub tooltip: String,
    /// Call graph node or tag.
    pub kind: DotNodeKind,
}

/// An edge as drawn, between two entries of [`DotGraph::nodes`].
///
/// ```
/// let e = oxprof_report::dot::DotEdge { src: 0, dest: 1, label: " 1s".into(), weight: Some(51), pen_width: Some(3), color: None, tooltip: "a -> b (1s)".into(), dotted: false, min_len: None, to_tag: false };
/// assert_eq!(e.pen_width, Some(3));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DotEdge {
    /// Index of the source node.
    pub src: usize,
    /// Index of the destination node.
    pub dest: usize,
    /// The label (weight and `(inline)` mark).
    pub label: String,
    /// Layout weight: how strongly the layout keeps the edge short and straight.
    pub weight: Option<u32>,
    /// Line width in points.
    pub pen_width: Option<u32>,
    /// Line colour, `#rrggbb`.
    pub color: Option<String>,
    /// Text shown on hover over the edge and its label.
    pub tooltip: String,
    /// Drawn dotted: a residual edge, or a tag's share of a node that includes callees.
    pub dotted: bool,
    /// Minimum length in ranks, when more than one.
    pub min_len: Option<u32>,
    /// The edge leads to a tag.
    pub to_tag: bool,
}

/// A styled call graph, ready to print as DOT or to lay out.
///
/// ```
/// let p = oxprof_profile::Profile::parse(&std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/go/cpu.pprof"))?)?;
/// let g = oxprof_report::dot::DotGraph::new(&p, &Default::default())?;
/// assert_eq!(g.title, "cpuhot");
/// assert_eq!(g.nodes[0].name, "N1");
/// assert!(g.legend[0].starts_with("File: "));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DotGraph {
    /// The graph's name: the main binary's base name, or empty.
    pub title: String,
    /// Lines of the legend box, unescaped.
    pub legend: Vec<String>,
    /// Nodes in the order they are written: each call graph node followed by its tags.
    pub nodes: Vec<DotNode>,
    /// Edges: those to tags, then the call edges, heaviest first.
    pub edges: Vec<DotEdge>,
}

impl DotGraph {
    /// The graph of `profile` trimmed and styled as `go tool pprof -dot` draws it: call graph
    /// nodes named `N1`, `N2`... in pprof's order, each followed by its tags.
    ///
    /// ```
    /// use oxprof_profile::{Function, Line, Location, Profile, Sample, ValueType};
    /// let loc = |id| Location { id, line: vec![Line { function_id: id, ..Default::default() }], ..Default::default() };
    /// let f = |id, name: &str| Function { id, name: name.into(), ..Default::default() };
    /// let p = Profile {
    ///     sample_type: vec![ValueType::new("samples", "count")],
    ///     sample: vec![Sample { location_id: vec![2, 1], value: vec![4], label: vec![] }],
    ///     location: vec![loc(1), loc(2)],
    ///     function: vec![f(1, "main"), f(2, "work")],
    ///     ..Default::default()
    /// };
    /// let g = oxprof_report::dot::DotGraph::new(&p, &Default::default())?;
    /// assert_eq!((g.nodes.len(), g.edges.len()), (2, 1));
    /// assert_eq!(g.edges[0].label, " 4");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new(profile: &Profile, options: &Options) -> io::Result<DotGraph> {
        let mut report = Report::new(profile, options, "dot")?;
        let t = visual::trimmed(profile, &mut report);
        let legend = header::report_labels(&report, profile, &t, true);
        let title = profile
            .mapping
            .first()
            .filter(|m| !m.filename.is_empty())
            .map_or_else(String::new, |m| go_base(&m.filename).to_string());
        let mut dot = DotGraph {
            title,
            legend,
            ..DotGraph::default()
        };
        let g = &t.graph;
        let max_flat = g
            .nodes
            .iter()
            .map(|n| n.flat_value().unsigned_abs())
            .max()
            .unwrap_or(0) as f64;
        let mut index = Vec::with_capacity(g.nodes.len());
        let mut has_nodelets = Vec::with_capacity(g.nodes.len());
        for (i, n) in g.nodes.iter().enumerate() {
            index.push(dot.nodes.len());
            dot.nodes.push(function_node(n, i + 1, max_flat, &report));
            let flat_tags = !n.outgoing.is_empty();
            has_nodelets.push(nodelets::add(&mut dot, n, i + 1, flat_tags, &report));
        }
        let all: Vec<usize> = (0..g.edges.len()).collect();
        for e in g.sorted_edges(&all) {
            let edge = call_edge(
                g,
                e,
                index[e.src],
                index[e.dest],
                has_nodelets[e.src],
                &report,
            );
            dot.edges.push(edge);
        }
        Ok(dot)
    }

    /// Prints the graph in DOT, as pprof prints it.
    ///
    /// ```
    /// let g = oxprof_report::dot::DotGraph { title: "app".into(), ..Default::default() };
    /// let mut out = Vec::new();
    /// g.write(&mut out)?;
    /// assert_eq!(String::from_utf8(out).unwrap(), "digraph \"app\" {\nnode [style=filled fillcolor=\"#f8f8f8\"]\n}\n");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn write(&self, w: &mut dyn Write) -> io::Result<()> {
        let name = if self.title.is_empty() {
            "unnamed"
        } else {
            &self.title
        };
        writeln!(w, "digraph \"{name}\" {{")?;
        writeln!(w, "node [style=filled fillcolor=\"#f8f8f8\"]")?;
        if let Some(first) = self.legend.first() {
            write!(
                w,
                "subgraph cluster_L {{ \"{}\" [shape=box fontsize=16",
                escape(first)
            )?;
            let lines: Vec<String> = self.legend.iter().map(|l| escape(l)).collect();
            write!(w, " label=\"{}\\l\"", lines.join("\\l"))?;
            if !self.title.is_empty() {
                write!(w, " tooltip=\"{}\"", self.title)?;
            }
            writeln!(w, "] }}")?;
        }
        let mut tag_edge = HashMap::new();
        for (i, e) in self.edges.iter().enumerate() {
            if e.to_tag {
                tag_edge.insert(e.dest, i);
            }
        }
        for (i, n) in self.nodes.iter().enumerate() {
            self.write_node(w, n)?;
            if let Some(&e) = tag_edge.get(&i) {
                self.write_edge(w, &self.edges[e])?;
            }
        }
        for e in self.edges.iter().filter(|e| !e.to_tag) {
            self.write_edge(w, e)?;
        }
        writeln!(w, "}}")
    }

    fn write_node(&self, w: &mut dyn Write, n: &DotNode) -> io::Result<()> {
        match &n.kind {
            DotNodeKind::Function { color, fill_color } => writeln!(
                w,
                "{} [label=\"{}\" id=\"{}\" fontsize={} shape={} tooltip=\"{}\" color=\"{color}\" fillcolor=\"{fill_color}\"]",
                n.name,
                n.label,
                n.id,
                n.font_size,
                n.shape.as_str(),
                n.tooltip
            ),
            DotNodeKind::Tag => writeln!(
                w,
                "{} [label = \"{}\" id=\"{}\" fontsize={} shape={} tooltip=\"{}\"]",
                n.name,
                n.label,
                n.id,
                n.font_size,
                n.shape.as_str(),
                n.tooltip
            ),
        }
    }

    fn write_edge(&self, w: &mut dyn Write, e: &DotEdge) -> io::Result<()> {
        let (src, dest) = (&self.nodes[e.src].name, &self.nodes[e.dest].name);
        write!(w, "{src} -> {dest} [label=\"{}\"", e.label)?;
        if let Some(weight) = e.weight {
            write!(w, " weight={weight}")?;
        }
        if let Some(width) = e.pen_width {
            write!(w, " penwidth={width}")?;
        }
        if let Some(color) = &e.color {
            write!(w, " color=\"{color}\"")?;
        }
        write!(w, " tooltip=\"{0}\" labeltooltip=\"{0}\"", e.tooltip)?;
        if e.dotted {
            write!(w, " style=\"dotted\"")?;
        }
        if let Some(min_len) = e.min_len {
            write!(w, " minlen={min_len}")?;
        }
        writeln!(w, "]")
    }
}

/// Writes the call graph of `profile` in DOT, as `go tool pprof -dot` writes it.
///
/// ```
/// use oxprof_profile::{Function, Line, Location, Profile, Sample, ValueType};
/// let loc = |id| Location { id, line: vec![Line { function_id: id, ..Default::default() }], ..Default::default() };
/// let f = |id, name: &str| Function { id, name: name.into(), ..Default::default() };
/// let p = Profile {
///     sample_type: vec![ValueType::new("samples", "count")],
///     sample: vec![Sample { location_id: vec![2, 1], value: vec![4], label: vec![] }],
///     location: vec![loc(1), loc(2)],
///     function: vec![f(1, "main.main"), f(2, "main.work")],
///     ..Default::default()
/// };
/// let mut out = Vec::new();
/// oxprof_report::dot::write_dot(&mut out, &p, &Default::default())?;
/// let text = String::from_utf8(out).unwrap();
/// assert!(text.contains("N1 [label=\"main\\nwork\\n4 (100%)\" id=\"node1\" fontsize=24 shape=box"));
/// assert!(text.contains("N2 -> N1 [label=\" 4\" weight=101 penwidth=6 color=\"#b20000\""));
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn write_dot(w: &mut dyn Write, profile: &Profile, options: &Options) -> io::Result<()> {
    DotGraph::new(profile, options)?.write(w)
}

fn function_node(n: &Node, id: usize, max_flat: f64, report: &Report) -> DotNode {
    let (flat, cum) = (n.flat_value(), n.cum_value());
    let percent = |v| measurement::percentage(v, report.total).trim().to_string();
    let mut label = multiline_name(n);
    let flat_text = report.format_value(flat);
    if flat != 0 {
        label += &format!("{flat_text} ({})", percent(flat));
    } else {
        label += "0";
    }
    let mut cum_text = flat_text;
    if cum != flat {
        label += if flat != 0 { "\\n" } else { " " };
        cum_text = report.format_value(cum);
        label += &format!("of {cum_text} ({})", percent(cum));
    }
    // Font sizes grow from 8 to 24 points with the square root of the flat share.
    let flat_abs = flat.unsigned_abs() as f64;
    let mut font_size = 8;
    if max_flat != 0.0 && flat != 0 && flat_abs <= max_flat {
        font_size += (16.0 * (flat_abs / max_flat).sqrt()).ceil() as u32;
    }
    let score = cum as f64 / report.total.unsigned_abs() as f64;
    DotNode {
        name: format!("N{id}"),
        id: format!("node{id}"),
        label,
        font_size,
        shape: Shape::Box,
        tooltip: format!("{} ({cum_text})", escape(&n.info.printable_name())),
        kind: DotNodeKind::Function {
            color: dot_color(score, false),
            fill_color: dot_color(score, true),
        },
    }
}

/// The node's name over several lines: shortened, broken at `::` and `.`, with the base name
/// of its file.
fn multiline_name(n: &Node) -> String {
    let mut info = n.info.clone();
    info.name = escape(&shorten_function_name(&info.name))
        .replace("::", "\\n")
        // Go prints type parameters as `[...]`; the dots are no separator.
        .replace("[...]", "[…]")
        .replace('.', "\\n");
    if !info.file.is_empty() {
        info.file = go_base(&info.file).to_string();
    }
    info.name_components().join("\\n") + "\\n"
}

fn call_edge(
    g: &Graph,
    e: &Edge,
    src: usize,
    dest: usize,
    src_has_nodelets: bool,
    report: &Report,
) -> DotEdge {
    let value = e.weight_value();
    let w = report.format_value(value);
    let inline = if e.inline { "\\n (inline)" } else { "" };
    let total = report.total;
    let (mut weight, mut pen_width, mut color) = (None, None, None);
    if total != 0 {
        let scaled = |factor: i64, max: i64| {
            1 + (value.wrapping_mul(factor) / total).wrapping_abs().min(max)
        };
        weight = u32::try_from(scaled(100, 100)).ok().filter(|&x| x > 1);
        pen_width = u32::try_from(scaled(5, 5)).ok().filter(|&x| x > 1);
        color = Some(dot_color(value as f64 / total.unsigned_abs() as f64, false));
    }
    let arrow = if e.residual { "..." } else { "->" };
    DotEdge {
        src,
        dest,
        label: format!(" {w}{inline}"),
        weight,
        pen_width,
        color,
        tooltip: format!(
            "{} {arrow} {} ({w})",
            escape(&g.nodes[e.src].info.printable_name()),
            escape(&g.nodes[e.dest].info.printable_name())
        ),
        dotted: e.residual,
        min_len: src_has_nodelets.then_some(2),
        to_tag: false,
    }
}

/// The colour for `score` (clamped to -1..1): grey at 0, red towards 1, green towards -1; pale
/// when `background` (pprof's `dotColor`). Scores near zero are pushed away from grey so that
/// small differences still show.
///
/// ```
/// use oxprof_report::dot::dot_color;
/// assert_eq!(dot_color(1.0, false), "#b20000");
/// assert_eq!(dot_color(0.0, true), "#ededed");
/// assert_eq!(dot_color(-1.0, false), "#00b200");
/// ```
pub fn dot_color(score: f64, background: bool) -> String {
    const SHIFT: f64 = 0.7;
    let (mut saturation, value) = if background { (0.1, 0.93) } else { (1.0, 0.7) };
    let mut score = score.clamp(-1.0, 1.0);
    if score.abs() < 0.2 {
        saturation *= score.abs() / 0.2;
    }
    if score > 0.0 {
        score = score.powf(1.0 - SHIFT);
    }
    if score < 0.0 {
        score = -(-score).powf(1.0 - SHIFT);
    }
    let (r, g) = if score < 0.0 {
        (value * (1.0 + saturation * score), value)
    } else {
        (value, value * (1.0 - saturation * score))
    };
    let b = value * (1.0 - saturation);
    let byte = |c: f64| (c * 255.0) as u8;
    format!("#{:02x}{:02x}{:02x}", byte(r), byte(g), byte(b))
}

/// `text` as a DOT escape string: backslashes and quotes escaped, line breaks left-aligned.
///
/// ```
/// assert_eq!(oxprof_report::dot::escape("a \"b\"\\\nc"), "a \\\"b\\\"\\\\\\lc");
/// ```
pub fn escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\l")
}

/// How a line of a label is aligned.
///
/// ```
/// use oxprof_report::dot::{label_lines, Align};
/// assert_eq!(label_lines("File: app\\l")[0].1, Align::Left);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Centred (`\n`).
    Center,
    /// Left-aligned (`\l`).
    Left,
    /// Right-aligned (`\r`).
    Right,
}

/// The lines of a DOT escape string with their alignment, escapes resolved. Text after the last
/// line break is a centred line of its own.
///
/// ```
/// use oxprof_report::dot::{label_lines, Align};
/// assert_eq!(
///     label_lines("main\\nwork\\n"),
///     [("main".to_string(), Align::Center), ("work".to_string(), Align::Center)]
/// );
/// assert_eq!(label_lines("a\\\\b\\l\\\"c"), [("a\\b".to_string(), Align::Left), ("\"c".to_string(), Align::Center)]);
/// ```
pub fn label_lines(label: &str) -> Vec<(String, Align)> {
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut chars = label.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            line.push(c);
            continue;
        }
        let align = match chars.next() {
            Some('n') => Align::Center,
            Some('l') => Align::Left,
            Some('r') => Align::Right,
            Some(other) => {
                line.push(other);
                continue;
            }
            None => break,
        };
        lines.push((std::mem::take(&mut line), align));
    }
    if !line.is_empty() {
        lines.push((line, Align::Center));
    }
    lines
}
