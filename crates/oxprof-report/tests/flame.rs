//! Flame graphs and folded stacks: the folded stacks of a Go CPU profile against stacks summed
//! straight from its samples, folded stacks read back and written again unchanged, the SVG
//! parsed as XML with every frame's box checked against the tree, and the colours of a
//! differential flame graph.

mod pprof_pipeline;

use std::collections::BTreeMap;

use oxprof_profile::{FilterOptions, Granularity, Profile};
use oxprof_report::flame::{folded::write_folded, svg, FlameGraph};
use oxprof_report::{Options, Report};
use pprof_pipeline::{go_testdata, prepare};

/// Stack (names root first, joined by `;`) to summed value, from folded text.
fn parse_folded_text(text: &str) -> BTreeMap<String, i64> {
    let mut stacks = BTreeMap::new();
    for line in text.lines() {
        let (stack, value) = line.rsplit_once(' ').expect("a count on every line");
        *stacks.entry(stack.to_string()).or_insert(0) += value.parse::<i64>().unwrap();
    }
    stacks
}

/// The flame graph of `data` as the driver builds it: prepared as pprof prepares a profile,
/// aggregated to functions, for the sample type `sample_index` names.
fn graph_of(data: &[u8], sample_index: &str) -> FlameGraph {
    let mut p = prepare(
        data,
        "folded",
        sample_index,
        Options::default(),
        &FilterOptions::default(),
    );
    p.profile
        .aggregate_to(Granularity::Functions, true, false)
        .unwrap();
    FlameGraph::new(&p.profile, &p.report)
}

