//! Coordinates: rows stacked with gaps between them, and x positions that pull every item
//! towards its neighbours in the adjacent rows while keeping each row's order and spacing.
//!
//! Each sweep places one row given the row before it. Keeping the order with minimum gaps and
//! getting as close as possible (weighted least squares) to the neighbours' positions is an
//! isotonic regression once each item's position is measured from its minimum offset in the
//! row, which pool-adjacent-violators solves exactly in linear time.

use super::order::{Item, Layers};
use super::{Rect, Spacing};

/// Rows and x positions.
pub(super) struct Placed {
    /// Anchor x of every item.
    pub x: Vec<f64>,
    /// Top of each row.
    pub row_top: Vec<f64>,
    /// Height of each row (its tallest item).
    pub row_height: Vec<f64>,
    pub width: f64,
    pub height: f64,
}

impl Placed {
    /// The box of node `n`, centred in its row.
    pub(super) fn node_rect(&self, layers: &Layers, n: usize) -> Rect {
        let slot = &layers.slots[n];
        let top = self.row_top[slot.row] + (self.row_height[slot.row] - slot.height) / 2.0;
        Rect {
            x: self.x[n] - slot.left,
            y: top,
            width: slot.left + slot.right,
            height: slot.height,
        }
    }

    /// The y of the top and bottom of `row`.
    pub(super) fn band(&self, row: usize) -> (f64, f64) {
        let top = self.row_top[row];
        (top, top + self.row_height[row])
    }
}

/// How strongly an edge between two items pulls them into line: long edges, made of virtual
/// items, are kept straightest (Graphviz weighs them alike).
fn pull(layers: &Layers, a: usize, b: usize, weight: f64) -> f64 {
    let virtual_item = |v: usize| matches!(layers.slots[v].item, Item::Virtual { .. });
    let omega = match (virtual_item(a), virtual_item(b)) {
        (false, false) => 1.0,
        (true, true) => 8.0,
        _ => 2.0,
    };
    omega * weight
}

/// Places every row.
pub(super) fn place(layers: &Layers, spacing: &Spacing) -> Placed {
    let mut x = vec![0.0; layers.slots.len()];
    for row in &layers.rows {
        let offsets = offsets(layers, row, spacing);
        for (&v, o) in row.iter().zip(offsets) {
            x[v] = o;
        }
    }
    let rows = layers.rows.len();
    for _ in 0..8 {
        for row in 1..rows {
            place_row(layers, &mut x, row, spacing, true, false);
        }
        for row in (0..rows.saturating_sub(1)).rev() {
            place_row(layers, &mut x, row, spacing, false, true);
        }
    }
    for _ in 0..2 {
        for row in 0..rows {
            place_row(layers, &mut x, row, spacing, true, true);
        }
    }
    let left = layers
        .slots
        .iter()
        .zip(&x)
        .map(|(s, &x)| x - s.left)
        .fold(f64::INFINITY, f64::min);
    let left = if left.is_finite() { left } else { 0.0 };
    for v in &mut x {
        *v -= left;
    }
    let width = layers
        .slots
        .iter()
        .zip(&x)
        .map(|(s, &x)| x + s.right + s.reserve)
        .fold(0.0, f64::max);
    let mut row_top = Vec::with_capacity(rows);
    let mut row_height = Vec::with_capacity(rows);
    let mut y = 0.0;
    for row in &layers.rows {
        let h = row
            .iter()
            .map(|&v| layers.slots[v].height)
            .fold(0.0, f64::max);
        row_top.push(y);
        row_height.push(h);
        y += h + spacing.rank_gap;
    }
    Placed {
        x,
        row_top,
        row_height,
        width,
        height: (y - spacing.rank_gap).max(0.0),
    }
}

