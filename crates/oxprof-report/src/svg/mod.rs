//! The call graph drawn as SVG without Graphviz: a [`DotGraph`] laid out by [`crate::layout`]
//! and written in the element structure Graphviz's SVG has (`g.node` and `g.edge` groups with
//! `title`s, tooltips as `xlink:title`, element ids from the DOT `id`s), so pages and scripts
//! made for Graphviz's drawings of pprof graphs work on these too.
//!
//! [`pan_zoom`] turns any such drawing (built here or by Graphviz) into a page that pans and
//! zooms in a browser, as pprof does for `-svg` and `-web`.

mod text;

use std::fmt::Write as _;
use std::io::{self, Write};
use std::sync::LazyLock;

use oxprof_profile::Profile;
use regex::Regex;

pub use text::{line_height, text_width};

use crate::dot::{escape, label_lines, Align, DotGraph, DotNode, DotNodeKind, Shape};
use crate::layout::{layout, EdgeSpec, Layout, Point, Rect, Spacing};
use crate::Options;

/// Font of every text, as Graphviz names its default.
const FONT: &str = "Times,serif";
/// Font size of edge labels (Graphviz's default).
const EDGE_FONT_SIZE: f64 = 14.0;
/// Font size of the legend.
const LEGEND_FONT_SIZE: f64 = 16.0;
/// Space between a box's border and its text (Graphviz's default node margin).
const PAD_X: f64 = 8.0;
const PAD_Y: f64 = 4.0;
/// Graphviz's default minimum node size (0.75 by 0.5 inches).
const MIN_WIDTH: f64 = 54.0;
const MIN_HEIGHT: f64 = 36.0;
/// Space around the drawing and around the legend inside its frame.
const MARGIN: f64 = 4.0;
const FRAME_PAD: f64 = 8.0;
/// Depth of a `box3d` node's sides.
const DEPTH: f64 = 4.0;
/// Half the width of an arrowhead's base.
const ARROW_HALF_WIDTH: f64 = 3.5;

/// Writes the call graph of `profile` as SVG, laid out without Graphviz.
///
/// ```
/// let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/go/cpu.pprof"))?;
/// let p = oxprof_profile::Profile::parse(&bytes)?;
/// let o = oxprof_report::Options { sample_index: 1, node_count: Some(5), ..Default::default() };
/// let mut out = Vec::new();
/// oxprof_report::svg::write_svg(&mut out, &p, &o)?;
/// let svg = String::from_utf8(out)?;
/// assert!(svg.contains("<title>N5</title>") && svg.ends_with("</svg>\n"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_svg(w: &mut dyn Write, profile: &Profile, options: &Options) -> io::Result<()> {
    w.write_all(render(&DotGraph::new(profile, options)?).as_bytes())
}

/// The size a node's box needs for its label.
///
/// ```
/// use oxprof_report::dot::{DotNode, DotNodeKind, Shape};
/// let n = DotNode { name: "N1".into(), id: "node1".into(), label: "a\\nb\\n".into(), font_size: 10, shape: Shape::Box, tooltip: String::new(), kind: DotNodeKind::Tag };
/// assert_eq!(oxprof_report::svg::node_size(&n), (54.0, 36.0)); // Graphviz's minimum
/// ```
pub fn node_size(node: &DotNode) -> (f64, f64) {
    let (w, h) = text_size(&node.label, f64::from(node.font_size));
    (
        (w + 2.0 * PAD_X).max(MIN_WIDTH),
        (h + 2.0 * PAD_Y).max(MIN_HEIGHT),
    )
}

/// Width and height of the lines of a DOT label at `size` points.
fn text_size(label: &str, size: f64) -> (f64, f64) {
    let lines = label_lines(label);
    let width = lines
        .iter()
        .map(|(l, _)| text_width(l, size))
        .fold(0.0, f64::max);
    (width, lines.len() as f64 * line_height(size))
}

