//! Profile operations against hand-built profiles with known answers, against real Go profiles
//! (compared with what `go tool pprof -proto` writes when `go` is installed), and as properties.

use oxprof_profile::{
    ErrorKind, FilterOptions, Function, Granularity, Label, Line, Location, Mapping, Profile,
    Sample, TagFilter, ValueType,
};
use proptest::prelude::*;
use regex::Regex;
use std::collections::{BTreeMap, HashMap};

/// A profile with one function and one location per name (ids 1..n, line 10 × id), two sample
/// types, and the given samples (stacks leaf first).
fn profile(names: &[&str], samples: &[(&[u64], i64)]) -> Profile {
    Profile {
        sample_type: vec![
            ValueType::new("samples", "count"),
            ValueType::new("cpu", "nanoseconds"),
        ],
        period_type: Some(ValueType::new("cpu", "nanoseconds")),
        period: 10,
        function: (1..).zip(names).map(|(id, n)| function(id, n)).collect(),
        location: (1..=names.len() as u64)
            .map(|id| location(id, &[id]))
            .collect(),
        sample: samples.iter().map(|(stack, v)| sample(stack, *v)).collect(),
        ..Profile::default()
    }
}

fn function(id: u64, name: &str) -> Function {
    Function {
        id,
        name: name.into(),
        filename: format!("{name}.go"),
        ..Default::default()
    }
}

/// A location whose lines call the given functions, innermost first.
fn location(id: u64, functions: &[u64]) -> Location {
    let line = functions.iter().map(|&f| Line {
        function_id: f,
        line: 10 * f as i64,
        column: 0,
    });
    Location {
        id,
        address: 0x1000 + id,
        line: line.collect(),
        ..Default::default()
    }
}

fn sample(stack: &[u64], v: i64) -> Sample {
    Sample {
        location_id: stack.to_vec(),
        value: vec![v, v * 10],
        label: vec![],
    }
}

fn rx(s: &str) -> Regex {
    Regex::new(s).unwrap()
}

/// Each sample as "value: frame;frame" with frames as function names (inlined ones joined by
/// `+`, innermost first), sorted.
fn stacks(p: &Profile) -> Vec<String> {
    let mut out: Vec<String> = p
        .sample
        .iter()
        .map(|s| format!("{}: {}", s.value[0], frames(p, s)))
        .collect();
    out.sort();
    out
}

fn frames(p: &Profile, s: &Sample) -> String {
    let name = |fid: u64| {
        p.function
            .iter()
            .find(|f| f.id == fid)
            .map_or("?", |f| f.name.as_str())
    };
    let frame = |id: &u64| {
        let loc = p
            .location
            .iter()
            .find(|l| l.id == *id)
            .expect("sample refers to a location");
        loc.line
            .iter()
            .map(|l| name(l.function_id))
            .collect::<Vec<_>>()
            .join("+")
    };
    s.location_id
        .iter()
        .map(frame)
        .collect::<Vec<_>>()
        .join(";")
}

fn totals(p: &Profile) -> Vec<i64> {
    let mut t = vec![0; p.sample_type.len()];
    for s in &p.sample {
        for (t, v) in t.iter_mut().zip(&s.value) {
            *t += v;
        }
    }
    t
}

// ---- merge, compact, scale, base ----

