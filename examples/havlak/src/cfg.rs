//! The control-flow graph the loop finder reads, and the benchmark's builders of it.
//!
//! Blocks are named by their index, as in the benchmark, where every block is created in
//! order; edges are kept twice, as a block's successors and as its predecessors. Every stage
//! of the loop finder reads the same graph: the journey changes how loops are found, never
//! what they are found in.

/// One basic block: its name (its index in the graph) and its edges, by the other block's name.
///
/// ```
/// let mut cfg = havlak::cfg::Cfg::new();
/// cfg.add_edge(0, 1);
/// assert_eq!(cfg.blocks()[1].in_edges, [0]);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BasicBlock {
    /// The block's name, which is also its index in [`Cfg::blocks`].
    pub name: usize,
    /// The blocks with an edge to this one.
    pub in_edges: Vec<usize>,
    /// The blocks this one has an edge to.
    pub out_edges: Vec<usize>,
}

/// A control-flow graph: blocks created in name order, the first one the start node.
///
/// ```
/// let mut cfg = havlak::cfg::Cfg::new();
/// assert_eq!(cfg.start(), None);
/// cfg.add_edge(0, 2);
/// assert_eq!((cfg.len(), cfg.start()), (3, Some(0)));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cfg {
    blocks: Vec<BasicBlock>,
}

impl Cfg {
    /// An empty graph.
    ///
    /// ```
    /// assert!(havlak::cfg::Cfg::new().is_empty());
    /// ```
    pub fn new() -> Cfg {
        Cfg::default()
    }

    /// The block named `name`, created (with every lower-named block still missing) if needed.
    ///
    /// ```
    /// let mut cfg = havlak::cfg::Cfg::new();
    /// assert_eq!(cfg.create_node(1), 1);
    /// assert_eq!(cfg.len(), 2);
    /// ```
    pub fn create_node(&mut self, name: usize) -> usize {
        while self.blocks.len() <= name {
            let next = self.blocks.len();
            self.blocks.push(BasicBlock {
                name: next,
                ..BasicBlock::default()
            });
        }
        name
    }

    /// Adds the edge `from → to`, creating both blocks if needed (the benchmark's
    /// `BasicBlockEdge`).
    ///
    /// ```
    /// let mut cfg = havlak::cfg::Cfg::new();
    /// cfg.add_edge(1, 0);
    /// assert_eq!(cfg.blocks()[1].out_edges, [0]);
    /// ```
    pub fn add_edge(&mut self, from: usize, to: usize) {
        self.create_node(from);
        self.create_node(to);
        self.blocks[from].out_edges.push(to);
        self.blocks[to].in_edges.push(from);
    }

    /// The start node: the first block, if there is one.
    ///
    /// ```
    /// let mut cfg = havlak::cfg::Cfg::new();
    /// cfg.create_node(0);
    /// assert_eq!(cfg.start(), Some(0));
    /// ```
    pub fn start(&self) -> Option<usize> {
        (!self.blocks.is_empty()).then_some(0)
    }

    /// The blocks, indexed by name.
    ///
    /// ```
    /// assert!(havlak::cfg::Cfg::new().blocks().is_empty());
    /// ```
    pub fn blocks(&self) -> &[BasicBlock] {
        &self.blocks
    }

    /// The number of blocks.
    ///
    /// ```
    /// assert_eq!(havlak::cfg::Cfg::new().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.blocks.len()
    }

    /// Whether the graph has no block.
    ///
    /// ```
    /// assert!(havlak::cfg::Cfg::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }
}

/// Loops of the benchmark's graph per loop tree: 100 outer loops, each holding 25 base loops
/// of 3 loops.
///
/// ```
/// let mut cfg = havlak::cfg::simple();
/// havlak::cfg::add_loop_trees(&mut cfg, 2);
/// let loops = havlak::Finder::new(havlak::Stage::V6, true).count_loops(&cfg);
/// assert_eq!(loops, 2 * havlak::cfg::LOOPS_PER_TREE);
/// ```
pub const LOOPS_PER_TREE: usize = OUTER_LOOPS * (BASE_LOOPS * 3 + 1);

