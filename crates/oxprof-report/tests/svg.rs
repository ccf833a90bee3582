//! The built-in SVG drawing of call graphs: well-formed XML holding every node and edge of the
//! DOT graph, node boxes that never overlap, and edges that start on their source box, end
//! with an arrowhead on their target box and pass through no other box.

#[allow(dead_code)] // only the loader is needed: drawings are checked by their properties
mod goldens;

use goldens::load;
use oxprof_profile::{Function, Granularity, Line, Location, Profile, Sample, ValueType};
use oxprof_report::dot::DotGraph;
use oxprof_report::layout::{Point, Rect};
use oxprof_report::svg::render;
use oxprof_report::Options;

fn options_for(p: &Profile, node_count: Option<usize>) -> Options {
    Options {
        sample_index: p.sample_index("").expect("default sample index"),
        node_count,
        ..Options::default()
    }
}

/// Numbers in an SVG `points` or path attribute.
fn numbers(text: &str) -> Vec<f64> {
    text.split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().expect("a number"))
        .collect()
}

fn bounds(points: &[f64]) -> Rect {
    let xs = points.iter().step_by(2);
    let ys = points.iter().skip(1).step_by(2);
    let (x0, x1) = xs.fold((f64::MAX, f64::MIN), |(a, b), &x| (a.min(x), b.max(x)));
    let (y0, y1) = ys.fold((f64::MAX, f64::MIN), |(a, b), &y| (a.min(y), b.max(y)));
    Rect {
        x: x0,
        y: y0,
        width: x1 - x0,
        height: y1 - y0,
    }
}

/// Whether `p` lies on the border of `r`, within `slack`.
fn on_border(r: &Rect, p: Point, slack: f64) -> bool {
    let inner = Rect {
        x: r.x + slack,
        y: r.y + slack,
        width: r.width - 2.0 * slack,
        height: r.height - 2.0 * slack,
    };
    r.contains(p, slack) && !inner.contains(p, 0.0)
}

/// A point of a cubic Bézier piece at `t`.
fn bezier(p: &[Point], t: f64) -> Point {
    let u = 1.0 - t;
    let (a, b, c, d) = (u * u * u, 3.0 * u * u * t, 3.0 * u * t * t, t * t * t);
    Point {
        x: a * p[0].x + b * p[1].x + c * p[2].x + d * p[3].x,
        y: a * p[0].y + b * p[1].y + c * p[2].y + d * p[3].y,
    }
}

/// Draws `graph` and checks everything the module promises; returns the SVG.
fn check_drawing(graph: &DotGraph) -> String {
    let svg = render(graph);
    let doc = roxmltree::Document::parse(&svg).expect("the drawing is well-formed XML");
    let group = |class: &str| -> Vec<roxmltree::Node> {
        doc.descendants()
            .filter(|n| n.has_tag_name("g") && n.attribute("class") == Some(class))
            .collect()
    };
    let title = |n: &roxmltree::Node| -> String {
        n.children()
            .find(|c| c.has_tag_name("title"))
            .and_then(|t| t.text())
            .unwrap_or_default()
            .to_string()
    };
    // Every node, with its box.
    let mut boxes = std::collections::HashMap::new();
    for n in group("node") {
        let polygon = n
            .descendants()
            .find(|c| c.has_tag_name("polygon"))
            .expect("a node has a polygon");
        let mut r = bounds(&numbers(polygon.attribute("points").unwrap()));
        if n.descendants().any(|c| c.has_tag_name("polyline")) {
            // A box3d's sides stand out above and to the right of its front.
            r.y -= 4.0;
            r.height += 4.0;
            r.width += 4.0;
        }
        assert!(boxes.insert(title(&n), r).is_none(), "one box per node");
    }
    for node in &graph.nodes {
        assert!(
            boxes.contains_key(&node.name),
            "node {} is drawn",
            node.name
        );
    }
    assert_eq!(
        boxes.len(),
        graph.nodes.len() + usize::from(!graph.legend.is_empty())
    );
    let all: Vec<(&String, &Rect)> = boxes.iter().collect();
    for (i, (a, ra)) in all.iter().enumerate() {
        for (b, rb) in &all[i + 1..] {
            assert!(
                !ra.overlaps(rb),
                "boxes of {a} {ra:?} and {b} {rb:?} overlap"
            );
        }
    }
    // Every edge, from its source box to its target box, around every other box.
    let edges = group("edge");
    assert_eq!(edges.len(), graph.edges.len(), "one drawing per edge");
    for (g, e) in edges.iter().zip(&graph.edges) {
        let (src, dest) = (&graph.nodes[e.src].name, &graph.nodes[e.dest].name);
        assert_eq!(title(g), format!("{src}->{dest}"));
        let path = g.descendants().find(|c| c.has_tag_name("path")).unwrap();
        let d = numbers(path.attribute("d").unwrap());
        let spline: Vec<Point> = d.chunks(2).map(|c| Point { x: c[0], y: c[1] }).collect();
        assert_eq!((spline.len() - 1) % 3, 0, "a cubic spline");
        assert!(
            on_border(&boxes[src], spline[0], 0.5),
            "edge {src}->{dest} starts on {src}"
        );
        let head = g.descendants().find(|c| c.has_tag_name("polygon")).unwrap();
        let arrow = numbers(head.attribute("points").unwrap());
        let tip = Point {
            x: arrow[2],
            y: arrow[3],
        };
        assert!(
            on_border(&boxes[dest], tip, 0.5),
            "edge {src}->{dest} ends on {dest}"
        );
        for piece in spline.windows(4).step_by(3) {
            for k in 0..=20 {
                let p = bezier(piece, f64::from(k) / 20.0);
                for (name, r) in &boxes {
                    if name == src || name == dest {
                        continue;
                    }
                    let inside = Rect {
                        x: r.x + 0.5,
                        y: r.y + 0.5,
                        width: r.width - 1.0,
                        height: r.height - 1.0,
                    };
                    assert!(
                        !inside.contains(p, 0.0),
                        "edge {src}->{dest} crosses {name} at {p:?}"
                    );
                }
            }
        }
        if let Some(text) = g.descendants().find(|c| c.has_tag_name("text")) {
            let label = text.text().unwrap_or_default();
            assert!(
                e.label.contains(label.trim()),
                "label {label:?} of {src}->{dest}"
            );
        }
    }
    svg
}