#[test]
fn merge_deduplicates_by_content_and_combines_headers() {
    let mut a = profile(&["main", "work"], &[(&[2, 1], 3), (&[1], 1)]);
    a.time_nanos = 500;
    a.duration_nanos = 7;
    a.comments = vec!["first".into(), "shared".into()];
    // The same program with its tables numbered and ordered differently.
    let mut b = Profile {
        function: vec![function(7, "work"), function(9, "main")],
        location: vec![location(40, &[7]), location(30, &[9])],
        sample: vec![sample(&[40, 30], 2), sample(&[30], 0)],
        time_nanos: 200,
        duration_nanos: 5,
        period: 20,
        comments: vec!["shared".into()],
        ..a.clone()
    };
    b.location[0].address = a.location[1].address;
    b.location[0].line[0].line = a.location[1].line[0].line;
    b.location[1].address = a.location[0].address;
    b.location[1].line[0].line = a.location[0].line[0].line;

    let m = Profile::merge(vec![a, b]).unwrap();
    assert_eq!(stacks(&m), vec!["1: main", "5: work;main"]);
    assert_eq!(
        m.location.iter().map(|l| l.id).collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert_eq!(m.function.len(), 2);
    assert_eq!((m.time_nanos, m.duration_nanos, m.period), (200, 12, 20));
    assert_eq!(m.comments, vec!["first".to_string(), "shared".to_string()]);
}

#[test]
fn merge_resets_time_on_a_zero_time_as_pprof_does() {
    let p = |t: i64| Profile {
        time_nanos: t,
        ..profile(&[], &[])
    };
    assert_eq!(Profile::merge(vec![p(5), p(0)]).unwrap().time_nanos, 0);
    assert_eq!(
        Profile::merge(vec![p(5), p(0), p(9)]).unwrap().time_nanos,
        9
    );
}

#[test]
fn merge_matches_mappings_moved_by_address_randomization() {
    let with_mapping = |start: u64| {
        let mut p = profile(&["main"], &[(&[1], 1)]);
        p.mapping = vec![Mapping {
            id: 1,
            memory_start: start,
            memory_limit: start + 0x1800,
            filename: "/bin/app".into(),
            build_id: "abc".into(),
            ..Default::default()
        }];
        p.location[0].mapping_id = 1;
        p.location[0].address = start + 0x10;
        p
    };
    let m = Profile::merge(vec![with_mapping(0x400000), with_mapping(0x7000000)]).unwrap();
    assert_eq!(m.mapping.len(), 1);
    assert_eq!(m.location.len(), 1);
    assert_eq!(m.location[0].address, 0x400010);
    assert_eq!(stacks(&m), vec!["2: main"]);
}

#[test]
fn merge_keeps_samples_with_different_labels_apart() {
    let mut p = profile(&["main"], &[(&[1], 1), (&[1], 2), (&[1], 4)]);
    p.sample[0].label = vec![Label::str("a", "1"), Label::str("b", "2")];
    p.sample[1].label = vec![Label::str("b", "2"), Label::str("a", "1")];
    p.sample[2].label = vec![Label::str("a", "2")];
    p.compact().unwrap();
    assert_eq!(p.sample.len(), 2);
    assert_eq!(p.sample[0].value[0], 3);
}

#[test]
fn merge_rejects_incompatible_profiles_and_dangling_ids() {
    let cpu = profile(&[], &[]);
    let mut heap = cpu.clone();
    heap.period_type = Some(ValueType::new("space", "bytes"));
    let err = Profile::merge(vec![cpu.clone(), heap]).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Incompatible(_)));
    assert_eq!(
        err.to_string(),
        "incompatible profiles: period types cpu/nanoseconds and space/bytes differ"
    );
    assert!(Profile::merge(vec![]).is_err());
    let dangling = profile(&["main"], &[(&[5], 1)]);
    assert_eq!(
        Profile::merge(vec![dangling]).unwrap_err().to_string(),
        "invalid profile: sample refers to unknown location 5"
    );
}

#[test]
fn base_subtracts_diff_base_labels_normalize_scales() {
    let p = profile(&["main", "work"], &[(&[2, 1], 6), (&[1], 4)]);
    let same = p.clone().with_base(p.clone(), false, false).unwrap();
    assert!(same.sample.is_empty() && same.location.is_empty() && same.function.is_empty());

    let base = profile(&["main", "work"], &[(&[2, 1], 1)]);
    let delta = p.clone().with_base(base.clone(), false, false).unwrap();
    assert_eq!(stacks(&delta), vec!["4: main", "5: work;main"]);

    let diff = p.clone().with_base(base.clone(), true, false).unwrap();
    assert_eq!(diff.sample.len(), 3);
    let base_samples: Vec<&Sample> = diff.sample.iter().filter(|s| s.is_diff_base()).collect();
    assert_eq!(base_samples.len(), 1);
    assert_eq!(base_samples[0].value, vec![-1, -10]);

    // Scaled by 1/10 to the base's totals: [6, 60] → [1, 6] and [4, 40] → [0, 4]; minus the base.
    let normalized = p.with_base(base, false, true).unwrap();
    let values: Vec<Vec<i64>> = normalized.sample.iter().map(|s| s.value.clone()).collect();
    assert_eq!(values, vec![vec![0, -4], vec![0, 4]]);
}

#[test]
fn scale_rounds_and_drops_zeroed_samples() {
    let mut p = profile(&["main"], &[(&[1], 3), (&[1], 1)]);
    p.scale(0.5);
    assert_eq!(
        p.sample.iter().map(|s| s.value.clone()).collect::<Vec<_>>(),
        vec![vec![2, 15], vec![1, 5]]
    );
    p.scale_n(&[0.0, 1.0]).unwrap();
    assert!(
        p.sample.is_empty(),
        "only changed values decide whether a sample stays"
    );
    let err = p.scale_n(&[1.0]).unwrap_err();
    assert_eq!(err.to_string(), "mismatched scale ratios, got 1, want 2");
}