fn folded(graph: &FlameGraph) -> String {
    let mut out = Vec::new();
    write_folded(&mut out, graph).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn folded_cpu_profile_matches_stacks_summed_from_its_samples() {
    let data = go_testdata("cpu.pprof");
    let raw = Profile::decode(&data).unwrap();
    let names: BTreeMap<u64, &str> = raw
        .function
        .iter()
        .map(|f| (f.id, f.name.as_str()))
        .collect();
    let locations: BTreeMap<u64, Vec<&str>> = raw
        .location
        .iter()
        .map(|l| {
            (
                l.id,
                l.line
                    .iter()
                    .rev()
                    .map(|line| names[&line.function_id])
                    .collect(),
            )
        })
        .collect();
    for (index, sample_index) in [(0, "samples"), (1, "cpu")] {
        assert_eq!(raw.sample_type[index].ty, sample_index);
        let mut want: BTreeMap<String, i64> = BTreeMap::new();
        for s in &raw.sample {
            let stack: Vec<&str> = s
                .location_id
                .iter()
                .rev()
                .flat_map(|id| locations[id].iter().copied())
                .collect();
            *want.entry(stack.join(";")).or_insert(0) += s.value[index];
        }
        want.retain(|_, v| *v != 0);
        let graph = graph_of(&data, sample_index);
        let got = parse_folded_text(&folded(&graph));
        assert_eq!(got, want, "sample index {sample_index}");
        let total: i64 = raw.sample.iter().map(|s| s.value[index]).sum();
        assert_eq!(got.values().sum::<i64>(), total);
        assert_eq!(graph.root().value, total);
        assert_eq!(graph.sample_type, sample_index);
    }
    // 574 samples of 10ms each: the two sample types agree.
    assert_eq!(graph_of(&data, "samples").root().value, 574);
    assert_eq!(graph_of(&data, "cpu").root().value, 5_740_000_000);
}

#[test]
fn folded_stacks_read_back_and_write_the_same() {
    let text = folded(&graph_of(&go_testdata("cpu.pprof"), "cpu"));
    assert!(text.lines().count() > 40, "{text}");
    // Recognized by content, as a file given to oxprof is.
    let profile = Profile::parse(text.as_bytes()).unwrap();
    profile.validate().unwrap();
    let report = Report::new(&profile, &Options::default(), "folded").unwrap();
    assert_eq!(folded(&FlameGraph::new(&profile, &report)), text);

    // Names may end in numbers: a file is differential only when every line has two counts.
    let numbered = "main;frame 1 5\nmain;other 3\n";
    let profile = Profile::parse(numbered.as_bytes()).unwrap();
    let report = Report::new(&profile, &Options::default(), "folded").unwrap();
    assert_eq!(folded(&FlameGraph::new(&profile, &report)), numbered);

    let diff = "main;a 10 40\nmain;b 30 10\nmain;c;d 0 5\nmain;e 7 0\n";
    let profile = Profile::parse(diff.as_bytes()).unwrap();
    let report = Report::new(&profile, &Options::default(), "folded").unwrap();
    let graph = FlameGraph::new(&profile, &report);
    assert!(graph.diff);
    assert_eq!(folded(&graph), diff);
    // As with -diff_base, percentages refer to the base's total.
    assert_eq!(report.total, 47);
}

/// The parsed SVG and, per frame group, its `data-s`, `data-v`, `data-d`, title and rect.
struct Svg {
    text: String,
}

struct DrawnFrame {
    start: i64,
    value: i64,
    depth: usize,
    title: String,
    x: f64,
    width: f64,
    fill: String,
}

impl Svg {
    fn of(graph: &FlameGraph, options: &svg::SvgOptions) -> Svg {
        let mut out = Vec::new();
        svg::write_svg(&mut out, graph, options).unwrap();
        Svg {
            text: String::from_utf8(out).unwrap(),
        }
    }

    fn frames(&self) -> Vec<DrawnFrame> {
        let doc = roxmltree::Document::parse(&self.text).expect("well-formed XML");
        doc.descendants()
            .filter(|n| n.has_tag_name("g") && n.attribute("class") == Some("f"))
            .map(|g| {
                let rects: Vec<_> = g.children().filter(|c| c.has_tag_name("rect")).collect();
                assert_eq!(rects.len(), 1, "one rect per frame");
                let rect = rects[0];
                let num =
                    |n: roxmltree::Node, a: &str| n.attribute(a).unwrap().parse::<f64>().unwrap();
                let title = g
                    .children()
                    .find(|c| c.has_tag_name("title"))
                    .and_then(|t| t.text())
                    .unwrap()
                    .to_string();
                DrawnFrame {
                    start: g.attribute("data-s").unwrap().parse().unwrap(),
                    value: g.attribute("data-v").unwrap().parse().unwrap(),
                    depth: g.attribute("data-d").unwrap().parse().unwrap(),
                    title,
                    x: num(rect, "x"),
                    width: num(rect, "width"),
                    fill: rect.attribute("fill").unwrap().to_string(),
                }
            })
            .collect()
    }
}

#[test]
fn svg_has_a_box_per_frame_as_wide_as_its_value() {
    let graph = graph_of(&go_testdata("cpu.pprof"), "cpu");
    let all = svg::SvgOptions {
        min_width: 0.0,
        title: "cpu <&> \"test\"".into(),
        subtitles: vec!["Type: cpu".into()],
        ..Default::default()
    };
    let svg = Svg::of(&graph, &all);
    let frames = svg.frames();
    assert_eq!(frames.len(), graph.frames.len(), "every frame drawn");
    let usable = all.width - 20.0;
    let total = graph.root().value as f64;
    for (drawn, frame) in frames.iter().zip(&graph.frames) {
        let name = graph.name(frame);
        assert_eq!(
            (drawn.value, drawn.depth),
            (frame.value, frame.depth),
            "{name}"
        );
        assert!(
            drawn.title.starts_with(&format!("{name} (")),
            "{}",
            drawn.title
        );
        let want_width = frame.value as f64 / total * usable;
        assert!(
            (drawn.width - want_width).abs() < 0.006,
            "{name}: {} vs {want_width}",
            drawn.width
        );
        let want_x = 10.0 + drawn.start as f64 / total * usable;
        assert!((drawn.x - want_x).abs() < 0.006, "{name}");
    }
    // Children sit side by side within their parent.
    for (i, frame) in graph.frames.iter().enumerate() {
        let mut next = frames[i].start;
        for c in graph.children(i) {
            assert_eq!(frames[c].start, next, "{}", graph.name(&graph.frames[c]));
            next += graph.frames[c].value;
        }
        assert!(next <= frames[i].start + frame.value);
    }
    let hot = frames
        .iter()
        .zip(&graph.frames)
        .find(|(_, f)| graph.name(f) == "main.hot")
        .unwrap()
        .0;
    assert_eq!(hot.title, "main.hot (1.55s, 27.00%; self 1.54s)");
    assert!(svg.text.contains("function zoom(target)"));
    assert!(svg.text.contains("function search(term)"));
    for id in ["unzoom", "search", "details", "matched", "frames"] {
        assert!(svg.text.contains(&format!("id=\"{id}\"")), "{id}");
    }
    assert!(svg.text.contains("cpu &lt;&amp;&gt; &quot;test&quot;"));

    // Frames narrower than the minimum width (0.1 px by default; 3 px here, where the lightest
    // frames are 2 px wide) are left out with everything above them, and nothing else is.
    let pruned = svg::SvgOptions {
        min_width: 3.0,
        ..Default::default()
    };
    let kept = Svg::of(&graph, &pruned).frames();
    let visible = |v: i64| v as f64 / total * usable >= 3.0;
    assert!(kept.len() < frames.len());
    assert!(kept.iter().all(|f| visible(f.value)));
    let starts: Vec<(i64, usize)> = kept.iter().map(|f| (f.start, f.depth)).collect();
    for f in &frames {
        let ancestors_visible = frames
            .iter()
            .filter(|a| a.depth < f.depth && a.start <= f.start && f.start < a.start + a.value)
            .all(|a| visible(a.value));
        assert_eq!(
            starts.contains(&(f.start, f.depth)),
            visible(f.value) && ancestors_visible,
            "{}",
            f.title
        );
    }
}

#[test]
fn svg_of_no_samples_says_so() {
    let p = Profile::parse_folded(b"main 0\n").unwrap();
    let graph = FlameGraph::new(&p, &Report::new(&p, &Options::default(), "flame").unwrap());
    let svg = Svg::of(&graph, &svg::SvgOptions::default());
    assert!(svg.frames().is_empty());
    assert!(svg.text.contains("No samples to show"));
}

#[test]
fn diff_flame_graph_colours_growth_red_and_shrinkage_blue() {
    let before =
        Profile::parse_folded(b"main;grew 10\nmain;shrank 30\nmain;same 20\nmain 5\n").unwrap();
    let after =
        Profile::parse_folded(b"main;grew 40\nmain;shrank 10\nmain;same 20\nmain 5\nmain;new 15\n")
            .unwrap();
    let diff = after.with_base(before, true, false).unwrap();
    let report = Report::new(&diff, &Options::default(), "flame").unwrap();
    let graph = FlameGraph::new(&diff, &report);
    assert!(graph.diff);
    let frame = |name: &str| {
        graph
            .frames
            .iter()
            .position(|f| graph.name(f) == name)
            .unwrap()
    };
    let values = |name: &str| {
        let f = &graph.frames[frame(name)];
        (f.value, f.base, f.self_delta())
    };
    assert_eq!(values("main"), (90, 65, 0));
    assert_eq!(values("grew"), (40, 10, 30));
    assert_eq!(values("shrank"), (10, 30, -20));
    assert_eq!(values("same"), (20, 20, 0));
    assert_eq!(values("new"), (15, 0, 15));

    let drawn = Svg::of(&graph, &svg::SvgOptions::default()).frames();
    let fill = |name: &str| drawn[frame(name)].fill.clone();
    // The largest change is +30: it gets full red; others scale by 210 * (30 - |change|) / 30.
    assert_eq!(fill("grew"), "rgb(255,0,0)");
    assert_eq!(fill("shrank"), "rgb(70,70,255)");
    assert_eq!(fill("new"), "rgb(255,105,105)");
    assert_eq!(fill("same"), "rgb(255,255,255)");
    assert_eq!(fill("main"), "rgb(255,255,255)");
    let rgb = |s: String| -> Vec<u8> {
        s.trim_start_matches("rgb(")
            .trim_end_matches(')')
            .split(',')
            .map(|c| c.parse().unwrap())
            .collect()
    };
    let (grew, shrank) = (rgb(fill("grew")), rgb(fill("shrank")));
    assert!(grew[0] > grew[2], "red-ish");
    assert!(shrank[2] > shrank[0], "blue-ish");
    assert_eq!(
        drawn[frame("shrank")].title,
        "shrank (10, 11.11%, before 30; self 10, before 30, -20)"
    );
    assert_eq!(
        drawn[frame("grew")].title,
        "grew (40, 44.44%, before 10; self 40, before 10, +30)"
    );
    // Widths follow the new profile.
    let usable = 1180.0;
    assert!((drawn[frame("grew")].width - 40.0 / 90.0 * usable).abs() < 0.006);
}
