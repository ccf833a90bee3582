//! `-flame`, `-folded` and folded stacks as input, from the outside: folded stacks against the
//! stacks `go tool pprof -traces` prints, filters and sample index honoured by both outputs, a
//! differential flame graph from `-diff_base`, folded files read wherever a profile is, and bad
//! folded input reported in one line naming the line.

use std::collections::BTreeMap;
use std::process::Output;

use crate::{oxprof, run, scratch, stderr, success, testdata};

/// Stack to summed value, from folded stacks.
fn folded_stacks(text: &str) -> BTreeMap<String, i64> {
    let mut stacks = BTreeMap::new();
    for line in text.lines() {
        let (stack, value) = line.rsplit_once(' ').expect("a count on every line");
        *stacks.entry(stack.to_string()).or_insert(0) += value.parse::<i64>().unwrap();
    }
    stacks
}

/// Stack (root first) to summed value, from `go tool pprof -traces` output whose values are
/// plain numbers with an optional unit suffix (`-unit=ns` prints `10000000ns`).
fn traces_stacks(text: &str) -> BTreeMap<String, i64> {
    let mut stacks = BTreeMap::new();
    let separator = "-----------+-------------------------------------------------------";
    for block in text.split(separator).skip(1) {
        let mut value = None;
        let mut frames = Vec::new();
        for line in block.lines().filter(|l| !l.trim().is_empty()) {
            // `%10s   name` on a sample's first line, the name alone after 13 spaces on the rest;
            // long values (`1180000000ns`) overflow the column.
            let text = line.trim_start();
            let name = if line.len() - text.len() >= 13 {
                text
            } else {
                let (head, name) = text.split_once("   ").unwrap();
                let digits = head.trim_end_matches(|c: char| c.is_ascii_alphabetic());
                value = Some(digits.parse::<i64>().unwrap());
                name
            };
            frames.push(name.trim_end_matches(" (inline)").to_string());
        }
        let Some(value) = value else { continue };
        frames.reverse();
        *stacks.entry(frames.join(";")).or_insert(0) += value;
    }
    stacks
}

