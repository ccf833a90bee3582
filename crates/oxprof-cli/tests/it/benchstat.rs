//! `oxprof benchstat` from the outside: byte-for-byte against benchstat's published outputs
//! (testdata/benchstat, see its README), against statistics worked out by hand for real
//! `go test -bench` output (testdata/go/gobench.txt), and its error paths.

use std::path::Path;

use crate::{run, scratch, stderr, success, testdata};

fn golden(name: &str) -> String {
    let path = oxprof_testutil::testdata(&format!("benchstat/{name}"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// Runs benchstat in testdata/benchstat, so columns are labelled with bare file names.
fn benchstat_in_testdata(args: &[&str]) -> std::process::Output {
    let dir = oxprof_testutil::testdata("benchstat");
    std::process::Command::new(env!("CARGO_BIN_EXE_oxprof"))
        .arg("benchstat")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run oxprof")
}

#[test]
fn matches_benchstats_documented_comparison() {
    let out = benchstat_in_testdata(&["old.txt", "new.txt"]);
    assert_eq!(success(&out), golden("oldnew.golden"));
    assert_eq!(stderr(&out), "");
}

#[test]
fn csv_matches_benchstat() {
    let out = benchstat_in_testdata(&["-format", "csv", "old.txt", "new.txt"]);
    assert_eq!(success(&out), golden("oldnew.csv.golden"));
    assert_eq!(stderr(&out), "");
}

/// Small samples, exact units, zero centres and mismatched benchmark sets: warnings, `∞`, `?`
/// and the geomean row as benchstat prints them.
#[test]
fn matches_benchstat_on_its_edge_cases() {
    for case in ["smallSample", "units", "zero", "issue19565", "issue19634"] {
        let before = format!("before={case}.before.txt");
        let after = format!("after={case}.after.txt");
        let out = benchstat_in_testdata(&[&before, &after]);
        assert_eq!(success(&out), golden(&format!("{case}.golden")), "{case}");
    }
}

/// gobench.txt has 6 runs of each benchmark. With 6 samples the 95% interval of the median is
/// [min, max] (the binomial band [1, 6) holds 62/64 = 0.969), so by hand:
///
/// - SortInts: 22396 22501 22583 23161 25344 25690 ns → median 22872 → 22.87µ;
///   max(25690/22872 − 1, 1 − 22396/22872) = 12.3% → ±12%.
/// - Join: 25.21 25.23 25.81 25.99 28.42 35.88 → 25.90n; 35.88/25.90 − 1 = 38.5% → ±39%.
/// - Map/xn=10: 159.4 159.4 160.9 161.1 161.4 162.7 → 161.0n; 162.7/161 − 1 = 1.06% → ±1%.
/// - Map/xn=1000: 20875 20912 21118 21161 21328 24067 → 21139.5 → 21.14µ; 13.8% → ±14%.
/// - geomean of the four medians: 1.1916e-6 → 1.192µ.
/// - MB/s becomes B/s: Join's median (384.77 + 387.48)/2 = 386.125 MB/s = 386.125e6 B/s =
///   368.2 MiB/s; 1 − 278.69/386.125 = 27.8% → ±28%.
/// - B/op medians 8216, 16, 292, 41097 → 8.023Ki, 16.00, 292.0, 40.13Ki (one scale per row),
///   geomean 1.094Ki; allocs/op geomean (2·1·1·6)^¼ = 1.861.
#[test]
fn summarises_go_test_output_as_worked_out_by_hand() {
    let gobench = testdata("go/gobench.txt");
    let text = success(&run(&["benchstat", &format!("gobench={gobench}")]));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[..4],
        [
            "goos: linux",
            "goarch: amd64",
            "pkg: benchfmt",
            "cpu: AMD EPYC"
        ]
    );
    // Columns are padded to the table's widest entries; compare with spaces collapsed.
    let collapsed: Vec<String> = lines
        .iter()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    for want in [
        "SortInts-2 22.87µ ± 12%",
        "Join-2 25.90n ± 39%",
        "Map/xn=10-2 161.0n ± 1%",
        "Map/xn=1000-2 21.14µ ± 14%",
        "SortInts-2 8.023Ki ± 0%",
        "Join-2 16.00 ± 0%",
        "Map/xn=10-2 292.0 ± 0%",
        "Map/xn=1000-2 40.13Ki ± 0%",
        "Map/xn=1000-2 6.000 ± 0%",
        "Join-2 368.2Mi ± 28%",
    ] {
        assert!(collapsed.iter().any(|l| l == want), "no {want} in\n{text}");
    }
    let geomeans: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("geomean"))
        .map(str::trim)
        .collect();
    assert_eq!(geomeans, ["1.192µ", "1.094Ki", "1.861"]);
    let units: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.split('│').nth(1).map(str::trim))
        .filter(|c| *c != "gobench")
        .collect();
    assert_eq!(units, ["sec/op", "B/op", "allocs/op", "B/s"]);
}

