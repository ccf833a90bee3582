//! Rows for the nodes: cycles broken by turning edges around, then ranks from the longest path,
//! improved by moving nodes towards the side that pulls harder.

use super::EdgeSpec;

/// Every edge spans at least this many ranks per unit of its minimum length, so that its
/// label has a row of its own.
pub(super) const RANKS_PER_LENGTH: i64 = 2;

/// Ranks and turned-around edges.
pub(super) struct Ranked {
    /// Rank of each node, from 0.
    pub rank: Vec<i64>,
    /// Whether each edge points up in the layout (it closed a cycle).
    pub reversed: Vec<bool>,
}

impl Ranked {
    /// The edge's ends as laid out, upper first.
    pub(super) fn ends(&self, e: &EdgeSpec, i: usize) -> (usize, usize) {
        if self.reversed[i] {
            (e.dest, e.src)
        } else {
            (e.src, e.dest)
        }
    }
}

/// Ranks `n` nodes joined by `edges` (self-loops are ignored).
pub(super) fn rank(n: usize, edges: &[EdgeSpec]) -> Ranked {
    let reversed = break_cycles(n, edges);
    // (upper, lower, length, weight) of every edge that is no self-loop.
    let links: Vec<(usize, usize, i64, f64)> = edges
        .iter()
        .enumerate()
        .filter(|(_, e)| e.src != e.dest)
        .map(|(i, e)| {
            let (u, v) = if reversed[i] {
                (e.dest, e.src)
            } else {
                (e.src, e.dest)
            };
            let len = RANKS_PER_LENGTH * i64::from(e.min_len.max(1));
            (u, v, len, e.weight.max(1.0))
        })
        .collect();
    let mut rank = longest_path(n, &links);
    balance(&mut rank, n, &links);
    let min = rank.iter().copied().min().unwrap_or(0);
    for r in &mut rank {
        *r -= min;
    }
    Ranked { rank, reversed }
}

/// Marks the edges that close a cycle in a depth-first search from the nodes in input order
/// (callers come first in pprof's node order, so calls mostly keep pointing down).
fn break_cycles(n: usize, edges: &[EdgeSpec]) -> Vec<bool> {
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, e) in edges.iter().enumerate() {
        if e.src != e.dest {
            out[e.src].push(i);
        }
    }
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        New,
        OnStack,
        Done,
    }
    let mut state = vec![State::New; n];
    let mut reversed = vec![false; edges.len()];
    for root in 0..n {
        if state[root] != State::New {
            continue;
        }
        // (node, next outgoing edge to look at)
        let mut stack = vec![(root, 0)];
        state[root] = State::OnStack;
        while let Some(top) = stack.last_mut() {
            let node = top.0;
            let Some(&e) = out[node].get(top.1) else {
                state[node] = State::Done;
                stack.pop();
                continue;
            };
            top.1 += 1;
            let dest = edges[e].dest;
            match state[dest] {
                State::OnStack => reversed[e] = true,
                State::New => {
                    state[dest] = State::OnStack;
                    stack.push((dest, 0));
                }
                State::Done => {}
            }
        }
    }
    reversed
}

/// Ranks from the longest path from any source, in topological order.
fn longest_path(n: usize, links: &[(usize, usize, i64, f64)]) -> Vec<i64> {
    let mut indegree = vec![0usize; n];
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, &(u, v, _, _)) in links.iter().enumerate() {
        indegree[v] += 1;
        out[u].push(i);
    }
    let mut rank = vec![0i64; n];
    let mut ready: Vec<usize> = (0..n).filter(|&v| indegree[v] == 0).rev().collect();
    while let Some(u) = ready.pop() {
        for &i in &out[u] {
            let (_, v, len, _) = links[i];
            rank[v] = rank[v].max(rank[u] + len);
            indegree[v] -= 1;
            if indegree[v] == 0 {
                ready.push(v);
            }
        }
    }
    rank
}

/// Moves each node within the range its edges allow, to the end that shortens the heavier side
/// of its edges, until nothing moves. Each move lowers the weighted total edge length, so this
/// ends; the iteration cap only bounds the time on large graphs.
fn balance(rank: &mut [i64], n: usize, links: &[(usize, usize, i64, f64)]) {
    let mut incoming: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut outgoing: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, &(u, v, _, _)) in links.iter().enumerate() {
        outgoing[u].push(i);
        incoming[v].push(i);
    }
    for _ in 0..64 {
        let mut moved = false;
        for v in 0..n {
            let lo = incoming[v]
                .iter()
                .map(|&i| rank[links[i].0] + links[i].2)
                .max();
            let hi = outgoing[v]
                .iter()
                .map(|&i| rank[links[i].1] - links[i].2)
                .min();
            let pull_up: f64 = incoming[v].iter().map(|&i| links[i].3).sum();
            let pull_down: f64 = outgoing[v].iter().map(|&i| links[i].3).sum();
            let target = if pull_up > pull_down {
                lo
            } else if pull_down > pull_up {
                hi
            } else {
                None
            };
            if let Some(t) = target {
                if t != rank[v] {
                    rank[v] = t;
                    moved = true;
                }
            }
        }
        if !moved {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
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
    fn cycles_are_broken_and_edges_point_down() {
        let edges = [edge(0, 1), edge(1, 2), edge(2, 0), edge(2, 2)];
        let r = rank(3, &edges);
        assert_eq!(r.reversed, [false, false, true, false]);
        for (i, e) in edges.iter().enumerate().take(3) {
            let (u, v) = r.ends(e, i);
            assert!(r.rank[v] >= r.rank[u] + RANKS_PER_LENGTH, "{i}");
        }
    }

    #[test]
    fn sources_move_down_next_to_their_callee() {
        // 0 -> 1 -> 2 -> 3 and 4 -> 3: node 4 belongs just above 3, not at the top.
        let edges = [edge(0, 1), edge(1, 2), edge(2, 3), edge(4, 3)];
        let r = rank(5, &edges);
        assert_eq!(r.rank, [0, 2, 4, 6, 4]);
    }
}