/// Lays `graph` out and draws it.
///
/// ```
/// use oxprof_report::dot::{DotEdge, DotGraph, DotNode, DotNodeKind, Shape};
/// let node = |name: &str| DotNode { name: name.into(), id: name.into(), label: format!("{name}\\n"), font_size: 10, shape: Shape::Box, tooltip: name.into(), kind: DotNodeKind::Function { color: "#b20000".into(), fill_color: "#edd5d5".into() } };
/// let edge = DotEdge { src: 0, dest: 1, label: " 1s".into(), weight: None, pen_width: Some(2), color: None, tooltip: "a -> b".into(), dotted: true, min_len: None, to_tag: false };
/// let g = DotGraph { title: "t".into(), legend: vec![], nodes: vec![node("a"), node("b")], edges: vec![edge] };
/// let svg = oxprof_report::svg::render(&g);
/// assert!(svg.contains("<title>a</title>") && svg.contains("<title>a-&gt;b</title>"));
/// assert!(svg.contains("stroke-dasharray=\"1,5\""));
/// ```
pub fn render(graph: &DotGraph) -> String {
    let sizes: Vec<(f64, f64)> = graph.nodes.iter().map(node_size).collect();
    let edges: Vec<EdgeSpec> = graph
        .edges
        .iter()
        .map(|e| EdgeSpec {
            src: e.src,
            dest: e.dest,
            weight: f64::from(e.weight.unwrap_or(1)),
            min_len: e.min_len.unwrap_or(1),
            label: Some(text_size(&e.label, EDGE_FONT_SIZE)),
        })
        .collect();
    let spacing = Spacing::default();
    let laid = layout(&sizes, &edges, &spacing);
    Drawing::new(graph, laid, &spacing).svg()
}

/// The legend's label as one DOT string of left-aligned lines.
fn legend_label(graph: &DotGraph) -> String {
    let lines: Vec<String> = graph.legend.iter().map(|l| escape(l)).collect();
    format!("{}\\l", lines.join("\\l"))
}

/// A laid-out graph and where its parts go on the page.
struct Drawing<'g> {
    graph: &'g DotGraph,
    layout: Layout,
    /// Where the layout's origin lands.
    offset: Point,
    /// The legend's frame and box, when there is a legend.
    legend: Option<(Rect, Rect)>,
    width: f64,
    height: f64,
}