#[test]
fn combine_converts_units_before_merging() {
    let mut ms = profile(&["main"], &[(&[1], 2)]);
    ms.sample_type[1].unit = "milliseconds".into();
    ms.period_type = Some(ValueType::new("cpu", "milliseconds"));
    ms.period = 10;
    let ns = profile(&["main"], &[(&[1], 1)]);
    let m = Profile::combine(vec![ms, ns]).unwrap();
    assert_eq!(m.sample_type[1].unit, "nanoseconds");
    assert_eq!(m.period, 10_000_000);
    assert_eq!(m.sample[0].value, vec![3, 20_000_010]);
}

// ---- name filters ----

/// main → copy, with runtime.memmove inlined into copy, and a second stack main → runtime.gc.
fn inlined() -> Profile {
    let mut p = profile(&["main", "copy", "runtime.memmove", "runtime.gc"], &[]);
    p.location = vec![location(1, &[1]), location(2, &[3, 2]), location(3, &[4])];
    p.sample = vec![sample(&[2, 1], 5), sample(&[3, 1], 2), sample(&[], 9)];
    p
}

#[test]
fn empty_stacks_are_dropped_even_without_filters() {
    let mut p = inlined();
    let m = p.filter_samples_by_name(None, None, None, None);
    assert!(m.focus && !m.ignore);
    assert_eq!(
        stacks(&p),
        vec!["2: runtime.gc;main", "5: runtime.memmove+copy;main"]
    );
}

#[test]
fn focus_and_ignore_select_samples() {
    let mut p = inlined();
    assert!(
        p.filter_samples_by_name(Some(&rx("memmove")), None, None, None)
            .focus
    );
    assert_eq!(stacks(&p), vec!["5: runtime.memmove+copy;main"]);

    let mut p = inlined();
    let m = p.filter_samples_by_name(Some(&rx("main")), Some(&rx("gc")), None, None);
    assert!(m.focus && m.ignore);
    assert_eq!(stacks(&p), vec!["5: runtime.memmove+copy;main"]);

    let mut p = inlined();
    assert!(
        !p.filter_samples_by_name(Some(&rx("nothing")), None, None, None)
            .focus
    );
    assert!(p.sample.is_empty());
}

#[test]
fn hide_and_show_work_line_by_line() {
    let mut p = inlined();
    assert!(
        p.filter_samples_by_name(None, None, Some(&rx("^runtime\\.")), None)
            .hide
    );
    assert_eq!(stacks(&p), vec!["2: main", "5: copy;main"]);

    let mut p = inlined();
    assert!(
        p.filter_samples_by_name(None, None, None, Some(&rx("runtime")))
            .show
    );
    assert_eq!(stacks(&p), vec!["2: runtime.gc", "5: runtime.memmove"]);

    // File names match too.
    let mut p = inlined();
    p.filter_samples_by_name(None, None, Some(&rx("^copy\\.go$")), None);
    assert_eq!(
        stacks(&p),
        vec!["2: runtime.gc;main", "5: runtime.memmove;main"]
    );
}

#[test]
fn mapping_file_names_match_whole_frames() {
    let mut p = inlined();
    p.mapping = vec![Mapping {
        id: 1,
        filename: "/lib/libc.so.6".into(),
        ..Default::default()
    }];
    p.location[1].mapping_id = 1;
    p.filter_samples_by_name(None, None, Some(&rx("libc")), None);
    assert_eq!(stacks(&p), vec!["2: runtime.gc;main", "5: main"]);
}

#[test]
fn show_from_cuts_above_the_rootmost_match() {
    let mut p = profile(&["a", "b", "c", "b2"], &[(&[4, 3, 2, 1], 1), (&[1], 2)]);
    assert!(p.show_from(&rx("^b")));
    assert_eq!(stacks(&p), vec!["1: b2;c;b"]);

    let mut p = inlined();
    assert!(p.show_from(&rx("memmove")));
    assert_eq!(stacks(&p), vec!["5: runtime.memmove"]);
    assert!(!inlined().show_from(&rx("nothing")));
}

// ---- pruning ----

