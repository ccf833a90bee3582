//! Rows of items (real nodes, and virtual nodes that carry long edges through the rows they
//! cross) and their order within each row, chosen to reduce edge crossings.

use std::collections::VecDeque;

use super::rank::Ranked;
use super::EdgeSpec;

/// Space between an edge and the start of its label.
pub(super) const LABEL_PAD: f64 = 4.0;

/// How far a self-loop reaches out of the right side of its node.
pub(super) const LOOP_REACH: f64 = 36.0;

/// What an item stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Item {
    /// A node of the graph.
    Node(usize),
    /// A point where an edge crosses a row; `label` when the edge's label sits beside it.
    Virtual { edge: usize, label: bool },
}

/// One item with its row, position and size around its anchor (the x where edges attach).
#[derive(Debug, Clone)]
pub(super) struct Slot {
    pub item: Item,
    pub row: usize,
    /// Index within the row.
    pub pos: usize,
    /// Extent left of the anchor.
    pub left: f64,
    /// Extent right of the anchor.
    pub right: f64,
    /// Room kept free right of the item (for a self-loop and its label).
    pub reserve: f64,
    pub height: f64,
}

/// The layered graph.
pub(super) struct Layers {
    /// Every item; real nodes first, at their node index.
    pub slots: Vec<Slot>,
    /// Item indices per row, in order.
    pub rows: Vec<Vec<usize>>,
    /// Per item: neighbours in the row above, with edge weights.
    pub up: Vec<Vec<(usize, f64)>>,
    /// Per item: neighbours in the row below, with edge weights.
    pub down: Vec<Vec<(usize, f64)>>,
    /// Per edge: its virtual items, top to bottom (empty for self-loops and one-row edges).
    pub chains: Vec<Vec<usize>>,
}

impl Layers {
    /// Rows from the ranks, with a virtual item wherever an edge crosses a row.
    pub(super) fn new(sizes: &[(f64, f64)], edges: &[EdgeSpec], ranked: &Ranked) -> Layers {
        let rows = ranked
            .rank
            .iter()
            .map(|&r| r as usize + 1)
            .max()
            .unwrap_or(0);
        let mut layers = Layers {
            slots: Vec::new(),
            rows: vec![Vec::new(); rows],
            up: Vec::new(),
            down: Vec::new(),
            chains: vec![Vec::new(); edges.len()],
        };
        for (n, &(w, h)) in sizes.iter().enumerate() {
            layers.push(Item::Node(n), ranked.rank[n] as usize, w / 2.0, w / 2.0, h);
        }
        for (i, e) in edges.iter().enumerate() {
            if e.src == e.dest {
                let label = e.label.map_or(0.0, |(w, _)| LABEL_PAD + w);
                let slot = &mut layers.slots[e.src];
                slot.reserve = slot.reserve.max(LOOP_REACH + label);
                continue;
            }
            let (upper, lower) = ranked.ends(e, i);
            let (top, bottom) = (ranked.rank[upper] as usize, ranked.rank[lower] as usize);
            let middle = top + (bottom - top) / 2;
            let weight = e.weight.max(1.0);
            let mut prev = upper;
            for row in top + 1..bottom {
                let label = e.label.filter(|_| row == middle);
                let (right, height) = label.map_or((0.0, 0.0), |(w, h)| (LABEL_PAD + w, h));
                let item = layers.push(
                    Item::Virtual {
                        edge: i,
                        label: label.is_some(),
                    },
                    row,
                    0.0,
                    right,
                    height,
                );
                layers.chains[i].push(item);
                layers.link(prev, item, weight);
                prev = item;
            }
            layers.link(prev, lower, weight);
        }
        layers.initial_order();
        layers
    }

    fn push(&mut self, item: Item, row: usize, left: f64, right: f64, height: f64) -> usize {
        let index = self.slots.len();
        self.slots.push(Slot {
            item,
            row,
            pos: 0,
            left,
            right,
            reserve: 0.0,
            height,
        });
        self.up.push(Vec::new());
        self.down.push(Vec::new());
        index
    }