impl<'g> Drawing<'g> {
    fn new(graph: &'g DotGraph, layout: Layout, spacing: &Spacing) -> Drawing<'g> {
        let legend = (!graph.legend.is_empty()).then(|| {
            let (w, h) = text_size(&legend_label(graph), LEGEND_FONT_SIZE);
            let inner = Rect {
                x: MARGIN + FRAME_PAD,
                y: MARGIN + FRAME_PAD,
                width: w + 2.0 * PAD_X,
                height: h + 2.0 * PAD_Y,
            };
            let frame = Rect {
                x: MARGIN,
                y: MARGIN,
                width: inner.width + 2.0 * FRAME_PAD,
                height: inner.height + 2.0 * FRAME_PAD,
            };
            (frame, inner)
        });
        // The graph starts right of the legend, level with its top.
        let offset = Point {
            x: legend.map_or(MARGIN, |(frame, _)| {
                frame.x + frame.width + spacing.node_gap
            }),
            y: MARGIN,
        };
        let legend_corner = legend.map_or((0.0, 0.0), |(f, _)| (f.x + f.width, f.y + f.height));
        let width = legend_corner.0.max(offset.x + layout.width) + MARGIN;
        let height = legend_corner.1.max(offset.y + layout.height) + MARGIN;
        Drawing {
            graph,
            layout,
            offset,
            legend,
            width,
            height,
        }
    }

    fn shift(&self, p: Point) -> Point {
        Point {
            x: p.x + self.offset.x,
            y: p.y + self.offset.y,
        }
    }

    fn shift_rect(&self, r: Rect) -> Rect {
        let p = self.shift(Point { x: r.x, y: r.y });
        Rect {
            x: p.x,
            y: p.y,
            ..r
        }
    }

    fn svg(&self) -> String {
        let mut s = String::new();
        let (w, h) = (self.width, self.height);
        s += "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n";
        s += "<!-- Generated by oxprof's built-in layout -->\n";
        let _ = writeln!(
            s,
            "<svg width=\"{:.0}pt\" height=\"{:.0}pt\"\n viewBox=\"0.00 0.00 {w:.2} {h:.2}\" xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\">",
            w.ceil(),
            h.ceil()
        );
        s += "<g id=\"graph0\" class=\"graph\">\n";
        let _ = writeln!(s, "<title>{}</title>", xml(&self.graph.title));
        let _ = writeln!(
            s,
            "<polygon fill=\"white\" stroke=\"transparent\" points=\"{}\"/>",
            polygon(Rect {
                x: 0.0,
                y: 0.0,
                width: w,
                height: h
            })
        );
        if let Some((frame, inner)) = self.legend {
            self.write_legend(&mut s, frame, inner);
        }
        for (i, node) in self.graph.nodes.iter().enumerate() {
            self.write_node(&mut s, node, self.shift_rect(self.layout.nodes[i]));
        }
        for i in 0..self.graph.edges.len() {
            self.write_edge(&mut s, i);
        }
        s += "</g>\n</svg>\n";
        s
    }

    fn write_legend(&self, s: &mut String, frame: Rect, inner: Rect) {
        let title = self.graph.legend.first().map_or("", String::as_str);
        s.push_str("<g id=\"clust1\" class=\"cluster\">\n<title>cluster_L</title>\n");
        let _ = writeln!(
            s,
            "<polygon fill=\"none\" stroke=\"black\" points=\"{}\"/>\n</g>",
            polygon(frame)
        );
        let _ = writeln!(
            s,
            "<g id=\"legend\" class=\"node\">\n<title>{}</title>\n<g id=\"a_legend\"><a xlink:title=\"{}\">",
            xml(title),
            xml(&self.graph.title)
        );
        let _ = writeln!(
            s,
            "<polygon fill=\"#f8f8f8\" stroke=\"black\" points=\"{}\"/>",
            polygon(inner)
        );
        write_text(s, &legend_label(self.graph), LEGEND_FONT_SIZE, inner);
        s.push_str("</a>\n</g>\n</g>\n");
    }

    fn write_node(&self, s: &mut String, node: &DotNode, r: Rect) {
        let (stroke, fill) = match &node.kind {
            DotNodeKind::Function { color, fill_color } => (color.as_str(), fill_color.as_str()),
            DotNodeKind::Tag => ("black", "#f8f8f8"),
        };
        let _ = writeln!(
            s,
            "<g id=\"{0}\" class=\"node\">\n<title>{1}</title>\n<g id=\"a_{0}\"><a xlink:title=\"{2}\">",
            xml(&node.id),
            xml(&node.name),
            xml(&unescape(&node.tooltip))
        );
        match node.shape {
            Shape::Box => {
                let _ = writeln!(
                    s,
                    "<polygon fill=\"{fill}\" stroke=\"{stroke}\" points=\"{}\"/>",
                    polygon(r)
                );
            }
            Shape::Box3d => {
                let front = Rect {
                    x: r.x,
                    y: r.y + DEPTH,
                    width: r.width - DEPTH,
                    height: r.height - DEPTH,
                };
                let (right, bottom) = (r.x + r.width, r.y + r.height);
                let _ = writeln!(
                    s,
                    "<polygon fill=\"{fill}\" stroke=\"{stroke}\" points=\"{}\"/>",
                    polygon(front)
                );
                let _ = writeln!(
                    s,
                    "<polyline fill=\"none\" stroke=\"{stroke}\" points=\"{:.2},{:.2} {:.2},{:.2} {right:.2},{:.2} {right:.2},{:.2} {:.2},{bottom:.2}\"/>",
                    r.x, front.y, r.x + DEPTH, r.y, r.y, bottom - DEPTH, right - DEPTH
                );
                let _ = writeln!(
                    s,
                    "<polyline fill=\"none\" stroke=\"{stroke}\" points=\"{:.2},{:.2} {right:.2},{:.2}\"/>",
                    right - DEPTH, front.y, r.y
                );
            }
        }
        write_text(s, &node.label, f64::from(node.font_size), r);
        s.push_str("</a>\n</g>\n</g>\n");
    }

    fn write_edge(&self, s: &mut String, i: usize) {
        let e = &self.graph.edges[i];
        let route = &self.layout.edges[i];
        let n = i + 1;
        let color = e.color.as_deref().unwrap_or("black");
        let width = e.pen_width.unwrap_or(1);
        let tooltip = xml(&unescape(&e.tooltip));
        let (src, dest) = (
            &self.graph.nodes[e.src].name,
            &self.graph.nodes[e.dest].name,
        );
        let _ = writeln!(
            s,
            "<g id=\"edge{n}\" class=\"edge\">\n<title>{}-&gt;{}</title>",
            xml(src),
            xml(dest)
        );
        let mut d = String::new();
        for (k, p) in route.spline.iter().enumerate() {
            let p = self.shift(*p);
            let command = match k {
                0 => "M",
                1 => "C",
                _ => " ",
            };
            let _ = write!(d, "{command}{:.2},{:.2}", p.x, p.y);
        }
        let dash = if e.dotted {
            " stroke-dasharray=\"1,5\""
        } else {
            ""
        };
        let _ = writeln!(
            s,
            "<g id=\"a_edge{n}\"><a xlink:title=\"{tooltip}\">\n<path fill=\"none\" stroke=\"{color}\" stroke-width=\"{width}\"{dash} d=\"{d}\"/>\n</a>\n</g>"
        );
        let base = self.shift(*route.spline.last().expect("a spline has a start"));
        let tip = self.shift(route.arrow_tip);
        let _ = writeln!(
            s,
            "<g id=\"a_edge{n}-head\"><a xlink:title=\"{tooltip}\">\n<polygon fill=\"{color}\" stroke=\"{color}\" stroke-width=\"{width}\" points=\"{}\"/>\n</a>\n</g>",
            arrowhead(base, tip)
        );
        if let Some(at) = route.label {
            let at = self.shift(at);
            let (w, h) = text_size(&e.label, EDGE_FONT_SIZE);
            let area = Rect {
                x: at.x,
                y: at.y - h / 2.0,
                width: w,
                height: h,
            };
            let _ = writeln!(s, "<g id=\"a_edge{n}-label\"><a xlink:title=\"{tooltip}\">");
            write_lines(s, &e.label, EDGE_FONT_SIZE, area, Some(Align::Left));
            s.push_str("</a>\n</g>\n");
        }
        s.push_str("</g>\n");
    }
}

/// Writes the lines of a DOT label inside `r`, vertically centred, each aligned as it says.
fn write_text(s: &mut String, label: &str, size: f64, r: Rect) {
    let inner = Rect {
        x: r.x + PAD_X,
        y: r.y,
        width: r.width - 2.0 * PAD_X,
        height: r.height,
    };
    write_lines(s, label, size, inner, None);
}

/// Writes the lines of `label` centred vertically in `area`; `align` overrides the label's own
/// alignment.
fn write_lines(s: &mut String, label: &str, size: f64, area: Rect, align: Option<Align>) {
    let lines = label_lines(label);
    let lh = line_height(size);
    let top = area.y + (area.height - lines.len() as f64 * lh) / 2.0;
    for (i, (line, own)) in lines.iter().enumerate() {
        let baseline = top + i as f64 * lh + (lh + 0.7 * size) / 2.0;
        let (anchor, x) = match align.unwrap_or(*own) {
            Align::Center => ("middle", area.x + area.width / 2.0),
            Align::Left => ("start", area.x),
            Align::Right => ("end", area.x + area.width),
        };
        let _ = writeln!(
            s,
            "<text text-anchor=\"{anchor}\" x=\"{x:.2}\" y=\"{baseline:.2}\" font-family=\"{FONT}\" font-size=\"{size:.2}\">{}</text>",
            xml(line)
        );
    }
}

/// The corners of `r` as Graphviz lists a box: clockwise from the top right, closed.
fn polygon(r: Rect) -> String {
    let (l, t, rt, b) = (r.x, r.y, r.x + r.width, r.y + r.height);
    format!("{rt:.2},{t:.2} {l:.2},{t:.2} {l:.2},{b:.2} {rt:.2},{b:.2} {rt:.2},{t:.2}")
}

/// An arrowhead from `base` to `tip`.
fn arrowhead(base: Point, tip: Point) -> String {
    let (dx, dy) = (tip.x - base.x, tip.y - base.y);
    let len = (dx * dx + dy * dy).sqrt().max(1e-9);
    let (nx, ny) = (-dy / len * ARROW_HALF_WIDTH, dx / len * ARROW_HALF_WIDTH);
    format!(
        "{:.2},{:.2} {:.2},{:.2} {:.2},{:.2} {:.2},{:.2}",
        base.x + nx,
        base.y + ny,
        tip.x,
        tip.y,
        base.x - nx,
        base.y - ny,
        base.x + nx,
        base.y + ny
    )
}

/// A DOT escape string's text: the escapes resolved, line breaks as spaces.
fn unescape(text: &str) -> String {
    label_lines(text)
        .into_iter()
        .map(|(l, _)| l)
        .collect::<Vec<_>>()
        .join(" ")
}

/// `text` escaped for XML content and attribute values.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' => {}
            c => out.push(c),
        }
    }
    out
}

