//! Edge routes. An edge leaves its upper box at a port on the bottom side, runs straight down
//! through every row it crosses (at the x its virtual item reserved there) and bends only in
//! the gaps between rows, with vertical tangents, so no curve ever enters a box. It enters its
//! lower box from the top; an arrowhead covers the last stretch.

use std::collections::HashMap;

use super::order::{Item, Layers, LABEL_PAD, LOOP_REACH};
use super::position::Placed;
use super::rank::Ranked;
use super::{EdgeRoute, EdgeSpec, Point, Rect, Spacing};

/// Routes every edge.
pub(super) fn routes(
    layers: &Layers,
    placed: &Placed,
    edges: &[EdgeSpec],
    ranked: &Ranked,
    spacing: &Spacing,
) -> Vec<EdgeRoute> {
    let ports = Ports::new(layers, placed);
    edges
        .iter()
        .enumerate()
        .map(|(i, e)| {
            if e.src == e.dest {
                self_loop(placed.node_rect(layers, e.src), e.label.is_some(), spacing)
            } else {
                route(layers, placed, &ports, e, i, ranked, spacing)
            }
        })
        .collect()
}

fn route(
    layers: &Layers,
    placed: &Placed,
    ports: &Ports,
    e: &EdgeSpec,
    i: usize,
    ranked: &Ranked,
    spacing: &Spacing,
) -> EdgeRoute {
    let (upper, lower) = ranked.ends(e, i);
    let chain = &layers.chains[i];
    let first = chain.first().copied().unwrap_or(lower);
    let last = chain.last().copied().unwrap_or(upper);
    let (top_box, bottom_box) = (
        placed.node_rect(layers, upper),
        placed.node_rect(layers, lower),
    );
    let mut points = Vec::new();
    let out_x = ports.below[&(upper, first)];
    points.push(Point {
        x: out_x,
        y: top_box.y + top_box.height,
    });
    points.push(Point {
        x: out_x,
        y: placed.band(layers.slots[upper].row).1,
    });
    let mut label = None;
    for &v in chain {
        let (top, bottom) = placed.band(layers.slots[v].row);
        let x = placed.x[v];
        points.push(Point { x, y: top });
        points.push(Point { x, y: bottom });
        if matches!(layers.slots[v].item, Item::Virtual { label: true, .. }) {
            label = Some(Point {
                x: x + LABEL_PAD,
                y: (top + bottom) / 2.0,
            });
        }
    }
    let in_x = ports.above[&(lower, last)];
    points.push(Point {
        x: in_x,
        y: placed.band(layers.slots[lower].row).0,
    });
    points.push(Point {
        x: in_x,
        y: bottom_box.y,
    });
    points.dedup_by(|b, a| (a.x - b.x).abs() < 1e-9 && (a.y - b.y).abs() < 1e-9);
    if ranked.reversed[i] {
        points.reverse();
    }
    let (spline, arrow_tip) = spline_with_arrow(points, spacing.arrow_length);
    EdgeRoute {
        spline,
        arrow_tip,
        label,
    }
}

/// Where edges attach to nodes: for each (node, neighbour) pair, the x on the node's bottom
/// (`below`) or top (`above`) side. Edges are spread along the side in the order of their other
/// ends, at most 12 points apart and within the middle of the side.
struct Ports {
    below: HashMap<(usize, usize), f64>,
    above: HashMap<(usize, usize), f64>,
}

impl Ports {
    fn new(layers: &Layers, placed: &Placed) -> Ports {
        let mut ports = Ports {
            below: HashMap::new(),
            above: HashMap::new(),
        };
        for node in 0..layers.slots.len() {
            if !matches!(layers.slots[node].item, Item::Node(_)) {
                continue;
            }
            let width = placed.node_rect(layers, node).width;
            for (neighbours, side) in [
                (&layers.down[node], &mut ports.below),
                (&layers.up[node], &mut ports.above),
            ] {
                let mut xs: Vec<(f64, usize)> =
                    neighbours.iter().map(|&(w, _)| (placed.x[w], w)).collect();
                xs.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                let k = xs.len() as f64;
                let step = if xs.len() > 1 {
                    (width * 0.8 / k).min(12.0)
                } else {
                    0.0
                };
                for (index, &(_, w)) in xs.iter().enumerate() {
                    let offset = (index as f64 - (k - 1.0) / 2.0) * step;
                    side.insert((node, w), placed.x[node] + offset);
                }
            }
        }
        ports
    }
}

/// The spline through `points`, which alternate between straight vertical runs and bends, and
/// the arrowhead's tip at the last point: the spline stops an arrow's length before it.
fn spline_with_arrow(mut points: Vec<Point>, arrow: f64) -> (Vec<Point>, Point) {
    let tip = points.pop().expect("a route has two points at least");
    // The arrow runs vertically into the box; drop points it would cover.
    while points.len() > 1 && (tip.y - points[points.len() - 1].y).abs() <= arrow {
        points.pop();
    }
    let prev = points[points.len() - 1];
    let direction = if tip.y >= prev.y { 1.0 } else { -1.0 };
    points.push(Point {
        x: tip.x,
        y: tip.y - direction * arrow,
    });
    let mut spline = vec![points[0]];
    for pair in points.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let mid = (a.y + b.y) / 2.0;
        spline.push(Point { x: a.x, y: mid });
        spline.push(Point { x: b.x, y: mid });
        spline.push(b);
    }
    (spline, tip)
}

/// A loop out of the right side of `rect` and back.
fn self_loop(rect: Rect, labelled: bool, spacing: &Spacing) -> EdgeRoute {
    let right = rect.x + rect.width;
    let center = rect.center();
    let reach = LOOP_REACH * 0.8;
    let start = Point {
        x: right,
        y: center.y - rect.height / 4.0,
    };
    let tip = Point {
        x: right,
        y: center.y + rect.height / 4.0,
    };
    let base = Point {
        x: right + spacing.arrow_length,
        y: tip.y,
    };
    let spline = vec![
        start,
        Point {
            x: right + reach,
            y: start.y - reach / 2.0,
        },
        Point {
            x: right + reach,
            y: tip.y + reach / 2.0,
        },
        base,
    ];
    EdgeRoute {
        spline,
        arrow_tip: tip,
        label: labelled.then_some(Point {
            x: right + LOOP_REACH,
            y: center.y,
        }),
    }
}
