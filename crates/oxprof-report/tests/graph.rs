//! Call graph construction and trimming on hand-built profiles: recursion, inlining, residual
//! edges, means and the node limits.

use std::collections::HashSet;

use oxprof_profile::{Function, Line, Location, Profile, Sample, ValueType};
use oxprof_report::graph::{trimmed, Graph, GraphOptions, NodeInfo};
use oxprof_report::{Options, Report};

/// A profile over functions `names` (function and location id i+1 is `names[i]`), where each
/// stack lists indices into `names`, leaf first. Location `inlined` (if any) holds two lines:
/// `names[inlined.0]` inlined into `names[inlined.1]`.
fn profile(
    names: &[&str],
    stacks: &[(&[usize], Vec<i64>)],
    inlined: Option<(usize, usize)>,
) -> Profile {
    let function = names
        .iter()
        .enumerate()
        .map(|(i, n)| Function {
            id: i as u64 + 1,
            name: n.to_string(),
            ..Default::default()
        })
        .collect();
    let line = |i: usize| Line {
        function_id: i as u64 + 1,
        ..Default::default()
    };
    let mut location: Vec<Location> = (0..names.len())
        .map(|i| Location {
            id: i as u64 + 1,
            line: vec![line(i)],
            ..Default::default()
        })
        .collect();
    if let Some((inner, outer)) = inlined {
        location.push(Location {
            id: 100,
            line: vec![line(inner), line(outer)],
            ..Default::default()
        });
    }
    let sample = stacks
        .iter()
        .map(|(stack, value)| Sample {
            location_id: stack
                .iter()
                .map(|&i| if i == 100 { 100 } else { i as u64 + 1 })
                .collect(),
            value: value.clone(),
            label: vec![],
        })
        .collect();
    Profile {
        sample_type: vec![
            ValueType::new("contentions", "count"),
            ValueType::new("delay", "nanoseconds"),
        ],
        sample,
        location,
        function,
        ..Default::default()
    }
}

/// The graph of the delay values (sample index 1), keeping only the functions in `kept` if given.
fn delay_graph(p: &Profile, kept: Option<&[&str]>) -> Graph {
    let kept: Option<HashSet<NodeInfo>> = kept.map(|names| {
        names
            .iter()
            .map(|n| NodeInfo {
                name: n.to_string(),
                ..Default::default()
            })
            .collect()
    });
    let opts = GraphOptions {
        sample_index: 1,
        ..Default::default()
    };
    Graph::new(p, &opts, kept.as_ref())
}

fn node<'g>(g: &'g Graph, name: &str) -> &'g oxprof_report::graph::Node {
    g.nodes
        .iter()
        .find(|n| n.info.name == name)
        .unwrap_or_else(|| panic!("no node {name}"))
}

fn edge(g: &Graph, src: &str, dest: &str) -> oxprof_report::graph::Edge {
    *g.edges
        .iter()
        .find(|e| g.nodes[e.src].info.name == src && g.nodes[e.dest].info.name == dest)
        .unwrap_or_else(|| panic!("no edge {src} -> {dest}"))
}

#[test]
fn recursion_counts_each_sample_once_per_node() {
    // main -> a -> b -> a (leaf)
    let p = profile(&["main", "a", "b"], &[(&[1, 2, 1, 0], vec![1, 10])], None);
    let g = delay_graph(&p, None);
    let a = node(&g, "a");
    assert_eq!((a.flat, a.cum), (10, 10));
    assert_eq!(node(&g, "main").cum, 10);
    assert_eq!(edge(&g, "a", "b").weight, 10);
    assert_eq!(edge(&g, "b", "a").weight, 10);
    assert_eq!(edge(&g, "main", "a").weight, 10);
    assert_eq!(g.edges.len(), 3);
}

#[test]
fn inlined_frames_make_inline_edges() {
    // Location 100 is `inner` inlined into `outer`, called from main.
    let p = profile(
        &["main", "outer", "inner"],
        &[(&[100, 0], vec![1, 5]), (&[2, 0], vec![1, 1])],
        Some((2, 1)),
    );
    let g = delay_graph(&p, None);
    let e = edge(&g, "outer", "inner");
    assert!(e.inline);
    assert!(!edge(&g, "main", "outer").inline);
    // `inner` is reached both inlined (from outer) and called (from main): partially inline.
    let (items, _) = oxprof_report::top::text_items(
        &p,
        &Options {
            sample_index: 1,
            ..Default::default()
        },
    )
    .unwrap();
    let inner = items.iter().find(|i| i.name == "inner").unwrap();
    assert_eq!(inner.inline_label, "(partial-inline)");
    assert_eq!((inner.flat, inner.cum), (6, 6));
}