static SIZE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"<svg\s*width="[^"]+"\s*height="[^"]+"\s*viewBox="[^"]+""#).expect("valid regex")
});
static GRAPH: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"<g id="graph\d""#).expect("valid regex"));

/// The drawing as a page that pans (drag) and zooms (mouse wheel) in a browser: its fixed size
/// replaced by the whole window and the graph wrapped in a transformed `viewport` group driven
/// by a small script, as pprof's `massageSVG` does for Graphviz's drawings.
///
/// ```
/// let svg = "<svg width=\"10pt\" height=\"10pt\"\n viewBox=\"0 0 10 10\" xmlns=\"http://www.w3.org/2000/svg\">\n<g id=\"graph0\" class=\"graph\"></g>\n</svg>\n";
/// let page = oxprof_report::svg::pan_zoom(svg);
/// assert!(page.starts_with("<svg width=\"100%\" height=\"100%\" xmlns="));
/// assert!(page.contains("<g id=\"viewport\""));
/// assert!(page.ends_with("</g>\n</g></svg>\n"));
/// ```
pub fn pan_zoom(svg: &str) -> String {
    // Graphviz sometimes leaves an ampersand unescaped, which no XML parser accepts.
    let mut svg = svg.replace("&;", "&amp;;");
    if let Some(m) = SIZE.find(&svg) {
        svg.replace_range(m.range(), "<svg width=\"100%\" height=\"100%\"");
    }
    if let Some(m) = GRAPH.find(&svg) {
        let script = format!(
            "<script type=\"text/ecmascript\"><![CDATA[\n{}]]></script><g id=\"viewport\" transform=\"scale(0.5,0.5) translate(0,0)\">",
            include_str!("pan_zoom.js")
        );
        svg.insert_str(m.start(), &script);
    }
    if let Some(at) = svg.rfind("</svg>") {
        svg.insert_str(at, "</g>");
    }
    svg
}
