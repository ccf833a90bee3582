//! A layered ("Sugiyama") layout for directed graphs, so call graphs can be drawn without
//! Graphviz: boxes of given sizes placed top to bottom along the edges, edges routed as smooth
//! curves with room for their labels.
//!
//! The steps, each in its own module:
//! 1. `rank`: edges that close cycles are turned around, then every node gets a rank (a row)
//!    so that edges point down and are short, heavy edges shortest.
//! 2. `order`: edges spanning several rows get a chain of virtual nodes, one per row (one of
//!    them holds the label), and the nodes of each row are ordered to reduce crossings
//!    (median heuristic and adjacent swaps, the best order seen wins).
//! 3. `position`: rows get heights and x positions are settled by repeated sweeps that pull
//!    each node towards its neighbours in the adjacent row, solved exactly under the minimum
//!    separations (isotonic regression), so boxes never overlap.
//! 4. `route`: each edge leaves its source box, runs straight through the rows it crosses
//!    (where a virtual node reserved its place) and bends only in the gaps between rows, which
//!    hold no boxes; it ends with an arrowhead on the target box.
//!
//! Every edge spans at least two rows, so that its label sits in a row of its own and never
//! covers a box. Self-loops are drawn as small loops beside their node.
//!
//! Limits: ranks come from a local improvement of longest-path layering rather than Graphviz's
//! network simplex, so some long edges stay longer than needed; there are no clusters, ports
//! or flat (same-row) edges.

mod order;
mod position;
mod rank;
mod route;

/// A point in layout coordinates (points, y growing downwards).
///
/// ```
/// let p = oxprof_report::layout::Point { x: 1.0, y: 2.0 };
/// assert_eq!(p.y, 2.0);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Point {
    /// Horizontal position.
    pub x: f64,
    /// Vertical position, downwards.
    pub y: f64,
}

/// An axis-aligned box.
///
/// ```
/// let r = oxprof_report::layout::Rect { x: 0.0, y: 0.0, width: 4.0, height: 2.0 };
/// assert_eq!(r.center(), oxprof_report::layout::Point { x: 2.0, y: 1.0 });
/// assert!(r.overlaps(&oxprof_report::layout::Rect { x: 3.0, y: 1.0, width: 4.0, height: 2.0 }));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Rect {
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub width: f64,
    /// Height.
    pub height: f64,
}

impl Rect {
    /// The centre point (see the type's example).
    pub fn center(&self) -> Point {
        Point {
            x: self.x + self.width / 2.0,
            y: self.y + self.height / 2.0,
        }
    }

    /// Whether the two boxes share any interior point (see the type's example).
    pub fn overlaps(&self, other: &Rect) -> bool {
        self.x < other.x + other.width
            && other.x < self.x + self.width
            && self.y < other.y + other.height
            && other.y < self.y + self.height
    }

    /// Whether `p` lies inside or on the border, within `slack`.
    ///
    /// ```
    /// use oxprof_report::layout::{Point, Rect};
    /// let r = Rect { x: 0.0, y: 0.0, width: 4.0, height: 2.0 };
    /// assert!(r.contains(Point { x: 4.0, y: 2.0 }, 0.0));
    /// assert!(!r.contains(Point { x: 4.5, y: 2.0 }, 0.1));
    /// ```
    pub fn contains(&self, p: Point, slack: f64) -> bool {
        p.x >= self.x - slack
            && p.x <= self.x + self.width + slack
            && p.y >= self.y - slack
            && p.y <= self.y + self.height + slack
    }
}

/// An edge to lay out.
///
/// ```
/// let e = oxprof_report::layout::EdgeSpec { src: 0, dest: 1, weight: 1.0, min_len: 1, label: Some((30.0, 14.0)) };
/// assert_eq!(e.min_len, 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EdgeSpec {
    /// Index of the source node.
    pub src: usize,
    /// Index of the target node.
    pub dest: usize,
    /// How much keeping this edge short and straight matters (at least 1).
    pub weight: f64,
    /// Minimum number of ranks between the ends (at least 1).
    pub min_len: u32,
    /// Width and height of the label, if any.
    pub label: Option<(f64, f64)>,
}