/// A copy of gobench.txt with SortInts twice as fast. 6 completely separated samples give the
/// smallest two-sided U-test p-value, 2/C(12,6) = 2/924 = 0.0022 → `-50.00% (p=0.002 n=6)`.
/// Identical samples sit at the centre of the U distribution: `~ (p=1.000 n=6)`; constant
/// ones (B/op) cannot be tested: `all samples are equal`. The geomean delta is the geomean of
/// the ratios 0.5, 1, 1, 1: 0.5^¼ − 1 = −15.91%.
#[test]
fn compares_against_a_changed_copy_as_worked_out_by_hand() {
    let dir = scratch("benchstat");
    let original = std::fs::read_to_string(testdata("go/gobench.txt")).unwrap();
    let faster: String = original
        .lines()
        .map(|l| {
            if !l.starts_with("BenchmarkSortInts") {
                return format!("{l}\n");
            }
            let f: Vec<&str> = l.split_whitespace().collect();
            let ns: f64 = f[2].parse().unwrap();
            format!(
                "{} {} {} ns/op {} B/op {} allocs/op\n",
                f[0],
                f[1],
                ns / 2.0,
                f[4],
                f[6]
            )
        })
        .collect();
    let new = dir.join("new.txt");
    std::fs::write(&new, faster).unwrap();
    let gobench = testdata("go/gobench.txt");
    let new = new.to_str().unwrap();
    let text = success(&run(&[
        "benchstat",
        &format!("old={gobench}"),
        &format!("new={new}"),
    ]));
    let line = |prefix: &str, nth: usize| -> String {
        text.lines()
            .filter(|l| l.starts_with(prefix))
            .nth(nth)
            .unwrap_or_else(|| panic!("no {prefix} in\n{text}"))
            .to_string()
    };
    assert!(line("SortInts-2 ", 0).contains("11.44µ ± 12%  -50.00% (p=0.002 n=6)"));
    assert!(line("Join-2 ", 0).contains("~ (p=1.000 n=6)"));
    assert!(line("geomean ", 0).trim_end().ends_with("-15.91%"));
    assert!(line("SortInts-2 ", 1).contains("~ (p=1.000 n=6) ¹"));
    assert!(text.contains("\n¹ all samples are equal\n"), "{text}");
}

#[test]
fn csv_warnings_name_their_cells() {
    let out = benchstat_in_testdata(&[
        "-format=csv",
        "before=smallSample.before.txt",
        "after=smallSample.after.txt",
    ]);
    // 100 ns is 100 × 1e-9 s = 1.0000000000000001e-07 in binary floating point; the geomean of
    // one value comes back from exp(ln x) within a few units in the last place.
    let csv = success(&out);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[..3],
        [
            ",before,,after,,,",
            ",sec/op,CI,sec/op,CI,vs base,P",
            "X,1.0000000000000001e-07,∞,1.01e-07,∞,~,p=1.000 n=1",
        ]
    );
    let geomean: Vec<&str> = lines[3].split(',').collect();
    assert_eq!(geomean.len(), 7);
    assert_eq!(
        (geomean[0], geomean[2], geomean[4], geomean[5]),
        ("geomean", "", "", "+1.00%")
    );
    let close = |s: &str, want: f64| (s.parse::<f64>().unwrap() / want - 1.0).abs() < 1e-14;
    assert!(
        close(geomean[1], 1e-7) && close(geomean[3], 1.01e-7),
        "{}",
        lines[3]
    );
    assert_eq!(
        stderr(&out),
        "B3: need >= 6 samples for confidence interval at level 0.95\n\
         D3: need >= 6 samples for confidence interval at level 0.95\n\
         F3: need >= 4 samples to detect a difference at alpha level 0.05\n"
    );
}

#[test]
fn alpha_and_confidence_change_the_verdicts() {
    // p = 0.446 is significant at α = 0.5; at 99% confidence 10 samples span [x(1), x(10)].
    let out = benchstat_in_testdata(&["-alpha", "0.5", "-confidence=0.99", "old.txt", "new.txt"]);
    let text = success(&out);
    assert!(
        text.contains("3.066µ ± 5%   3.070µ ± 4%   +0.15% (p=0.446 n=10)"),
        "{text}"
    );
}

#[test]
fn malformed_lines_are_reported_and_skipped() {
    let dir = scratch("benchstat-bad");
    let path = dir.join("bad.txt");
    std::fs::write(
        &path,
        "BenchmarkA 1 5 ns/op\nBenchmarkB 1 x ns/op\nBenchmarkA 1 7 ns/op\n",
    )
    .unwrap();
    let p = path.to_str().unwrap();
    let out = run(&["benchstat", &format!("bad={p}")]);
    let text = success(&out);
    assert!(text.contains("\nA   6.000n ± ∞ ¹\n"), "{text}");
    assert_eq!(
        stderr(&out),
        format!("{p}:2: parsing measurement: invalid syntax\n")
    );
}

#[test]
fn unreadable_inputs_and_bad_flags_fail_with_one_line() {
    for (args, want) in [
        (
            &["benchstat", "/nonexistent/x.txt"][..],
            "oxprof: reading /nonexistent/x.txt: No such file or directory (os error 2)\n",
        ),
        (
            &["benchstat", "-format", "html", "x"],
            "oxprof: -format must be text or csv\n",
        ),
        (
            &["benchstat"],
            "oxprof: benchstat needs at least one input file (oxprof benchstat -h)\n",
        ),
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(stderr(&out), want);
    }
    let help = success(&run(&["benchstat", "-h"]));
    assert!(help.starts_with("usage: oxprof benchstat [flags] inputs...\n"));
    assert!(Path::new(&testdata("benchstat/README.md")).exists());
}