#[test]
fn prune_drops_from_the_rootmost_match_but_never_the_leading_matches() {
    // Leaf first: sbrk ← malloc ← work ← malloc(root).
    let names = ["malloc", "work", "malloc2", "sbrk"];
    let mut p = profile(&names, &[(&[4, 3, 2, 1], 1), (&[3, 1], 2), (&[2], 4)]);
    p.prune(&rx("^malloc"), None);
    // The root malloc precedes any user frame and stays; everything from malloc2 down goes.
    assert_eq!(
        stacks(&p),
        vec!["1: work;malloc", "2: malloc2;malloc", "4: work"]
    );

    let mut p = profile(&names, &[(&[4, 3, 2, 1], 1)]);
    p.prune(&rx("^malloc"), Some(&rx("^malloc2$")));
    assert_eq!(stacks(&p), vec!["1: sbrk;malloc2;work;malloc"]);
}

#[test]
fn prune_keeps_the_callers_inlined_above_a_match() {
    let mut p = inlined();
    p.drop_frames = "runtime\\..*".into();
    p.remove_uninteresting_frames().unwrap();
    assert_eq!(stacks(&p), vec!["2: main", "5: copy;main", "9: "]);
}

#[test]
fn prune_matches_simplified_names() {
    let mut p = profile(&["main", ".malloc(unsigned long)"], &[(&[2, 1], 1)]);
    p.drop_frames = "malloc".into();
    p.remove_uninteresting_frames().unwrap();
    assert_eq!(stacks(&p), vec!["1: main"]);
    p.drop_frames = "(".into();
    assert!(p
        .remove_uninteresting_frames()
        .unwrap_err()
        .to_string()
        .contains("drop_frames"));
}

#[test]
fn prune_from_keeps_the_leafmost_match() {
    let mut p = profile(&["a", "b", "c", "d"], &[(&[4, 2, 3, 2, 1], 1)]);
    p.prune_from(&rx("^b$"));
    assert_eq!(stacks(&p), vec!["1: b;c;b;a"]);

    let mut p = inlined();
    p.prune_from(&rx("^copy$"));
    assert_eq!(
        stacks(&p),
        vec!["2: runtime.gc;main", "5: copy;main", "9: "]
    );
}

// ---- tags ----

fn labelled() -> Profile {
    let mut p = profile(&["main"], &[(&[1], 1), (&[1], 2), (&[1], 4)]);
    p.sample[0].label = vec![Label::str("thread", "main"), Label::num("bytes", 512, "")];
    p.sample[1].label = vec![
        Label::str("thread", "worker-1"),
        Label::num("bytes", 4096, ""),
    ];
    p.sample[2].label = vec![Label::num("wait", 3, "ms")];
    p
}

fn tag_filtered(focus: &str, ignore: &str) -> Vec<i64> {
    let mut p = labelled();
    let units = p.num_label_units();
    let focus = TagFilter::compile("tagfocus", focus, &units).unwrap();
    let ignore = TagFilter::compile("tagignore", ignore, &units).unwrap();
    p.filter_samples_by_tag(focus.as_ref(), ignore.as_ref());
    p.sample.iter().map(|s| s.value[0]).collect()
}

#[test]
fn tag_filters_read_regexes_ranges_and_keys() {
    assert_eq!(tag_filtered("thread=work", ""), vec![2]);
    assert_eq!(tag_filtered("thread:main", ""), vec![1]);
    assert_eq!(
        tag_filtered("main,worker", ""),
        Vec::<i64>::new(),
        "every regex must match"
    );
    assert_eq!(
        tag_filtered("thread=main,worker", ""),
        vec![1, 2],
        "any regex may match a keyed value"
    );
    assert_eq!(tag_filtered("1kb:", ""), vec![2]);
    assert_eq!(tag_filtered(":1kb", ""), vec![1]);
    assert_eq!(tag_filtered("512b", ""), vec![1]);
    assert_eq!(tag_filtered("bytes=1kb:8kb", ""), vec![2]);
    assert_eq!(tag_filtered("1ms:1s", ""), vec![4]);
    assert_eq!(tag_filtered("3000us", ""), vec![4]);
    assert_eq!(tag_filtered("", "bytes=:1kb"), vec![2, 4]);
    assert_eq!(
        tag_filtered("wait=1kb:", ""),
        Vec::<i64>::new(),
        "units of another family never match"
    );
}

#[test]
fn tag_show_and_hide_remove_labels_by_key() {
    let mut p = labelled();
    assert_eq!(
        p.filter_tags_by_name(Some(&rx("^thread$")), None),
        (true, false)
    );
    assert_eq!(p.sample[0].label, vec![Label::str("thread", "main")]);
    assert!(p.sample[2].label.is_empty());
}