#[test]
fn dropped_nodes_leave_residual_edges() {
    let p = profile(&["main", "mid", "leaf"], &[(&[2, 1, 0], vec![1, 7])], None);
    let g = delay_graph(&p, Some(&["main", "leaf"]));
    assert_eq!(g.nodes.len(), 2);
    let e = edge(&g, "main", "leaf");
    assert!(e.residual);
    assert_eq!(e.weight, 7);
    assert_eq!(node(&g, "leaf").flat, 7);

    // Dropping the leaf leaves its weight unattributed as flat.
    let g = delay_graph(&p, Some(&["main"]));
    assert_eq!((node(&g, "main").flat, node(&g, "main").cum), (0, 7));
}

#[test]
fn mean_divides_by_the_first_value() {
    let p = profile(
        &["main", "lock"],
        &[(&[1, 0], vec![4, 400]), (&[1, 0], vec![1, 600])],
        None,
    );
    let opts = Options {
        sample_index: 1,
        mean: true,
        ..Default::default()
    };
    let report = Report::new(&p, &opts, "top").unwrap();
    assert_eq!(report.sample_type, "mean_delay");
    assert_eq!(report.total, 200);
    let t = trimmed(&p, &report, false);
    assert_eq!(node(&t.graph, "lock").flat_value(), 200);
    let mut out = Vec::new();
    oxprof_report::top::write_top(&mut out, &p, &opts).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("Type: mean_delay\n"), "{text}");
    assert!(
        text.contains("     200ns   100%   100%      200ns   100%  lock\n"),
        "{text}"
    );
}

#[test]
fn node_fraction_and_count_trim_with_header_notes() {
    let stacks: Vec<(&[usize], Vec<i64>)> = vec![
        (&[1, 0], vec![1, 1000]),
        (&[2, 0], vec![1, 100]),
        (&[3, 0], vec![1, 2]),
        (&[4, 0], vec![1, 50]),
    ];
    let p = profile(&["main", "a", "b", "c", "d"], &stacks, None);
    let opts = Options {
        sample_index: 1,
        node_count: Some(2),
        ..Default::default()
    };
    let mut out = Vec::new();
    oxprof_report::top::write_top(&mut out, &p, &opts).unwrap();
    let text = String::from_utf8(out).unwrap();
    // `c` (2 of 1152) is under 0.5%; of the other four, the two heaviest by flat are shown.
    assert!(
        text.ends_with(concat!(
            "Dropped 1 node (cum <= 5ns)\n",
            "Showing top 2 nodes out of 4\n",
            "      flat  flat%   sum%        cum   cum%\n",
            "    1000ns 86.81% 86.81%     1000ns 86.81%  a\n",
            "     100ns  8.68% 95.49%      100ns  8.68%  b\n",
        )),
        "{text}"
    );

    // `-trim=false` keeps everything.
    let untrimmed = Options {
        sample_index: 1,
        trim: false,
        ..Default::default()
    };
    let t = trimmed(&p, &Report::new(&p, &untrimmed, "top").unwrap(), false);
    assert_eq!((t.graph.nodes.len(), t.dropped_nodes), (5, 0));
}

#[test]
fn sort_breaks_ties_by_name() {
    let p = profile(
        &["main", "b", "a"],
        &[(&[1, 0], vec![1, 5]), (&[2, 0], vec![1, 5])],
        None,
    );
    let (items, _) = oxprof_report::top::text_items(
        &p,
        &Options {
            sample_index: 1,
            ..Default::default()
        },
    )
    .unwrap();
    let names: Vec<&str> = items.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["a", "b", "main"]);
    let (items, _) = oxprof_report::top::text_items(
        &p,
        &Options {
            sample_index: 1,
            cum_sort: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(items[0].name, "main");
}

#[test]
fn bad_sample_index_is_an_error() {
    let p = profile(&["main"], &[(&[0], vec![1, 5])], None);
    let err = Report::new(
        &p,
        &Options {
            sample_index: 2,
            ..Default::default()
        },
        "top",
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "sample_index 2 out of range: the profile has 2 sample types"
    );
}