#[test]
fn folded_stacks_match_go_tool_pprof_traces() {
    let cpu = testdata("go/cpu.pprof");
    for (index, unit) in [("samples", "minimum"), ("cpu", "ns")] {
        let ours = success(&run(&["-folded", &format!("-sample_index={index}"), &cpu]));
        let Some(mut pprof) = oxprof_testutil::go_pprof() else {
            return;
        };
        let out = pprof
            .args([
                "-traces",
                &format!("-sample_index={index}"),
                &format!("-unit={unit}"),
                &cpu,
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let want = traces_stacks(&String::from_utf8(out.stdout).unwrap());
        assert!(want.len() > 40, "{want:?}");
        assert_eq!(folded_stacks(&ours), want, "sample index {index}");
    }
}

/// Frame titles (`name (value, share...)`) of an SVG flame graph, in document order.
fn svg_titles(svg: &str) -> Vec<String> {
    svg.split("<g class=\"f\"")
        .skip(1)
        .map(|g| {
            let start = g.find("<title>").unwrap() + "<title>".len();
            let end = g.find("</title>").unwrap();
            g[start..end].to_string()
        })
        .collect()
}

#[test]
fn flame_and_folded_honour_filters_and_sample_index() {
    let cpu = testdata("go/cpu.pprof");
    let dir = scratch("flame");
    let svg_path = dir.join("focus.svg");
    let svg_arg = svg_path.to_str().unwrap();
    let flags = [
        "-sample_index=samples",
        "-focus=mapHeavy",
        "-hide=^runtime\\.mallocgc$",
    ];
    let out = run(&[&["-flame", svg_arg][..], &flags, &[&cpu]].concat());
    assert!(success(&out).is_empty());
    assert!(stderr(&out).contains("Generating report in"));
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    let folded = folded_stacks(&success(
        &run(&[&["-folded"][..], &flags, &[&cpu]].concat()),
    ));

    assert!(
        folded.keys().all(|s| s.contains("main.mapHeavy")),
        "{folded:?}"
    );
    assert!(folded.keys().all(|s| !s.contains("runtime.mallocgc")));
    let total: i64 = folded.values().sum();
    assert!(
        total > 0 && total < 574,
        "focused on part of the 574 samples: {total}"
    );
    let titles = svg_titles(&svg);
    assert_eq!(titles[0], format!("root ({total}, 100.00%)"));
    let mut names: Vec<&str> = titles
        .iter()
        .map(|t| &t[..t.rfind(" (").unwrap()])
        .collect();
    names.sort();
    names.dedup();
    let mut folded_names: Vec<&str> = folded.keys().flat_map(|s| s.split(';')).collect();
    folded_names.push("root");
    folded_names.sort();
    folded_names.dedup();
    assert_eq!(names, folded_names);
    assert!(svg.contains("Active filters: focus=mapHeavy hide=^runtime\\.mallocgc$"));
    assert!(svg.contains("Type: samples"));

    // `-flame -` writes to standard output; the granularity flags apply too.
    let lines = success(&run(&["-flame", "-", "-lines", &cpu]));
    assert!(lines.starts_with("<?xml"), "{}", &lines[..100]);
    assert!(
        lines.contains("<title>main.hot cpuhot/main.go:17 ("),
        "frames are source lines"
    );
}

#[test]
fn diff_base_gives_a_differential_flame_graph() {
    let dir = scratch("flame-diff");
    let before = dir.join("before.folded");
    let after = dir.join("after.folded");
    std::fs::write(&before, "main;grew 10\nmain;shrank 30\nmain;same 20\n").unwrap();
    std::fs::write(&after, "main;grew 40\nmain;shrank 10\nmain;same 20\n").unwrap();
    let (before, after) = (before.to_str().unwrap(), after.to_str().unwrap());
    let base = format!("-diff_base={before}");

    let folded = success(&run(&["-folded", &base, after]));
    assert_eq!(
        folded,
        "main;grew 10 40\nmain;same 20 20\nmain;shrank 30 10\n"
    );

    let svg = success(&run(&["-flame=-", &base, after]));
    assert!(svg.contains("Differential Flame Graph"));
    let fill_of = |name: &str| {
        let g = svg
            .split("<g class=\"f\"")
            .find(|g| g.contains(&format!("<title>{name} (")))
            .unwrap();
        let start = g.find("fill=\"").unwrap() + 6;
        g[start..start + g[start..].find('"').unwrap()].to_string()
    };
    assert_eq!(fill_of("grew"), "rgb(255,0,0)");
    assert_eq!(fill_of("shrank"), "rgb(70,70,255)");
    assert_eq!(fill_of("same"), "rgb(255,255,255)");
    assert!(svg.contains("<title>grew (40, 57.14%, before 10; self 40, before 10, +30)</title>"));
}

#[test]
fn folded_files_are_read_as_profiles() {
    let dir = scratch("folded-in");
    let path = dir.join("app.folded");
    std::fs::write(
        &path,
        "# from perf\nmain;parse;lex 30\nmain;parse 10\nmain;eval 60\n",
    )
    .unwrap();
    let path = path.to_str().unwrap();
    let top = success(&run(&["-top", path]));
    assert!(top.contains("Type: samples"), "{top}");
    for row in [
        "60 60.00% 60.00%         60 60.00%  eval",
        "30 30.00% 90.00%         30 30.00%  lex",
    ] {
        assert!(top.contains(row), "{top}");
    }
    let proto = dir.join("app.pb.gz");
    success(&run(&[
        "-proto",
        &format!("-output={}", proto.display()),
        path,
    ]));
    let again = success(&run(&["-folded", proto.to_str().unwrap()]));
    assert_eq!(again, "main;eval 60\nmain;parse 10\nmain;parse;lex 30\n");
    // The shell takes the flame command with its file.
    let svg = dir.join("shell.svg");
    let out = oxprof(&dir, &[path], &format!("flame {}\n", svg.display()));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(std::fs::read_to_string(&svg)
        .unwrap()
        .contains("<title>lex (30, 30.00%; self 30)</title>"));
}

/// Asserts a failure: exit status 2 and one `oxprof: ` line on stderr, returned.
fn failure(out: &Output) -> String {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    assert_eq!(err.lines().count(), 1, "one line expected: {err:?}");
    err.trim_end().to_string()
}

#[test]
fn bad_folded_input_is_one_line_naming_the_line() {
    let dir = scratch("folded-bad");
    for (name, content, want) in [
        (
            "count",
            "main;a 10\nmain;b 1O\n",
            "line 2: count \"1O\" is not a whole number",
        ),
        (
            "huge",
            "main;a 10\nmain;b 99999999999999999999\n",
            "line 2: count 99999999999999999999 does not fit in 64 bits",
        ),
        (
            "sum",
            "a 9223372036854775800\nb 8\n",
            "line 2: the counts add up to more than 64 bits hold",
        ),
        (
            "frame",
            "main;a 1\n\nmain;;b 2\n",
            "line 3: empty frame name in \"main;;b\"",
        ),
        (
            "stack",
            "main;a 1\n 2\n",
            "line 2: no stack before the count 2",
        ),
        (
            "count-missing",
            "main;a 1\nmain;b\n",
            "line 2: no count after the stack in \"main;b\"",
        ),
        ("empty", "", "unrecognized profile format: empty input"),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, content).unwrap();
        let err = failure(&run(&["-top", path.to_str().unwrap()]));
        assert!(
            err.starts_with(&format!("oxprof: {}: ", path.display())),
            "{err}"
        );
        assert!(err.contains(want), "{name}: {err}");
    }
    let err = failure(&run(&["-folded", "-mean", &testdata("go/cpu.pprof")]));
    assert_eq!(err, "oxprof: -mean does not apply to -folded: a flame graph adds frames up, and means do not add up");
}