/// Outer loops per loop tree.
const OUTER_LOOPS: usize = 100;
/// Base loops in each outer loop.
const BASE_LOOPS: usize = 25;

/// The benchmark's first graph: a top block (0), a bottom block (1) and the edge `0 → 2`,
/// on which it finds loops many times before building the large graph ("dummy loops").
///
/// ```
/// let cfg = havlak::cfg::simple();
/// assert_eq!(cfg.len(), 3);
/// ```
pub fn simple() -> Cfg {
    let mut cfg = Cfg::new();
    cfg.create_node(0);
    cfg.create_node(1);
    cfg.add_edge(0, 2);
    cfg
}

/// Grows [`simple`]'s graph into the benchmark's large one: `trees` loop trees hung from block
/// 2, each a chain of 100 outer loops of 25 base loops, ending at the bottom block. The
/// benchmark uses 10 trees (about 260,000 blocks, 76,000 loops).
///
/// ```
/// let mut cfg = havlak::cfg::simple();
/// havlak::cfg::add_loop_trees(&mut cfg, 1);
/// assert_eq!(cfg.len(), 25_204);
/// ```
pub fn add_loop_trees(cfg: &mut Cfg, trees: usize) {
    let mut n = 2;
    for _ in 0..trees {
        cfg.create_node(n + 1);
        connect(cfg, 2, n + 1);
        n += 1;
        for _ in 0..OUTER_LOOPS {
            let top = n;
            n = straight(cfg, n, 1);
            for _ in 0..BASE_LOOPS {
                n = base_loop(cfg, n);
            }
            let bottom = straight(cfg, n, 1);
            connect(cfg, n, top);
            n = bottom;
        }
        connect(cfg, n, 1);
    }
}

/// Two paths from `start` joining again: `start → start+1, start+2 → start+3`.
fn diamond(cfg: &mut Cfg, start: usize) -> usize {
    cfg.add_edge(start, start + 1);
    cfg.add_edge(start, start + 2);
    cfg.add_edge(start + 1, start + 3);
    cfg.add_edge(start + 2, start + 3);
    start + 3
}

fn connect(cfg: &mut Cfg, start: usize, end: usize) {
    cfg.add_edge(start, end);
}

/// A chain of `n` edges from `start`.
fn straight(cfg: &mut Cfg, start: usize, n: usize) -> usize {
    for i in 0..n {
        connect(cfg, start + i, start + i + 1);
    }
    start + n
}

/// A loop around two diamonds that are loops themselves: three loops.
fn base_loop(cfg: &mut Cfg, from: usize) -> usize {
    let header = straight(cfg, from, 1);
    let diamond1 = diamond(cfg, header);
    let d11 = straight(cfg, diamond1, 1);
    let diamond2 = diamond(cfg, d11);
    let footer = straight(cfg, diamond2, 1);
    connect(cfg, diamond2, d11);
    connect(cfg, diamond1, header);
    connect(cfg, footer, from);
    straight(cfg, footer, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_edge_is_recorded_at_both_ends() {
        let mut cfg = simple();
        add_loop_trees(&mut cfg, 1);
        let outs: usize = cfg.blocks().iter().map(|b| b.out_edges.len()).sum();
        let ins: usize = cfg.blocks().iter().map(|b| b.in_edges.len()).sum();
        assert_eq!(outs, ins);
        for b in cfg.blocks() {
            for &to in &b.out_edges {
                assert!(cfg.blocks()[to].in_edges.contains(&b.name));
            }
        }
    }

    #[test]
    fn the_bottom_block_closes_every_tree() {
        let mut cfg = simple();
        add_loop_trees(&mut cfg, 3);
        assert_eq!(cfg.blocks()[1].in_edges.len(), 3);
        assert_eq!(cfg.blocks()[2].out_edges.len(), 3);
    }
}
