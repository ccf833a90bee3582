//! v6, the blog's havlak6: the tuned finder.
//!
//! v5's cache was a patch on the first design; the blog's last step rewrites the finder
//! around what the profiles taught. A `LoopFinder` owns its bookkeeping (no global, no lock)
//! and reuses all of it: one `LoopBlock` per block, holding its DFS interval, class, union-find
//! link and predecessor lists, in one contiguous `Vec` indexed by block name; the node pool
//! doubles as the work list; Find compresses paths without allocating; the depth-first search
//! keeps its own stack instead of recursing 23,000 calls deep; and the caller may hand in the
//! previous search's loop graph to be refilled (`-reuseloopgraph`). Indices are `u32`, halving
//! the bookkeeping's memory.

use super::{BlockClass, MAX_NON_BACK_PREDS};
use crate::cfg::Cfg;
use crate::lsg::Lsg;

/// No loop, no DFS number: the `u32` sentinel.
const NONE: u32 = u32::MAX;

/// What the finder knows about one block.
#[derive(Debug, Clone, Default)]
struct LoopBlock {
    /// Preorder number, from 1; `NONE` until visited.
    first: u32,
    /// The highest preorder number given during this block's visit.
    last: u32,
    class: BlockClass,
    /// The loop this block heads, `NONE` if none.
    loop_id: u32,
    /// Union-find link (a block name); itself when it represents its set.
    union: u32,
    back_preds: Vec<u32>,
    non_back_preds: Vec<u32>,
}

/// The tuned stage's finder: keep one and call [`LoopFinder::find_loops`] for every search.
///
/// ```
/// let mut cfg = havlak::cfg::Cfg::new();
/// cfg.add_edge(0, 1);
/// cfg.add_edge(1, 1);
/// let mut finder = havlak::stages::v6::LoopFinder::default();
/// let mut lsg = havlak::lsg::Lsg::new();
/// assert_eq!(finder.find_loops(&cfg, &mut lsg), 1);
/// ```
#[derive(Debug, Default)]
pub struct LoopFinder {
    blocks: Vec<LoopBlock>,
    /// Block names in preorder.
    depth_first: Vec<u32>,
    /// The loop body being collected, also the work list: P in the paper.
    pool: Vec<u32>,
    /// The depth-first search's path: each block with the index of its next out-edge.
    stack: Vec<(u32, u32)>,
}

