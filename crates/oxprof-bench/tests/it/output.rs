//! What the harness prints: Go's format, read back through oxprof-benchfmt; -json; failures.

use oxprof_bench::{black_box, B};

use crate::support;

fn process_data(b: &mut B) {
    let data: Vec<u32> = (0..256).collect();
    b.set_bytes(4 * data.len() as u64);
    b.reset_timer();
    for _ in 0..b.n() {
        black_box(black_box(&data).iter().sum::<u32>());
    }
}

fn sizes(b: &mut B) {
    for n in [10usize, 1000] {
        b.run(&format!("n={n}"), |b| {
            b.report_allocs();
            b.iter(|| vec![0u8; n]);
        });
    }
}

fn with_metric(b: &mut B) {
    let mut steps = 0u64;
    while b.loop_() {
        steps += 3;
    }
    b.report_metric(steps as f64 / b.n() as f64, "steps/op");
}

pub fn parses_back_through_benchfmt() {
    let run = support::run(
        &["--bench", "-benchtime=50x", "-cpu=1,2", "-count=2"],
        &crate::benches!(process_data, sizes, with_metric),
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    let results = oxprof_benchfmt::parse(&run.stdout).unwrap();
    let names: Vec<&str> = results.iter().map(|r| r.name.as_str()).collect();
    // Per benchmark: each -cpu value, each -count repetition.
    assert_eq!(
        names,
        [
            "ProcessData",
            "ProcessData",
            "ProcessData-2",
            "ProcessData-2",
            "Sizes/n=10",
            "Sizes/n=10",
            "Sizes/n=10-2",
            "Sizes/n=10-2",
            "Sizes/n=1000",
            "Sizes/n=1000",
            "Sizes/n=1000-2",
            "Sizes/n=1000-2",
            "WithMetric",
            "WithMetric",
            "WithMetric-2",
            "WithMetric-2",
        ]
    );
    for r in &results {
        assert_eq!(r.iters, 50, "{}", r.name);
        assert_eq!(r.config("pkg"), Some("oxprof-bench/it"));
        assert_eq!(r.config("goos"), Some(std::env::consts::OS));
        assert!(r.value("ns/op").is_some_and(|ns| ns > 0.0), "{}", r.name);
        let base = r.name.base();
        assert_eq!(
            r.value("MB/s").is_some(),
            base == "ProcessData",
            "{}",
            r.name
        );
        assert_eq!(r.value("steps/op"), (base == "WithMetric").then_some(3.0));
    }
    let n1000 = results
        .iter()
        .find(|r| r.name.as_str() == "Sizes/n=1000")
        .unwrap();
    assert_eq!(n1000.value("B/op"), Some(1000.0));
    assert_eq!(n1000.value("allocs/op"), Some(1.0));
    assert!(run.stdout.ends_with("s\n") && run.stdout.contains("\nPASS\nok  \toxprof-bench/it\t"));
}

fn sort_ints(b: &mut B) {
    b.iter(|| {
        let mut v = [3, 1, 2];
        v.sort_unstable();
        v
    });
}

fn join(b: &mut B) {
    b.iter(|| ["a", "b"].join(","));
}

fn map(b: &mut B) {
    for n in [10, 1000] {
        b.run(&format!("xn={n}"), |b| {
            b.iter(|| (0..n).map(|i| (i, i)).collect::<Vec<_>>())
        });
    }
}

/// The name column of `go test -bench . -cpu 2` for the same names, from testdata/go/gobench.txt
/// (written by Go): widths from the longest top-level name, widened with slack by a longer
/// sub-benchmark name.
pub fn names_and_alignment_as_go() {
    let go_names: Vec<String> =
        std::fs::read_to_string(oxprof_testutil::testdata("go/gobench.txt"))
            .unwrap()
            .lines()
            .filter_map(|l| Some(l.split_once('\t')?.0.to_string()))
            .filter(|name| name.starts_with("Benchmark"))
            .fold(Vec::new(), |mut seen, name| {
                if !seen.contains(&name) {
                    seen.push(name);
                }
                seen
            });
    let run = support::run(
        &["--bench", "-benchtime=3x", "-cpu=2"],
        &crate::benches!(sort_ints, join, map),
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines[0], format!("goos: {}", std::env::consts::OS));
    assert_eq!(lines[2], "pkg: oxprof-bench/it");
    let names: Vec<&str> = lines
        .iter()
        .filter_map(|l| Some(l.split_once('\t')?.0))
        .filter(|name| name.starts_with("Benchmark"))
        .collect();
    assert_eq!(names, go_names);

    // -bench matches level by level.
    let run = support::run(
        &[
            "--bench",
            "-benchtime=3x",
            "-cpu=2",
            "-bench=Map/xn=1000$|Join",
        ],
        &crate::benches!(sort_ints, join, map),
    );
    let results = oxprof_benchfmt::parse(&run.stdout).unwrap();
    let names: Vec<&str> = results.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["Join-2", "Map/xn=1000-2"]);
}