    fn link(&mut self, upper: usize, lower: usize, weight: f64) {
        self.down[upper].push((lower, weight));
        self.up[lower].push((upper, weight));
    }

    /// Rows filled in breadth-first order from the nodes in input order, so that connected
    /// items start out close together.
    fn initial_order(&mut self) {
        let mut seen = vec![false; self.slots.len()];
        for start in 0..self.slots.len() {
            if seen[start] {
                continue;
            }
            seen[start] = true;
            let mut queue = VecDeque::from([start]);
            while let Some(v) = queue.pop_front() {
                let row = self.slots[v].row;
                self.slots[v].pos = self.rows[row].len();
                self.rows[row].push(v);
                for &(w, _) in self.down[v].iter().chain(&self.up[v]) {
                    if !seen[w] {
                        seen[w] = true;
                        queue.push_back(w);
                    }
                }
            }
        }
    }

    fn set_row(&mut self, row: usize, items: Vec<usize>) {
        for (pos, &v) in items.iter().enumerate() {
            self.slots[v].pos = pos;
        }
        self.rows[row] = items;
    }

    /// Reorders rows to reduce crossings: alternating down and up sweeps that sort each row by
    /// the median position of its neighbours in the row just swept, each followed by swaps of
    /// adjacent items that remove crossings. The best order seen is kept.
    pub(super) fn reduce_crossings(&mut self) {
        const SWEEPS: usize = 24;
        let mut best = self.rows.clone();
        let mut best_crossings = self.crossings();
        let mut since_best = 0;
        for sweep in 0..SWEEPS {
            if best_crossings == 0 || since_best >= 6 {
                break;
            }
            let downwards = sweep % 2 == 0;
            let rows: Vec<usize> = if downwards {
                (1..self.rows.len()).collect()
            } else {
                (0..self.rows.len().saturating_sub(1)).rev().collect()
            };
            for row in rows {
                self.sort_by_median(row, downwards);
            }
            self.transpose();
            let crossings = self.crossings();
            if crossings < best_crossings {
                best_crossings = crossings;
                best = self.rows.clone();
                since_best = 0;
            } else {
                since_best += 1;
            }
        }
        for (row, items) in best.into_iter().enumerate() {
            self.set_row(row, items);
        }
    }

    /// Sorts a row by the median position of each item's neighbours above (`downwards`) or
    /// below; items without such neighbours keep their place.
    fn sort_by_median(&mut self, row: usize, downwards: bool) {
        let items = self.rows[row].clone();
        let mut keyed: Vec<(f64, usize)> = items
            .iter()
            .map(|&v| {
                let neighbours = if downwards {
                    &self.up[v]
                } else {
                    &self.down[v]
                };
                let mut p: Vec<f64> = neighbours
                    .iter()
                    .map(|&(w, _)| self.slots[w].pos as f64)
                    .collect();
                p.sort_by(f64::total_cmp);
                let key = match p.len() {
                    0 => self.slots[v].pos as f64,
                    n if n % 2 == 1 => p[n / 2],
                    n => (p[n / 2 - 1] + p[n / 2]) / 2.0,
                };
                (key, v)
            })
            .collect();
        keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
        self.set_row(row, keyed.into_iter().map(|(_, v)| v).collect());
    }

    /// Swaps adjacent items wherever that removes crossings with both neighbouring rows,
    /// until no swap helps.
    fn transpose(&mut self) {
        for _ in 0..8 {
            let mut improved = false;
            for row in 0..self.rows.len() {
                for i in 0..self.rows[row].len().saturating_sub(1) {
                    let (v, w) = (self.rows[row][i], self.rows[row][i + 1]);
                    if self.pair_crossings(w, v) < self.pair_crossings(v, w) {
                        self.rows[row].swap(i, i + 1);
                        self.slots[v].pos = i + 1;
                        self.slots[w].pos = i;
                        improved = true;
                    }
                }
            }
            if !improved {
                break;
            }
        }
    }