impl LoopFinder {
    /// Finds the loops of `cfg` into `lsg` and returns how many there are (see [`super::v1`]
    /// for the algorithm).
    ///
    /// ```
    /// let mut cfg = havlak::cfg::simple();
    /// havlak::cfg::add_loop_trees(&mut cfg, 1);
    /// let mut finder = havlak::stages::v6::LoopFinder::default();
    /// assert_eq!(finder.find_loops(&cfg, &mut havlak::lsg::Lsg::new()), 7600);
    /// ```
    pub fn find_loops(&mut self, cfg: &Cfg, lsg: &mut Lsg<Vec<usize>>) -> usize {
        let Some(start) = cfg.start() else {
            return 0;
        };
        let size = cfg.len();
        // Step a: reset every block, keeping its lists' memory, and number them depth-first.
        self.blocks.resize_with(size, LoopBlock::default);
        for (name, b) in self.blocks[..size].iter_mut().enumerate() {
            b.first = NONE;
            b.last = NONE;
            b.class = BlockClass::NonHeader;
            b.loop_id = NONE;
            b.union = name as u32;
            b.back_preds.clear();
            b.non_back_preds.clear();
        }
        self.depth_first.clear();
        self.search(cfg, start as u32);
        for b in &mut self.blocks[..size] {
            if b.first == NONE {
                b.class = BlockClass::Dead;
            }
        }

        // Step b: split predecessors into back edges and the others.
        for i in 0..self.depth_first.len() {
            let w = self.depth_first[i] as usize;
            for &v in &cfg.blocks()[w].in_edges {
                if self.blocks[v].first == NONE {
                    continue; // a dead predecessor
                }
                let v = v as u32;
                if self.is_ancestor(w as u32, v) {
                    self.blocks[w].back_preds.push(v);
                } else if !self.blocks[w].non_back_preds.contains(&v) {
                    self.blocks[w].non_back_preds.push(v);
                }
            }
        }

        // Step c: candidate headers in reverse preorder, inner loops first.
        for i in (0..self.depth_first.len()).rev() {
            let w = self.depth_first[i];
            self.pool.clear();
            // Step d.
            for j in 0..self.blocks[w as usize].back_preds.len() {
                let v = self.blocks[w as usize].back_preds[j];
                if v == w {
                    self.blocks[w as usize].class = BlockClass::SelfLoop;
                } else {
                    let rep = self.find(v);
                    self.pool.push(rep);
                }
            }
            if !self.pool.is_empty() {
                self.blocks[w as usize].class = BlockClass::Reducible;
            }
            // Step e, over the pool as it grows.
            let mut next = 0;
            while next < self.pool.len() {
                let x = self.pool[next] as usize;
                next += 1;
                if self.blocks[x].non_back_preds.len() > MAX_NON_BACK_PREDS {
                    return lsg.num_loops(); // the algorithm has degenerated
                }
                for j in 0..self.blocks[x].non_back_preds.len() {
                    let y = self.blocks[x].non_back_preds[j];
                    let ydash = self.find(y);
                    if !self.is_ancestor(w, ydash) {
                        let header = &mut self.blocks[w as usize];
                        header.class = BlockClass::Irreducible;
                        if !header.non_back_preds.contains(&ydash) {
                            header.non_back_preds.push(ydash);
                        }
                    } else if ydash != w && !self.pool.contains(&ydash) {
                        self.pool.push(ydash);
                    }
                }
            }

            // Collapse the body into w and record the loop.
            let class = self.blocks[w as usize].class;
            if !self.pool.is_empty() || class == BlockClass::SelfLoop {
                let l = lsg.new_loop();
                lsg.set_header(l, w as usize);
                lsg.set_reducible(l, class != BlockClass::Irreducible);
                self.blocks[w as usize].loop_id = l as u32;
                for &node in &self.pool {
                    let b = &mut self.blocks[node as usize];
                    b.union = w;
                    if b.loop_id == NONE {
                        lsg.add_node(l, node as usize);
                    } else {
                        lsg.set_parent(b.loop_id as usize, l);
                    }
                }
            }
        }
        lsg.num_loops()
    }

    /// Numbers `start` and the blocks it reaches in depth-first preorder, with a stack of its
    /// own instead of recursion: no thread runs out of stack, and profiles keep whole stacks.
    fn search(&mut self, cfg: &Cfg, start: u32) {
        self.stack.clear();
        self.visit(start);
        while let Some(&(b, next)) = self.stack.last() {
            match cfg.blocks()[b as usize].out_edges.get(next as usize) {
                Some(&out) => {
                    if let Some(top) = self.stack.last_mut() {
                        top.1 += 1;
                    }
                    if self.blocks[out].first == NONE {
                        self.visit(out as u32);
                    }
                }
                None => {
                    self.blocks[b as usize].last = self.depth_first.len() as u32;
                    self.stack.pop();
                }
            }
        }
    }

    /// Gives `b` the next preorder number and makes it the block being searched from.
    fn visit(&mut self, b: u32) {
        self.depth_first.push(b);
        self.blocks[b as usize].first = self.depth_first.len() as u32;
        self.stack.push((b, 0));
    }

    /// Whether block `w` is an ancestor of block `v` in the depth-first spanning tree.
    fn is_ancestor(&self, w: u32, v: u32) -> bool {
        let (w, v) = (&self.blocks[w as usize], &self.blocks[v as usize]);
        w.first <= v.first && v.first <= w.last
    }

    /// The representative of `b`'s set; every block on the way is pointed straight at it.
    fn find(&mut self, b: u32) -> u32 {
        let mut root = b;
        while self.blocks[root as usize].union != root {
            root = self.blocks[root as usize].union;
        }
        let mut node = b;
        while node != root {
            let next = self.blocks[node as usize].union;
            self.blocks[node as usize].union = root;
            node = next;
        }
        root
    }
}
