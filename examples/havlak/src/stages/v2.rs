//! v2, the blog's havlak2: v1 with the DFS numbers in a `Vec` indexed by block name.
//!
//! v1's CPU profile spends its time in hash-map lookups and inserts, called from `dfs` and
//! `find_loops`: the `number` map from block to DFS number. Blocks are named 0..n, so a
//! `Vec` does the map's job with an index instead of a hash and a probe.

use std::collections::{HashSet, VecDeque};

use super::{is_ancestor, BlockClass, MAX_NON_BACK_PREDS, UNVISITED};
use crate::cfg::Cfg;
use crate::lsg::Lsg;

/// A node of the union-find forest that collapses each loop found into its header.
#[derive(Debug, Clone)]
struct UnionFindNode {
    parent: usize,
    bb: Option<usize>,
    loop_: Option<usize>,
    dfs_number: usize,
}

impl UnionFindNode {
    fn init(&mut self, this: usize, bb: usize, dfs_number: usize) {
        self.parent = this;
        self.bb = Some(bb);
        self.dfs_number = dfs_number;
        self.loop_ = None;
    }
}

/// The Find of union-find, with path compression: every node passed on the way points
/// straight at the set's representative afterwards.
fn find_set(nodes: &mut [UnionFindNode], u: usize) -> usize {
    let mut node_list = Vec::new();
    let mut node = u;
    while node != nodes[node].parent {
        let parent = nodes[node].parent;
        if parent != nodes[parent].parent {
            node_list.push(node);
        }
        node = parent;
    }
    for n in node_list {
        nodes[n].parent = nodes[node].parent;
    }
    node
}

/// Numbers the blocks reachable from `current_node` in depth-first preorder from `current`,
/// recording in `last` the highest number given during each block's visit.
fn dfs(
    cfg: &Cfg,
    current_node: usize,
    nodes: &mut [UnionFindNode],
    number: &mut [usize],
    last: &mut [usize],
    current: usize,
) -> usize {
    nodes[current].init(current, current_node, current);
    number[current_node] = current;
    let mut last_id = current;
    for &target in &cfg.blocks()[current_node].out_edges {
        if number[target] == UNVISITED {
            last_id = dfs(cfg, target, nodes, number, last, last_id + 1);
        }
    }
    last[number[current_node]] = last_id;
    last_id
}

/// Finds the loops of `cfg` into `lsg` and returns how many there are.
///
/// ```
/// let mut cfg = havlak::cfg::Cfg::new();
/// cfg.add_edge(0, 1);
/// cfg.add_edge(1, 0);
/// let mut lsg = havlak::lsg::Lsg::new();
/// assert_eq!(havlak::stages::v2::find_havlak_loops(&cfg, &mut lsg), 1);
/// ```
pub fn find_havlak_loops(cfg: &Cfg, lsg: &mut Lsg<HashSet<usize>>) -> usize {
    find_loops(cfg, lsg);
    lsg.num_loops()
}

fn find_loops(cfg: &Cfg, lsg: &mut Lsg<HashSet<usize>>) {
    let Some(start) = cfg.start() else {
        return;
    };
    let size = cfg.len();
    let mut non_back_preds: Vec<HashSet<usize>> = vec![HashSet::new(); size];
    let mut back_preds: Vec<Vec<usize>> = vec![Vec::new(); size];
    let mut number = vec![0; size];
    let mut header = vec![0; size];
    let mut types = vec![BlockClass::NonHeader; size];
    let mut last = vec![0; size];
    let mut nodes: Vec<UnionFindNode> = (0..size)
        .map(|i| UnionFindNode {
            parent: i,
            bb: None,
            loop_: None,
            dfs_number: 0,
        })
        .collect();

    // Step a: mark every block unvisited, number them depth-first; unreached ones stay dead.
    for bb in cfg.blocks() {
        number[bb.name] = UNVISITED;
    }
    dfs(cfg, start, &mut nodes, &mut number, &mut last, 0);

    // Step b: split each block's predecessors into back edges (from a descendant in the DFS
    // tree) and the others.
    for w in 0..size {
        header[w] = 0;
        types[w] = BlockClass::NonHeader;
        let Some(node_w) = nodes[w].bb else {
            types[w] = BlockClass::Dead;
            continue;
        };
        for &node_v in &cfg.blocks()[node_w].in_edges {
            let v = number[node_v];
            if v == UNVISITED {
                continue; // a dead predecessor
            }
            if is_ancestor(w, v, &last) {
                back_preds[w].push(v);
            } else {
                non_back_preds[w].insert(v);
            }
        }
    }
    // The start node is the root of all other loops.
    header[0] = 0;

    // Step c: for each block w in reverse preorder (inner loops first), chase back from the
    // sources of its back edges to collect the body of the loop w heads: the node pool, P in
    // the paper.
    for w in (0..size).rev() {
        let mut node_pool: Vec<usize> = Vec::new();
        let Some(node_w) = nodes[w].bb else {
            continue; // dead
        };

        // Step d.
        for &v in &back_preds[w] {
            if v != w {
                node_pool.push(find_set(&mut nodes, v));
            } else {
                types[w] = BlockClass::SelfLoop;
            }
        }
        let mut work_list: VecDeque<usize> = node_pool.iter().copied().collect();
        if !node_pool.is_empty() {
            types[w] = BlockClass::Reducible;
        }

        while let Some(x) = work_list.pop_front() {
            // Step e, where Havlak differs from Tarjan: a predecessor y of the body whose
            // representative y' is not a descendant of w enters the loop past its header, so
            // the loop is irreducible.
            let x_number = nodes[x].dfs_number;
            if non_back_preds[x_number].len() > MAX_NON_BACK_PREDS {
                return; // the algorithm has degenerated
            }
            // x is never w, so w's set can grow while x's is walked.
            let preds = std::mem::take(&mut non_back_preds[x_number]);
            for &y in &preds {
                let ydash = find_set(&mut nodes, y);
                let ydash_number = nodes[ydash].dfs_number;
                if !is_ancestor(w, ydash_number, &last) {
                    types[w] = BlockClass::Irreducible;
                    non_back_preds[w].insert(ydash_number);
                } else if ydash_number != w && !node_pool.contains(&ydash) {
                    work_list.push_back(ydash);
                    node_pool.push(ydash);
                }
            }
            non_back_preds[x_number] = preds;
        }

        // Collapse the loop's body into w and record the loop; loops found inside it become
        // its children instead of giving it their blocks.
        if !node_pool.is_empty() || types[w] == BlockClass::SelfLoop {
            let l = lsg.new_loop();
            lsg.set_header(l, node_w);
            lsg.set_reducible(l, types[w] != BlockClass::Irreducible);
            nodes[w].loop_ = Some(l);
            for &node in &node_pool {
                header[nodes[node].dfs_number] = w;
                nodes[node].parent = w;
                match (nodes[node].loop_, nodes[node].bb) {
                    (Some(inner), _) => lsg.set_parent(inner, l),
                    (None, Some(bb)) => lsg.add_node(l, bb),
                    (None, None) => {}
                }
            }
        }
    }
}