    /// Crossings between the edges of `v` and those of `w` if `v` stands left of `w`.
    fn pair_crossings(&self, v: usize, w: usize) -> usize {
        let count = |a: &[(usize, f64)], b: &[(usize, f64)]| {
            a.iter()
                .map(|&(x, _)| {
                    let px = self.slots[x].pos;
                    b.iter().filter(|&&(y, _)| self.slots[y].pos < px).count()
                })
                .sum::<usize>()
        };
        count(&self.up[v], &self.up[w]) + count(&self.down[v], &self.down[w])
    }

    /// Total edge crossings between all pairs of adjacent rows.
    pub(super) fn crossings(&self) -> usize {
        (0..self.rows.len().saturating_sub(1))
            .map(|row| self.row_crossings(row))
            .sum()
    }

    /// Crossings between `row` and the next: inversions among the lower ends of the edges
    /// taken in order of their upper ends, counted with a Fenwick tree.
    fn row_crossings(&self, row: usize) -> usize {
        let mut ends: Vec<(usize, usize)> = self.rows[row]
            .iter()
            .flat_map(|&v| {
                self.down[v]
                    .iter()
                    .map(move |&(w, _)| (self.slots[v].pos, self.slots[w].pos))
            })
            .collect();
        ends.sort_unstable();
        let size = self.rows.get(row + 1).map_or(0, Vec::len);
        let mut tree = vec![0usize; size + 1];
        let mut crossings = 0;
        for (seen, &(_, lower)) in ends.iter().enumerate() {
            // Edges seen so far whose lower end is at or left of this one do not cross it.
            let mut i = lower + 1;
            let mut not_crossing = 0;
            while i > 0 {
                not_crossing += tree[i];
                i &= i - 1;
            }
            crossings += seen - not_crossing;
            let mut i = lower + 1;
            while i <= size {
                tree[i] += 1;
                i += i & i.wrapping_neg();
            }
        }
        crossings
    }
}

#[cfg(test)]
mod tests {
    use super::super::rank::rank;
    use super::*;

    fn edge(src: usize, dest: usize) -> EdgeSpec {
        EdgeSpec {
            src,
            dest,
            weight: 1.0,
            min_len: 1,
            label: None,
        }
    }

    #[test]
    fn long_edges_get_a_virtual_item_per_row_crossed() {
        let edges = [edge(0, 1), edge(1, 2), edge(0, 2)];
        let sizes = [(10.0, 10.0); 3];
        let layers = Layers::new(&sizes, &edges, &rank(3, &edges));
        assert_eq!(layers.chains[0].len(), 1);
        assert_eq!(layers.chains[2].len(), 3);
        for row in &layers.rows {
            for (pos, &v) in row.iter().enumerate() {
                assert_eq!(layers.slots[v].pos, pos);
            }
        }
    }

    #[test]
    fn crossings_are_counted_and_removed() {
        // Two parents, each calling the child placed under the other.
        let edges = [edge(0, 3), edge(1, 2), edge(0, 4), edge(1, 5)];
        let sizes = [(10.0, 10.0); 6];
        let mut layers = Layers::new(&sizes, &edges, &rank(6, &edges));
        let top = layers.rows[0].clone();
        let mut middle = layers.rows[1].clone();
        // Put the virtual items of 0's edges right of those of 1's edges.
        middle.sort_by_key(|&v| match layers.slots[v].item {
            Item::Virtual { edge, .. } => usize::from(edge % 2 == 0),
            Item::Node(_) => 2,
        });
        let first_parent_left = layers.slots[top[0]].item == Item::Node(0);
        if !first_parent_left {
            middle.reverse();
        }
        layers.set_row(1, middle);
        assert!(layers.crossings() > 0);
        layers.reduce_crossings();
        assert_eq!(layers.crossings(), 0);
    }
}