#[test]
fn apply_filters_runs_in_pprof_order_and_reports() {
    let mut p = labelled();
    let units = p.num_label_units();
    let opts = FilterOptions {
        tagfocus: "bytes=1kb:".into(),
        tagshow: "nothing".into(),
        ignore: "^main$".into(),
        ..FilterOptions::default()
    };
    let notes = p.apply_filters(&opts, &units).unwrap();
    assert_eq!(
        notes,
        vec![
            "tagfocus:Interpreted '1kb:' as range, not regexp",
            "TagFocus expression matched no samples",
            "TagShow expression matched no samples",
        ]
    );
    assert!(p.sample.is_empty());

    let bad = FilterOptions {
        tagignore: "x=(".into(),
        ..FilterOptions::default()
    };
    let err = labelled().apply_filters(&bad, &units).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::BadOption(_)));
    assert_eq!(
        err.to_string(),
        "parsing tagignore regexp \"(\": unclosed group"
    );
}

// ---- granularity ----

#[test]
fn noinlines_folds_callees_into_their_caller() {
    let mut p = inlined();
    p.aggregate_to(Granularity::Functions, false, false)
        .unwrap();
    assert_eq!(
        stacks(&p),
        vec!["2: runtime.gc;main", "5: copy;main", "9: "]
    );
    assert!(p.function.iter().all(|f| f.filename.is_empty()));
}

#[test]
fn coarser_granularities_merge_locations() {
    let mut p = profile(&["f", "g"], &[]);
    p.location = vec![location(1, &[1]), location(2, &[1]), location(3, &[2])];
    p.location[1].line[0].line = 99;
    p.function[1].filename = "f.go".into();
    p.sample = vec![sample(&[1], 1), sample(&[2], 2), sample(&[3], 4)];

    let mut lines = p.clone();
    lines.aggregate_to(Granularity::Lines, true, false).unwrap();
    assert_eq!(lines.location.len(), 3);
    assert!(lines.location.iter().all(|l| l.address == 0));

    let mut functions = p.clone();
    functions
        .aggregate_to(Granularity::Functions, true, false)
        .unwrap();
    assert_eq!(functions.sample.len(), 3, "aggregation keeps samples apart");
    functions.compact().unwrap();
    assert_eq!(stacks(&functions), vec!["3: f", "4: g"]);

    let mut files = p.clone();
    files.aggregate_to(Granularity::Files, true, false).unwrap();
    files.compact().unwrap();
    assert_eq!(files.sample.len(), 1);
    assert_eq!(files.sample[0].value[0], 7);

    let mut addresses = p.clone();
    addresses
        .aggregate_to(Granularity::Addresses, true, false)
        .unwrap();
    assert_eq!(addresses, p, "addresses with inlines is the identity");
    assert_eq!(
        "words".parse::<Granularity>().unwrap_err().to_string(),
        "unknown granularity \"words\""
    );
}

// ---- real profiles ----

const GO_TESTDATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/go/");

/// A real 240 s Go CPU profile from the upstream pprof repository, relative to [`GO_TESTDATA`].
const LARGE: &str = "../pprof-upstream/large.cpu";

fn read(name: &str) -> Profile {
    Profile::decode(&oxprof_testutil::read_testdata(&format!("go/{name}"))).unwrap()
}

#[test]
fn real_profiles_survive_every_operation() {
    let cpu = read("cpu.pprof");
    let before = totals(&cpu);
    let mut compacted = cpu.clone();
    compacted.compact().unwrap();
    assert_eq!(totals(&compacted), before);
    assert_eq!(
        Profile::merge(vec![cpu.clone(), cpu.clone()])
            .map(|m| totals(&m))
            .unwrap(),
        vec![2 * before[0], 2 * before[1]]
    );
    assert_eq!(cpu.sample_index("cpu").unwrap(), 1);
    assert_eq!(
        cpu.sample_index("alloc_space").unwrap_err().to_string(),
        "sample_index \"alloc_space\" not found; choose one of samples, cpu"
    );
    let mut functions = cpu.clone();
    functions
        .aggregate_to(Granularity::Functions, true, false)
        .unwrap();
    assert_eq!(totals(&functions), before);
    functions.compact().unwrap();
    assert_eq!(totals(&functions), before);
    assert!(functions.location.len() < cpu.location.len());
}

