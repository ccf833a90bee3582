//! The visible part of a flame graph against the full graph of real Go profiles: with nothing
//! trimmed it is the same tree; trimmed, every frame kept is a frame of the full graph with the
//! same weights, no kept frame is narrower than the limit, and every parent's callees (kept and
//! merged) add up to what the full graph gives them.

mod pprof_pipeline;

use std::collections::HashMap;

use oxprof_profile::{FilterOptions, Granularity};
use oxprof_report::flame::{visible::visible, visible::ELIDED_NAME, FlameGraph};
use oxprof_report::Options;
use pprof_pipeline::{go_testdata, prepare};

fn prepared(name: &str, granularity: Granularity) -> pprof_pipeline::Prepared {
    let mut p = prepare(
        &go_testdata(name),
        "flame",
        "",
        Options::default(),
        &FilterOptions::default(),
    );
    p.profile.aggregate_to(granularity, true, false).unwrap();
    p
}

/// Every frame as its path of names from the root, with (value, self value).
fn by_path(g: &FlameGraph) -> HashMap<Vec<String>, (i64, i64)> {
    let mut paths: Vec<Vec<String>> = Vec::with_capacity(g.frames.len());
    let mut out = HashMap::new();
    for (i, f) in g.frames.iter().enumerate() {
        let mut path = if i == 0 {
            Vec::new()
        } else {
            paths[f.parent].clone()
        };
        path.push(g.name(f).to_string());
        out.insert(path.clone(), (f.value, f.self_value));
        paths.push(path);
    }
    out
}

#[test]
fn untrimmed_equals_the_full_graph() {
    for (name, granularity) in [
        ("cpu.pprof", Granularity::Functions),
        ("cpu.pprof", Granularity::Addresses),
        ("heap.pprof", Granularity::Lines),
    ] {
        let p = prepared(name, granularity);
        let full = FlameGraph::new(&p.profile, &p.report);
        let v = visible(&p.profile, &p.report, &[], 0.0);
        assert_eq!(v.graph.frames.len(), full.frames.len(), "{name}");
        for (a, b) in v.graph.frames.iter().zip(&full.frames) {
            assert_eq!(v.graph.name(a), full.name(b), "{name}");
            assert_eq!(
                (a.depth, a.parent, a.value, a.self_value, a.inline, a.end),
                (b.depth, b.parent, b.value, b.self_value, b.inline, b.end),
                "{name} {}",
                full.name(b)
            );
        }
    }
}

#[test]
fn trimmed_frames_are_full_frames_and_callees_add_up() {
    let p = prepared("cpu.pprof", Granularity::Functions);
    let full = by_path(&FlameGraph::new(&p.profile, &p.report));
    let v = visible(&p.profile, &p.report, &[], 0.02);
    let g = &v.graph;
    assert!(v.min_value > 0);
    let total = g.root().value;
    assert_eq!(v.min_value, (0.02 * total as f64).ceil() as i64);
    let mut merged = 0;
    for (path, &(value, self_value)) in &by_path(g) {
        if path.last().map(String::as_str) == Some(ELIDED_NAME) {
            merged += 1;
            continue;
        }
        assert_eq!(full.get(path), Some(&(value, self_value)), "{path:?}");
        assert!(
            value >= v.min_value || path.len() == 1,
            "{path:?} is too narrow"
        );
    }
    assert!(merged > 0, "a 2% limit merges some callees of cpu.pprof");
    for (i, f) in g.frames.iter().enumerate() {
        let callees: i64 = g.children(i).map(|c| g.frames[c].value).sum();
        assert_eq!(callees + f.self_value, f.value, "{}", g.name(f));
    }
    assert!(g.frames.len() < full.len() / 4);
}

#[test]
fn zooming_shows_a_frame_in_full_detail() {
    let p = prepared("cpu.pprof", Granularity::Functions);
    let full = FlameGraph::new(&p.profile, &p.report);
    // The heaviest callee of the root's heaviest callee, by name path.
    let top = full
        .children(0)
        .max_by_key(|&c| full.frames[c].value)
        .unwrap();
    let zoom = vec![full.name(&full.frames[top]).to_string()];
    let v = visible(&p.profile, &p.report, &zoom, 0.0);
    assert_eq!(v.zoom, 1);
    let z = &v.graph.frames[1];
    assert_eq!(
        (v.graph.name(z), z.value),
        (zoom[0].as_str(), full.frames[top].value)
    );
    // The zoomed frame's subtree is the full graph's, frame for frame.
    let want = by_path(&full);
    let got = by_path(&v.graph);
    let below: Vec<_> = want
        .keys()
        .filter(|k| k.len() > 1 && k[1] == zoom[0])
        .collect();
    assert_eq!(got.len(), below.len() + 1);
    for path in below {
        assert_eq!(got.get(path), want.get(path), "{path:?}");
    }
}
