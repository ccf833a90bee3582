//! `oxprof` against `go tool pprof`: the same commands on the same profiles print the same text.
//!
//! Goldens in `testdata/go/golden/` are what Go 1.19's `go tool pprof` printed; the file name says
//! the command. Header lines (File, Type, Time) vary between pprof versions, so the comparison
//! starts at `Showing nodes` (or at the first table line for reports without one).
//!
//! The interop half writes profiles with oxprof (`-proto`, merged, filtered) and has the real
//! `go tool pprof` read them. It needs `go`: outside CI a missing `go` skips those cases with a
//! message; under `CI=true` it fails, because CI must install it.

use oxprof_testutil::go_pprof;

use crate::{run, scratch, stderr, success, testdata};

/// The part of a report every pprof version prints the same way.
fn comparable(report: &str) -> &str {
    let starts = ["Showing nodes", "-----------+", "      flat  flat%"];
    let at = report
        .lines()
        .scan(0, |offset, line| {
            let here = *offset;
            *offset += line.len() + 1;
            Some((here, line))
        })
        .find(|(_, line)| starts.iter().any(|s| line.starts_with(s)))
        .map_or(0, |(offset, _)| offset);
    &report[at..]
}

fn assert_same(what: &str, got: &str, want: &str) {
    if got != want {
        let diff: Vec<String> = want
            .lines()
            .zip(got.lines().chain(std::iter::repeat("<missing>")))
            .enumerate()
            .filter(|(_, (w, g))| w != g)
            .take(5)
            .map(|(i, (w, g))| format!("line {}:\n  want {w:?}\n  got  {g:?}", i + 1))
            .collect();
        panic!(
            "{what}: output differs from go tool pprof ({} vs {} lines)\n{}\n--- got ---\n{got}",
            got.lines().count(),
            want.lines().count(),
            diff.join("\n")
        );
    }
}

/// One golden: the oxprof arguments that must reproduce `golden` from `input`.
struct Case {
    golden: &'static str,
    input: &'static str,
    args: &'static [&'static str],
}

const CASES: &[Case] = &[
    Case {
        golden: "go/golden/cpu.top.txt",
        input: "go/cpu.pprof",
        args: &["-top"],
    },
    Case {
        golden: "go/golden/cpu.top-cum.txt",
        input: "go/cpu.pprof",
        args: &["-top", "-cum"],
    },
    Case {
        golden: "go/golden/cpu.top-files.txt",
        input: "go/cpu.pprof",
        args: &["-top", "-files"],
    },
    Case {
        golden: "go/golden/cpu.top-lines.txt",
        input: "go/cpu.pprof",
        args: &["-top", "-lines"],
    },
    Case {
        golden: "go/golden/cpu.top-nodecount5.txt",
        input: "go/cpu.pprof",
        args: &["-top", "-nodecount=5"],
    },
    Case {
        golden: "go/golden/cpu.top-focus-hot.txt",
        input: "go/cpu.pprof",
        args: &["-top", "-focus", r"main\.hot"],
    },
    Case {
        golden: "go/golden/cpu.top-hide-runtime.txt",
        input: "go/cpu.pprof",
        args: &["-top", "-hide", r"^runtime\."],
    },
    Case {
        golden: "go/golden/cpu.top-ignore-map.txt",
        input: "go/cpu.pprof",
        args: &["-top", "-ignore", "mapassign"],
    },
    Case {
        golden: "go/golden/cpu.tree.txt",
        input: "go/cpu.pprof",
        args: &["-tree"],
    },
    Case {
        golden: "go/golden/cpu.peek-mapHeavy.txt",
        input: "go/cpu.pprof",
        args: &["-peek", r"main\.mapHeavy"],
    },
    Case {
        golden: "go/golden/cpu.traces.txt",
        input: "go/cpu.pprof",
        args: &["-traces"],
    },
    Case {
        golden: "go/golden/cpu.raw.txt",
        input: "go/cpu.pprof",
        args: &["-raw"],
    },
    Case {
        golden: "go/golden/heap.top-alloc_objects.txt",
        input: "go/heap.pprof",
        args: &["-top", "-sample_index=alloc_objects"],
    },
    Case {
        golden: "go/golden/heap.top-alloc_space.txt",
        input: "go/heap.pprof",
        args: &["-top", "-sample_index=alloc_space"],
    },
    Case {
        golden: "go/golden/heap.top-inuse_objects.txt",
        input: "go/heap.pprof",
        args: &["-top", "-inuse_objects"],
    },
    Case {
        golden: "go/golden/heap.top-inuse_space.txt",
        input: "go/heap.pprof",
        args: &["-top", "-sample_index=inuse_space"],
    },
    Case {
        golden: "go/golden/block.top.txt",
        input: "go/block.pprof",
        args: &["-top"],
    },
    Case {
        golden: "go/golden/block.top-contentions.txt",
        input: "go/block.pprof",
        args: &["-top", "-sample_index=contentions"],
    },
    Case {
        golden: "go/golden/mutex.top.txt",
        input: "go/mutex.pprof",
        args: &["-top"],
    },
    Case {
        golden: "go/golden/goroutine.top.txt",
        input: "go/goroutine.pprof",
        args: &["-top"],
    },
    Case {
        golden: "go/golden/goroutine.traces.txt",
        input: "go/goroutine.pprof",
        args: &["-traces"],
    },
    Case {
        golden: "pprof-upstream/large.top.txt",
        input: "pprof-upstream/large.cpu",
        args: &["-top"],
    },
];