/// Where an edge goes.
///
/// ```
/// use oxprof_report::layout::{layout, EdgeSpec, Spacing};
/// let l = layout(&[(40.0, 30.0); 2], &[EdgeSpec { src: 0, dest: 1, weight: 1.0, min_len: 1, label: None }], &Spacing::default());
/// let route = &l.edges[0];
/// assert_eq!((route.spline.len() - 1) % 3, 0);
/// assert!(route.label.is_none());
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EdgeRoute {
    /// A cubic Bézier spline: the start point, then three points (two control points and an
    /// end point) per piece. It starts on the source box and ends at the base of the arrowhead.
    pub spline: Vec<Point>,
    /// Where the arrowhead's tip touches the target box.
    pub arrow_tip: Point,
    /// The middle of the label's left side, when the edge has a label.
    pub label: Option<Point>,
}

/// A finished layout: a box per node and a route per edge, all in non-negative coordinates.
///
/// ```
/// let l = oxprof_report::layout::layout(&[(40.0, 30.0)], &[], &Default::default());
/// assert_eq!((l.width, l.height), (40.0, 30.0));
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Layout {
    /// The nodes' boxes, in input order.
    pub nodes: Vec<Rect>,
    /// The edges' routes, in input order.
    pub edges: Vec<EdgeRoute>,
    /// Width of the drawing.
    pub width: f64,
    /// Height of the drawing.
    pub height: f64,
}

/// Spacing of a layout.
///
/// ```
/// let s = oxprof_report::layout::Spacing::default();
/// assert!(s.rank_gap > s.arrow_length);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spacing {
    /// Horizontal space between neighbouring boxes in a row.
    pub node_gap: f64,
    /// Horizontal space between edges running side by side.
    pub edge_gap: f64,
    /// Vertical space between rows, where edges bend. More than `arrow_length`.
    pub rank_gap: f64,
    /// Length of an arrowhead.
    pub arrow_length: f64,
}

impl Default for Spacing {
    fn default() -> Self {
        Spacing {
            node_gap: 18.0,
            edge_gap: 8.0,
            rank_gap: 18.0,
            arrow_length: 10.0,
        }
    }
}

/// Lays out boxes of the given sizes (width, height) and the edges between them.
///
/// ```
/// use oxprof_report::layout::{layout, EdgeSpec, Spacing};
/// let boxes = [(60.0, 30.0), (40.0, 30.0), (40.0, 30.0)];
/// let edge = |src, dest| EdgeSpec { src, dest, weight: 1.0, min_len: 1, label: Some((20.0, 14.0)) };
/// let l = layout(&boxes, &[edge(0, 1), edge(0, 2)], &Spacing::default());
/// assert!(l.nodes[0].y + l.nodes[0].height < l.nodes[1].y); // callees below
/// assert!(!l.nodes[1].overlaps(&l.nodes[2]));
/// assert!(l.nodes[1].contains(l.edges[0].arrow_tip, 0.01));
/// ```
pub fn layout(sizes: &[(f64, f64)], edges: &[EdgeSpec], spacing: &Spacing) -> Layout {
    let ranked = rank::rank(sizes.len(), edges);
    let mut layers = order::Layers::new(sizes, edges, &ranked);
    layers.reduce_crossings();
    let placed = position::place(&layers, spacing);
    let routes = route::routes(&layers, &placed, edges, &ranked, spacing);
    let nodes: Vec<Rect> = (0..sizes.len())
        .map(|n| placed.node_rect(&layers, n))
        .collect();
    Layout {
        nodes,
        edges: routes,
        width: placed.width,
        height: placed.height,
    }
}