/// Runs `go tool pprof -proto` and decodes what it writes; `None` without `go`.
fn go_pprof(args: &[&str]) -> Option<Profile> {
    let out = oxprof_testutil::go_pprof()?
        .arg("-proto")
        .args(args)
        .current_dir(GO_TESTDATA)
        .output()
        .expect("run go tool pprof");
    assert!(
        out.status.success(),
        "go tool pprof {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(Profile::decode(&out.stdout).unwrap())
}

/// Samples with their labels and full frames (address and lines), sorted.
fn canonical(p: &Profile) -> Vec<String> {
    let functions: HashMap<u64, &str> =
        p.function.iter().map(|f| (f.id, f.name.as_str())).collect();
    let frames: HashMap<u64, String> = p
        .location
        .iter()
        .map(|loc| {
            let lines: Vec<String> = loc
                .line
                .iter()
                .map(|l| format!("{}:{}", functions[&l.function_id], l.line))
                .collect();
            (loc.id, format!("{:#x}[{}]", loc.address, lines.join(",")))
        })
        .collect();
    let mut out: Vec<String> = p
        .sample
        .iter()
        .map(|s| {
            let mut labels: Vec<String> = s.label.iter().map(|l| format!("{l:?}")).collect();
            labels.sort();
            let stack: Vec<&str> = s.location_id.iter().map(|id| frames[id].as_str()).collect();
            format!("{:?} {labels:?} {}", s.value, stack.join(" "))
        })
        .collect();
    out.sort();
    out
}

/// What oxprof does for `pprof -proto [options] source` with an optional `-base`/`-diff_base`.
fn oxprof(source: &str, base: Option<(&str, bool, bool)>, opts: &FilterOptions) -> Profile {
    let mut p = Profile::combine(vec![read(source)]).unwrap();
    if let Some((base, diff, normalize)) = base {
        let b = Profile::combine(vec![read(base)]).unwrap();
        p = p.with_base(b, diff, normalize).unwrap();
    }
    p.remove_uninteresting_frames().unwrap();
    let units = p.num_label_units();
    p.apply_filters(opts, &units).unwrap();
    p
}

#[test]
fn filters_agree_with_go_tool_pprof() {
    let o = |f: fn(&mut FilterOptions)| {
        let mut opts = FilterOptions::default();
        f(&mut opts);
        opts
    };
    let cases: Vec<(&str, Vec<&str>, FilterOptions)> = vec![
        ("cpu.pprof", vec![], FilterOptions::default()),
        (
            "cpu.pprof",
            vec!["-focus=main\\.hot"],
            o(|o| o.focus = "main\\.hot".into()),
        ),
        (
            "cpu.pprof",
            vec!["-ignore=mapassign"],
            o(|o| o.ignore = "mapassign".into()),
        ),
        (
            "cpu.pprof",
            vec!["-hide=^runtime\\."],
            o(|o| o.hide = "^runtime\\.".into()),
        ),
        (
            "cpu.pprof",
            vec!["-show=main\\."],
            o(|o| o.show = "main\\.".into()),
        ),
        (
            "cpu.pprof",
            vec!["-show_from=main\\.mapHeavy"],
            o(|o| o.show_from = "main\\.mapHeavy".into()),
        ),
        (
            "cpu.pprof",
            vec!["-prune_from=runtime\\.mapassign"],
            o(|o| o.prune_from = "runtime\\.mapassign".into()),
        ),
        (
            "heap.pprof",
            vec!["-tagfocus=1kb:"],
            o(|o| o.tagfocus = "1kb:".into()),
        ),
        (
            "heap.pprof",
            vec!["-tagignore=bytes=:144"],
            o(|o| o.tagignore = "bytes=:144".into()),
        ),
        (
            "heap.pprof",
            vec!["-taghide=bytes"],
            o(|o| o.taghide = "bytes".into()),
        ),
        (
            "block.pprof",
            vec!["-focus=main", "-hide=sync"],
            o(|o| {
                o.focus = "main".into();
                o.hide = "sync".into();
            }),
        ),
        (
            LARGE,
            vec!["-focus=runtime", "-ignore=gc", "-tagfocus=x"],
            o(|o| {
                o.focus = "runtime".into();
                o.ignore = "gc".into();
                o.tagfocus = "x".into();
            }),
        ),
        (
            LARGE,
            vec![
                "-show_from=main\\.",
                "-hide=^runtime\\.",
                "-prune_from=Syscall",
            ],
            o(|o| {
                o.show_from = "main\\.".into();
                o.hide = "^runtime\\.".into();
                o.prune_from = "Syscall".into();
            }),
        ),
    ];
    for (source, args, opts) in cases {
        let mut go_args = args.clone();
        go_args.push(source);
        let Some(want) = go_pprof(&go_args) else {
            return;
        };
        assert_eq!(
            canonical(&oxprof(source, None, &opts)),
            canonical(&want),
            "{go_args:?}"
        );
    }

    let bases = [
        ("-base=block.pprof", (false, false)),
        ("-diff_base=block.pprof", (true, false)),
    ];
    for (flag, (diff, normalize)) in bases {
        let want = go_pprof(&[flag, "mutex.pprof"]).unwrap();
        let got = oxprof(
            "mutex.pprof",
            Some(("block.pprof", diff, normalize)),
            &FilterOptions::default(),
        );
        assert_eq!(canonical(&got), canonical(&want), "{flag}");
    }
    let want = go_pprof(&["-base", LARGE, LARGE]).unwrap();
    let got = oxprof(
        LARGE,
        Some((LARGE, false, false)),
        &FilterOptions::default(),
    );
    assert!(got.sample.is_empty());
    assert_eq!(canonical(&got), canonical(&want), "-base of itself");

    let want = go_pprof(&["-normalize", "-base=block.pprof", "mutex.pprof"]).unwrap();
    let got = oxprof(
        "mutex.pprof",
        Some(("block.pprof", false, true)),
        &FilterOptions::default(),
    );
    assert_eq!(canonical(&got), canonical(&want), "-normalize");
}

#[test]
fn merging_agrees_with_go_tool_pprof() {
    for sources in [
        vec!["heap.pprof", "heap.pprof"],
        vec!["cpu.pprof", LARGE, "cpu.pprof"],
    ] {
        let Some(want) = go_pprof(&sources) else {
            return;
        };
        let got = Profile::combine(sources.iter().map(|s| read(s)).collect()).unwrap();
        assert_eq!(canonical(&got), canonical(&want), "{sources:?}");
        assert_eq!(
            (got.time_nanos, got.duration_nanos),
            (want.time_nanos, want.duration_nanos)
        );
        assert_eq!(got.mapping.len(), want.mapping.len());
    }
}

/// `go tool pprof -traces` output as stack text → summed value in nanoseconds; `None` without `go`.
fn go_traces(args: &[&str]) -> Option<BTreeMap<String, i64>> {
    let out = oxprof_testutil::go_pprof()?
        .arg("-traces")
        .args(args)
        .current_dir(GO_TESTDATA)
        .output()
        .expect("run go tool pprof");
    let text = String::from_utf8(out.stdout).unwrap();
    let mut stacks = BTreeMap::new();
    for block in text
        .split("-----------+-------------------------------------------------------\n")
        .skip(1)
    {
        if block.trim().is_empty() {
            continue;
        }
        let (value, frames) = block.split_at(10);
        let frames: Vec<&str> = frames.lines().map(str::trim).collect();
        *stacks.entry(frames.join("\n")).or_insert(0) += parse_duration(value.trim());
    }
    Some(stacks)
}

fn parse_duration(text: &str) -> i64 {
    let split = text.find(|c: char| c.is_ascii_alphabetic()).unwrap();
    let (number, unit) = text.split_at(split);
    let scale = match unit {
        "ns" => 1.0,
        "us" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        _ => panic!("unexpected unit in {text:?}"),
    };
    (number.parse::<f64>().unwrap() * scale).round() as i64
}

/// The aggregated profile's stacks, rendered as `-traces` renders frames at each granularity.
fn our_traces(granularity: Granularity, inlines: bool) -> BTreeMap<String, i64> {
    let mut p = oxprof("cpu.pprof", None, &FilterOptions::default());
    p.aggregate_to(granularity, inlines, false).unwrap();
    let functions: HashMap<u64, &Function> = p.function.iter().map(|f| (f.id, f)).collect();
    let frames: HashMap<u64, Vec<String>> = p
        .location
        .iter()
        .map(|loc| {
            let outermost = loc.line.len().saturating_sub(1);
            let lines = loc.line.iter().enumerate().map(|(i, l)| {
                let f = functions[&l.function_id];
                let inline = if i < outermost { " (inline)" } else { "" };
                let text = match granularity {
                    Granularity::Functions => f.name.clone(),
                    Granularity::FileFunctions => format!("{} {}", f.name, f.filename),
                    Granularity::Files => f.filename.clone(),
                    Granularity::Lines => format!("{} {}:{}", f.name, f.filename, l.line),
                    Granularity::Addresses => {
                        format!("{:016x} {} {}:{}", loc.address, f.name, f.filename, l.line)
                    }
                };
                text + inline
            });
            (loc.id, lines.collect())
        })
        .collect();
    let mut stacks = BTreeMap::new();
    for s in &p.sample {
        let text: Vec<&str> = s
            .location_id
            .iter()
            .flat_map(|id| frames[id].iter().map(String::as_str))
            .collect();
        *stacks.entry(text.join("\n")).or_insert(0) += s.value[1];
    }
    stacks
}

#[test]
fn granularities_agree_with_go_tool_pprof() {
    let cases = [
        (vec![], Granularity::Functions, true),
        (vec!["-noinlines"], Granularity::Functions, false),
        (vec!["-filefunctions"], Granularity::FileFunctions, true),
        (vec!["-files", "-noinlines"], Granularity::Files, false),
        (vec!["-lines"], Granularity::Lines, true),
        (
            vec!["-addresses", "-noinlines"],
            Granularity::Addresses,
            false,
        ),
    ];
    for (flags, granularity, inlines) in cases {
        let mut args = flags.clone();
        args.push("cpu.pprof");
        let Some(want) = go_traces(&args) else { return };
        assert!(!want.is_empty());
        assert_eq!(our_traces(granularity, inlines), want, "{flags:?}");
    }
}

// ---- properties ----

const NAMES: [&str; 6] = ["main", "run", "alloc", "runtime.gc", "sync.wait", "io.read"];

prop_compose! {
    fn arb_profile()(
        lines in prop::collection::vec(prop::collection::vec(1u64..=6, 1..3), 1..8),
        samples in prop::collection::vec(
            (prop::collection::vec(1u64..8, 0..6), 0i64..1000, 0usize..3), 0..20),
    ) -> Profile {
        let mut p = profile(&NAMES, &[]);
        p.location = (1..).zip(&lines).map(|(id, fs)| location(id, fs)).collect();
        let n = p.location.len() as u64;
        p.sample = samples
            .iter()
            .map(|(stack, v, label)| {
                let stack: Vec<u64> = stack.iter().map(|id| 1 + (id - 1) % n).collect();
                let mut s = sample(&stack, *v);
                s.label = (0..*label).map(|i| Label::num("bytes", 100 * i as i64, "bytes")).collect();
                s
            })
            .collect();
        p
    }
}

fn arb_regex() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "",
        "main",
        "^run",
        "runtime\\.",
        "alloc|io",
        "nothing",
        "\\.go$",
    ])
    .prop_map(String::from)
}