#[test]
fn cpu_graph_is_drawn_whole_without_overlaps() {
    let p = load("go/cpu.pprof", Granularity::Functions);
    let graph = DotGraph::new(&p, &options_for(&p, None)).unwrap();
    assert_eq!(graph.nodes.len(), 54);
    let svg = check_drawing(&graph);
    assert!(svg.contains(">Dropped 86 nodes (cum &lt;= 0.03s)</text>"));
    assert!(
        svg.contains("stroke-dasharray"),
        "residual edges are dotted"
    );
    assert!(svg.contains("> (inline)</text>"), "inline marks");
}

#[test]
fn heap_graph_with_tags_is_drawn() {
    let p = load("go/heap.pprof", Granularity::Functions);
    let graph = DotGraph::new(&p, &options_for(&p, None)).unwrap();
    assert!(
        graph.nodes.iter().any(|n| n.name.starts_with("NN")),
        "heap profiles have numeric tags"
    );
    check_drawing(&graph);
}

#[test]
fn large_profile_is_drawn_with_many_nodes() {
    let p = load("pprof-upstream/large.cpu", Granularity::Functions);
    let options = Options {
        node_fraction: 0.0,
        edge_fraction: 0.0,
        ..options_for(&p, Some(150))
    };
    let started = std::time::Instant::now();
    let graph = DotGraph::new(&p, &options).unwrap();
    render(&graph);
    eprintln!(
        "{} nodes, {} edges drawn in {:?}",
        graph.nodes.len(),
        graph.edges.len(),
        started.elapsed()
    );
    assert!(graph.nodes.len() > 100);
    check_drawing(&graph);
}

/// A profile whose stacks recurse (a → b → a) and call themselves (c → c).
fn recursive_profile() -> Profile {
    let f = |id, name: &str| Function {
        id,
        name: name.into(),
        ..Default::default()
    };
    let loc = |id| Location {
        id,
        line: vec![Line {
            function_id: id,
            ..Default::default()
        }],
        ..Default::default()
    };
    let s = |stack: &[u64], v| Sample {
        location_id: stack.to_vec(),
        value: vec![v],
        label: vec![],
    };
    Profile {
        sample_type: vec![ValueType::new("samples", "count")],
        sample: vec![
            s(&[2, 1, 2, 1, 4], 10),
            s(&[1, 2, 1, 4], 7),
            s(&[3, 3, 1, 4], 5),
            s(&[5, 4], 2),
        ],
        location: (1..=5).map(loc).collect(),
        function: vec![f(1, "a"), f(2, "b"), f(3, "c"), f(4, "main"), f(5, "d")],
        ..Default::default()
    }
}

#[test]
fn cycles_are_drawn_with_every_edge() {
    let p = recursive_profile();
    let graph = DotGraph::new(&p, &Options::default()).unwrap();
    let names: Vec<(&str, &str)> = graph
        .edges
        .iter()
        .map(|e| {
            (
                graph.nodes[e.src].tooltip.as_str(),
                graph.nodes[e.dest].tooltip.as_str(),
            )
        })
        .collect();
    assert!(names
        .iter()
        .any(|(a, b)| a.starts_with("a ") && b.starts_with("b ")));
    assert!(names
        .iter()
        .any(|(a, b)| a.starts_with("b ") && b.starts_with("a ")));
    check_drawing(&graph);
}

#[test]
fn empty_graph_draws_the_legend_only() {
    let p = Profile {
        sample_type: vec![ValueType::new("samples", "count")],
        ..Default::default()
    };
    let graph = DotGraph::new(&p, &Options::default()).unwrap();
    assert!(graph.nodes.is_empty());
    check_drawing(&graph);
}