fn check_case(case: &Case, input: &str) {
    let want = std::fs::read_to_string(testdata(case.golden)).expect("read golden");
    let mut args: Vec<&str> = case.args.to_vec();
    args.push(input);
    let out = run(&args);
    assert!(
        out.status.success(),
        "oxprof {args:?} failed: {}",
        stderr(&out)
    );
    let got = String::from_utf8(out.stdout).expect("utf-8 output");
    assert_same(
        &format!("oxprof {}", args.join(" ")),
        comparable(&got),
        comparable(&want),
    );
}

#[test]
fn every_golden_matches_go_tool_pprof() {
    for case in CASES {
        check_case(case, &testdata(case.input));
    }
}

/// Every report must survive a trip through oxprof's own encoder: decode → encode → decode.
#[test]
fn every_golden_matches_after_a_proto_round_trip() {
    let dir = scratch("roundtrip");
    for case in CASES {
        let copy = dir.join(case.input.replace('/', "_") + ".pb.gz");
        let copy = copy.to_str().unwrap();
        success(&run(&["-proto", "-output", copy, &testdata(case.input)]));
        check_case(case, copy);
    }
}

/// Profiles oxprof writes (plain, merged, filtered, diffed) are read by `go tool pprof`, which
/// then prints the same report oxprof prints for them.
#[test]
fn go_tool_pprof_reads_what_oxprof_writes() {
    if go_pprof().is_none() {
        return;
    }
    let dir = scratch("interop");
    let cpu = &testdata("go/cpu.pprof");
    let heap = &testdata("go/heap.pprof");
    let legacy = &testdata("pprof-upstream/cppbench.cpu");
    let variants: &[(&str, &[&str])] = &[
        ("plain", &[cpu]),
        ("merged", &[cpu, cpu]),
        ("focused", &["-focus", "mapHeavy", cpu]),
        ("hidden", &["-hide", "^runtime\\.", cpu]),
        ("lines", &["-lines", cpu]),
        ("based", &["-base", cpu, cpu, cpu]),
        ("diffed", &["-diff_base", cpu, cpu]),
        ("heap", &["-sample_index=alloc_space", heap]),
        ("legacy", &[legacy]),
    ];
    for (name, args) in variants {
        let path = dir.join(format!("{name}.pb.gz"));
        let path_s = path.to_str().unwrap();
        let mut write_args = vec!["-proto", "-output", path_s];
        write_args.extend_from_slice(args);
        let out = run(&write_args);
        assert!(out.status.success(), "{name}: {}", stderr(&out));

        let raw = go_pprof()
            .unwrap()
            .args(["-symbolize=none", "-raw", path_s])
            .output()
            .unwrap();
        assert!(
            raw.status.success() && raw.stderr.is_empty(),
            "{name}: go tool pprof -raw complained: {}",
            String::from_utf8_lossy(&raw.stderr)
        );
        let go_top = go_pprof()
            .unwrap()
            .args(["-symbolize=none", "-top", path_s])
            .output()
            .unwrap();
        let go_top = String::from_utf8(go_top.stdout).unwrap();
        let ox_top = success(&run(&["-top", path_s]));
        assert_same(
            &format!("{name}: -top of the written profile"),
            comparable(&ox_top),
            comparable(&go_top),
        );

        // oxprof re-reads its own output identically.
        let again = dir.join(format!("{name}.again.pb.gz"));
        let again = again.to_str().unwrap();
        success(&run(&["-proto", "-output", again, path_s]));
        assert_eq!(
            success(&run(&["-raw", path_s])),
            success(&run(&["-raw", again])),
            "{name}"
        );
    }
}