/// The least x of each item of `row` when packed from 0, in order, with their gaps.
fn offsets(layers: &Layers, row: &[usize], spacing: &Spacing) -> Vec<f64> {
    let mut offsets = Vec::with_capacity(row.len());
    let mut prev: Option<usize> = None;
    let mut at = 0.0;
    for &v in row {
        let slot = &layers.slots[v];
        if let Some(p) = prev {
            let virtual_item = |v: usize| matches!(layers.slots[v].item, Item::Virtual { .. });
            let gap = match (virtual_item(p), virtual_item(v)) {
                (false, false) => spacing.node_gap,
                (true, true) => spacing.edge_gap,
                _ => (spacing.node_gap + spacing.edge_gap) / 2.0,
            };
            at += layers.slots[p].right + layers.slots[p].reserve + gap + slot.left;
        } else {
            at = slot.left;
        }
        offsets.push(at);
        prev = Some(v);
    }
    offsets
}

/// Moves the items of `row` as close as their order and gaps allow to the weighted mean of
/// their neighbours above (`from_above`) and/or below.
fn place_row(
    layers: &Layers,
    x: &mut [f64],
    row: usize,
    spacing: &Spacing,
    from_above: bool,
    from_below: bool,
) {
    let items = &layers.rows[row];
    let offsets = offsets(layers, items, spacing);
    // Items without neighbours barely resist being pushed, and otherwise stay where they are.
    const STAY: f64 = 1e-3;
    let targets: Vec<(f64, f64)> = items
        .iter()
        .map(|&v| {
            let mut neighbours: Vec<(usize, f64)> = Vec::new();
            if from_above {
                neighbours.extend(&layers.up[v]);
            }
            if from_below {
                neighbours.extend(&layers.down[v]);
            }
            let (mut sum, mut total) = (x[v] * STAY, STAY);
            for (w, weight) in neighbours {
                let p = pull(layers, v, w, weight);
                sum += x[w] * p;
                total += p;
            }
            (sum / total, total)
        })
        .collect();
    let placed = isotonic(&targets, &offsets);
    for (&v, p) in items.iter().zip(placed) {
        x[v] = p;
    }
}

/// The positions closest to `targets` (target, weight) in weighted least squares such that
/// each is at least its offset's distance after the one before it.
fn isotonic(targets: &[(f64, f64)], offsets: &[f64]) -> Vec<f64> {
    // Blocks of items sharing one shifted position: (weight, weighted sum, length).
    let mut blocks: Vec<(f64, f64, usize)> = Vec::with_capacity(targets.len());
    for (&(t, w), &o) in targets.iter().zip(offsets) {
        blocks.push((w, w * (t - o), 1));
        while blocks.len() >= 2 {
            let (w2, s2, n2) = blocks[blocks.len() - 1];
            let (w1, s1, n1) = blocks[blocks.len() - 2];
            if s1 / w1 <= s2 / w2 {
                break;
            }
            blocks.pop();
            *blocks.last_mut().expect("two blocks") = (w1 + w2, s1 + s2, n1 + n2);
        }
    }
    let mut out = Vec::with_capacity(targets.len());
    for (w, s, n) in blocks {
        let shift = s / w;
        for _ in 0..n {
            out.push(shift + offsets[out.len()]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isotonic_keeps_order_and_gaps() {
        // Three items of gap 10 all wanting x = 5: they centre on it.
        let got = isotonic(&[(5.0, 1.0), (5.0, 1.0), (5.0, 1.0)], &[0.0, 10.0, 20.0]);
        assert_eq!(got, [-5.0, 5.0, 15.0]);
        // Targets already far enough apart are met exactly.
        let got = isotonic(&[(0.0, 1.0), (50.0, 1.0)], &[0.0, 10.0]);
        assert_eq!(got, [0.0, 50.0]);
        // A heavy item stays, a light one is pushed.
        let got = isotonic(&[(10.0, 100.0), (0.0, 1.0)], &[0.0, 10.0]);
        assert!((got[0] - 990.0 / 101.0).abs() < 1e-9);
        assert!((got[1] - got[0] - 10.0).abs() < 1e-9);
    }
}