pub fn json_events_carry_the_text() {
    let benches = crate::benches!(process_data, sizes);
    let run = support::run(&["--bench", "-benchtime=5x", "-cpu=1", "-json"], &benches);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let events: Vec<&str> = run.stdout.lines().collect();
    assert!(events[0].contains("\"Action\":\"start\""), "{}", events[0]);
    assert!(events.last().unwrap().contains("\"Action\":\"pass\""));
    for e in &events {
        assert!(e.starts_with("{\"Time\":\"") && e.ends_with('}'), "{e}");
        assert!(e.contains(",\"Package\":\"oxprof-bench/it\""), "{e}");
    }
    let actions = |action: &str| {
        events
            .iter()
            .filter(|e| e.contains(&format!("\"Action\":\"{action}\"")) && e.contains("\"Test\""))
            .count()
    };
    // BenchmarkProcessData, BenchmarkSizes and its two sub-benchmarks.
    assert_eq!((actions("run"), actions("pass")), (4, 4));
    // The output events' texts are the text output.
    let text: String = events.iter().filter_map(|e| output_of(e)).collect();
    let results = oxprof_benchfmt::parse(&text).unwrap();
    assert_eq!(results.len(), 3);
    assert!(text.contains("\nPASS\nok  \toxprof-bench/it\t"));
    let result_event = events
        .iter()
        .find(|e| e.contains("BenchmarkSizes/n=10 "))
        .unwrap();
    assert!(
        result_event.contains("\"Test\":\"BenchmarkSizes/n=10\""),
        "{result_event}"
    );
}

/// The `Output` string of a test2json event, unescaped.
fn output_of(event: &str) -> Option<String> {
    let start = event.find(",\"Output\":\"")? + ",\"Output\":\"".len();
    let mut out = String::new();
    let mut chars = event[start..].chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(out),
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'u' => {
                    let hex: String = chars.by_ref().take(4).collect();
                    out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                }
                other => out.push(other),
            },
            c => out.push(c),
        }
    }
    None
}

fn boom(b: &mut B) {
    if b.n() > 1 {
        panic!("boom at n={}", b.n());
    }
}

fn early_exit(b: &mut B) {
    let mut i = 0;
    while b.loop_() {
        i += 1;
        if i == 3 {
            return;
        }
    }
}

pub fn failures_are_reported_and_others_run() {
    let run = support::run(
        &["--bench", "-benchtime=10x", "-cpu=1"],
        &crate::benches!(boom, early_exit, process_data),
    );
    assert_eq!(run.status, 1);
    assert!(
        run.stdout
            .contains("--- FAIL: BenchmarkBoom\n    boom at n=10\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("--- FAIL: BenchmarkEarlyExit\n    benchmark function returned while B::loop_ was still true"),
        "{}",
        run.stdout
    );
    assert_eq!(oxprof_benchfmt::parse(&run.stdout).unwrap().len(), 1);
    assert!(
        run.stdout.contains("\nFAIL\nFAIL\toxprof-bench/it\t"),
        "{}",
        run.stdout
    );
}

pub fn cargo_test_runs_each_once() {
    // `cargo test --benches` passes no `--bench`: every benchmark runs once, as a check.
    let run = support::run(&[], &crate::benches!(process_data, sizes));
    assert_eq!(run.status, 0, "{}", run.stderr);
    let results = oxprof_benchfmt::parse(&run.stdout).unwrap();
    assert_eq!(results.len(), 3);
    assert!(results.iter().all(|r| r.iters == 1));
}