proptest! {
    #[test]
    fn merging_sums_totals(a in arb_profile(), b in arb_profile()) {
        let want: Vec<i64> = totals(&a).iter().zip(totals(&b)).map(|(x, y)| x + y).collect();
        let merged = Profile::merge(vec![a, b]).unwrap();
        prop_assert_eq!(totals(&merged), want);
        let ids: Vec<u64> = merged.location.iter().map(|l| l.id).collect();
        prop_assert_eq!(ids, (1..=merged.location.len() as u64).collect::<Vec<_>>());
    }

    #[test]
    fn compacting_keeps_totals_and_is_idempotent(p in arb_profile()) {
        let mut once = p.clone();
        once.compact().unwrap();
        prop_assert_eq!(totals(&once), totals(&p));
        let mut twice = once.clone();
        twice.compact().unwrap();
        prop_assert_eq!(twice, once);
    }

    #[test]
    fn scaling_by_two_doubles(p in arb_profile()) {
        let mut doubled = p.clone();
        doubled.scale(2.0);
        let want: Vec<i64> = totals(&p).iter().map(|t| 2 * t).collect();
        prop_assert_eq!(totals(&doubled), want);
    }

    #[test]
    fn filters_never_increase_totals(
        p in arb_profile(),
        focus in arb_regex(), ignore in arb_regex(), hide in arb_regex(), show in arb_regex(),
        show_from in arb_regex(), prune_from in arb_regex(),
        tagfocus in prop::sample::select(vec!["", "100b:", ":0", "bytes=200", "thread=x"]),
    ) {
        let before = totals(&p);
        let mut filtered = p;
        let units = filtered.num_label_units();
        let opts = FilterOptions {
            focus, ignore, hide, show, show_from, prune_from,
            tagfocus: tagfocus.into(),
            ..FilterOptions::default()
        };
        filtered.apply_filters(&opts, &units).unwrap();
        for (after, before) in totals(&filtered).iter().zip(&before) {
            prop_assert!(after <= before);
        }
        for g in [Granularity::Functions, Granularity::Files, Granularity::Lines] {
            let mut aggregated = filtered.clone();
            aggregated.aggregate_to(g, false, false).unwrap();
            prop_assert_eq!(totals(&aggregated), totals(&filtered));
        }
    }
}
