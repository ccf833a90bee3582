//! The layered layout on many pseudo-random graphs (cycles, self-loops, repeated edges, boxes
//! of every size, edges with and without labels): boxes never overlap, every edge starts on its
//! source box, ends with its arrow tip on its target box, and passes through no other box.

use oxprof_report::layout::{layout, EdgeSpec, Layout, Point, Rect, Spacing};

/// xorshift64: reproducible graphs without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn size(&mut self, lo: u64, hi: u64) -> f64 {
        (lo + self.below(hi - lo)) as f64
    }
}

fn on_border(r: &Rect, p: Point) -> bool {
    let slack = 0.01;
    let inner = Rect {
        x: r.x + slack,
        y: r.y + slack,
        width: r.width - 2.0 * slack,
        height: r.height - 2.0 * slack,
    };
    r.contains(p, slack) && !inner.contains(p, 0.0)
}

fn bezier(p: &[Point], t: f64) -> Point {
    let u = 1.0 - t;
    let (a, b, c, d) = (u * u * u, 3.0 * u * u * t, 3.0 * u * t * t, t * t * t);
    Point {
        x: a * p[0].x + b * p[1].x + c * p[2].x + d * p[3].x,
        y: a * p[0].y + b * p[1].y + c * p[2].y + d * p[3].y,
    }
}

fn check(seed: u64, sizes: &[(f64, f64)], edges: &[EdgeSpec], l: &Layout) {
    assert_eq!(l.nodes.len(), sizes.len());
    assert_eq!(l.edges.len(), edges.len());
    for (i, (r, &(w, h))) in l.nodes.iter().zip(sizes).enumerate() {
        assert!(
            (r.width - w).abs() < 1e-9 && (r.height - h).abs() < 1e-9,
            "seed {seed}: node {i} keeps its size"
        );
        assert!(
            r.x >= -1e-9 && r.y >= -1e-9,
            "seed {seed}: node {i} at {r:?}"
        );
        assert!(r.x + r.width <= l.width + 1e-6 && r.y + r.height <= l.height + 1e-6);
    }
    for i in 0..l.nodes.len() {
        for j in i + 1..l.nodes.len() {
            assert!(
                !l.nodes[i].overlaps(&l.nodes[j]),
                "seed {seed}: nodes {i} and {j} overlap"
            );
        }
    }
    for (k, (e, route)) in edges.iter().zip(&l.edges).enumerate() {
        let (src, dest) = (&l.nodes[e.src], &l.nodes[e.dest]);
        assert!(
            on_border(src, route.spline[0]),
            "seed {seed}: edge {k} starts on its source"
        );
        assert!(
            on_border(dest, route.arrow_tip),
            "seed {seed}: edge {k} ends on its target"
        );
        assert_eq!((route.spline.len() - 1) % 3, 0);
        assert_eq!(
            route.label.is_some(),
            e.label.is_some(),
            "seed {seed}: edge {k} label"
        );
        for piece in route.spline.windows(4).step_by(3) {
            for t in 0..=16 {
                let p = bezier(piece, f64::from(t) / 16.0);
                for (n, r) in l.nodes.iter().enumerate() {
                    if n == e.src || n == e.dest {
                        continue;
                    }
                    let inside = Rect {
                        x: r.x + 0.01,
                        y: r.y + 0.01,
                        width: r.width - 0.02,
                        height: r.height - 0.02,
                    };
                    assert!(
                        !inside.contains(p, 0.0),
                        "seed {seed}: edge {k} crosses node {n}"
                    );
                }
            }
        }
    }
}

#[test]
fn random_graphs_keep_every_promise() {
    for seed in 1..=120u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let n = 1 + rng.below(30) as usize;
        let sizes: Vec<(f64, f64)> = (0..n)
            .map(|_| (rng.size(20, 200), rng.size(20, 120)))
            .collect();
        let m = rng.below(3 * n as u64 + 1) as usize;
        let edges: Vec<EdgeSpec> = (0..m)
            .map(|_| EdgeSpec {
                src: rng.below(n as u64) as usize,
                dest: rng.below(n as u64) as usize,
                weight: 1.0 + rng.below(100) as f64,
                min_len: 1 + rng.below(2) as u32,
                label: (rng.below(4) != 0).then(|| (rng.size(10, 80), rng.size(14, 32))),
            })
            .collect();
        let l = layout(&sizes, &edges, &Spacing::default());
        check(seed, &sizes, &edges, &l);
    }
}

#[test]
fn a_chain_is_drawn_top_to_bottom_in_a_line() {
    let sizes = [(60.0, 40.0); 4];
    let edge = |src, dest| EdgeSpec {
        src,
        dest,
        weight: 1.0,
        min_len: 1,
        label: None,
    };
    let edges = [edge(0, 1), edge(1, 2), edge(2, 3)];
    let l = layout(&sizes, &edges, &Spacing::default());
    check(0, &sizes, &edges, &l);
    for w in l.nodes.windows(2) {
        assert!(
            w[0].y + w[0].height < w[1].y,
            "each callee below its caller"
        );
        assert!((w[0].x - w[1].x).abs() < 1e-6, "a chain stays straight");
    }
}
