//! The journey end to end, on a reduced graph: every stage of the `havlak` binary finds the
//! same loops, v1's CPU profile points at hash-map code and the tuned stage's does not, and
//! v1's heap profile names the functions that allocate.

use std::path::Path;
use std::process::Command;

use oxprof_profile::{Granularity, Profile};
use regex::Regex;

const HAVLAK: &str = env!("CARGO_BIN_EXE_havlak");

/// Hash-map code as Rust's std names it: hashbrown's tables, SipHash, `HashMap`, `HashSet`.
const HASH_MAP_CODE: &str =
    r"hashbrown::|HashMap|HashSet|hash::sip::|BuildHasher::hash_one|RandomState";

/// A graph of two loop trees (15,200 loops), few searches: a second or so per stage.
const REDUCED: [&str; 3] = ["-trees=2", "-dummyloops=50", "-iterations=4"];

/// Runs `havlak` and returns its standard output; fails the test on a failure.
fn havlak(args: &[&str]) -> String {
    let out = Command::new(HAVLAK)
        .args(args)
        .output()
        .expect("havlak runs");
    assert!(
        out.status.success(),
        "havlak {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

fn loops_line(out: &str) -> &str {
    out.lines()
        .find(|l| l.starts_with("# of loops:"))
        .unwrap_or_else(|| panic!("no loop count in {out:?}"))
}

/// Reads a profile at function granularity, as `oxprof` reports it by default.
fn read_profile(path: &Path) -> Profile {
    let bytes = std::fs::read(path).expect("profile written");
    let mut profile = Profile::parse(&bytes).expect("a valid profile");
    profile
        .aggregate_to(Granularity::Functions, true, false)
        .expect("aggregated");
    profile
}

/// The `-top` rows of `profile` for sample type `sample_type`, heaviest first.
fn top(profile: &Profile, sample_type: &str, rows: usize) -> Vec<oxprof_report::top::TextItem> {
    top_sorted(profile, sample_type, rows, false)
}

/// The `-top` rows, by flat value or (`-cum`) by cumulative value.
fn top_sorted(
    profile: &Profile,
    sample_type: &str,
    rows: usize,
    cum_sort: bool,
) -> Vec<oxprof_report::top::TextItem> {
    let sample_index = profile
        .sample_type
        .iter()
        .position(|t| t.ty == sample_type)
        .unwrap_or_else(|| panic!("no {sample_type} in the profile"));
    let options = oxprof_report::Options {
        sample_index,
        node_count: Some(rows),
        cum_sort,
        ..Default::default()
    };
    oxprof_report::top::text_items(profile, &options)
        .expect("a top report")
        .0
}

#[test]
fn every_stage_finds_the_same_loops() {
    let expected =
        "# of loops: 15200 (plus 1 artificial root node), nested 3 deep; 5 searches agree";
    let variants: [&[&str]; 7] = [
        &["-stage=v1"],
        &["-stage=v2"],
        &["-stage=v4"],
        &["-stage=v5"],
        &["-stage=v5", "-threads=2"],
        &["-stage=tuned"],
        &["-stage=v6", "-reuseloopgraph=false", "-threads=3"],
    ];
    for variant in variants {
        let args: Vec<&str> = variant.iter().chain(&REDUCED).copied().collect();
        assert_eq!(loops_line(&havlak(&args)), expected, "{variant:?}");
    }
}

#[test]
fn v1_cpu_profile_points_at_hash_maps_and_the_tuned_one_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let hash_map_code = Regex::new(HASH_MAP_CODE).unwrap();
    let profile_of = |stage: &str| {
        let path = dir.path().join(format!("{stage}.cpu.pprof"));
        let profile_flag = format!("-cpuprofile={}", path.display());
        let stage_flag = format!("-stage={stage}");
        havlak(&[
            &stage_flag,
            &profile_flag,
            "-cpuprofilerate=1000",
            "-trees=2",
            "-dummyloops=0",
            "-iterations=8",
        ]);
        read_profile(&path)
    };

    let v1_profile = profile_of("v1");
    let v1 = top(&v1_profile, "cpu", 10);
    let names: Vec<&str> = v1.iter().map(|i| i.name.as_str()).collect();
    assert!(
        names.iter().any(|n| hash_map_code.is_match(n)),
        "no hash-map code in v1's top 10: {names:#?}"
    );
    // v1's own functions call the hash maps: below the thread's entry frames, they hold most
    // of the time by cumulative value (by flat value they rank around tenth, in or out of the
    // top 10 with the samples' noise).
    let by_cum = top_sorted(&v1_profile, "cpu", 30, true);
    let whole = by_cum[0].cum;
    let v1_cum = by_cum
        .iter()
        .filter(|i| i.name.contains("havlak::stages::v1::"))
        .map(|i| i.cum)
        .max()
        .unwrap_or(0);
    assert!(
        v1_cum * 2 > whole,
        "v1's own code holds {v1_cum} of {whole}: {:#?}",
        by_cum.iter().map(|i| (&i.name, i.cum)).collect::<Vec<_>>()
    );

    let tuned = top(&profile_of("tuned"), "cpu", 10);
    let names: Vec<&str> = tuned.iter().map(|i| i.name.as_str()).collect();
    assert!(
        names.iter().any(|n| n.contains("havlak::stages::v6::")),
        "{names:#?}"
    );
    assert!(
        !names.iter().any(|n| hash_map_code.is_match(n)),
        "hash-map code in the tuned stage's top 10: {names:#?}"
    );
}

/// Bytes of one sample type per function, each sample charged to its innermost frame in
/// havlak's own code (what `oxprof -show='havlak::'` shows as flat), heaviest first.
fn allocations_by_havlak_function(profile: &Profile, sample_type: &str) -> Vec<(String, i64)> {
    let index = profile
        .sample_type
        .iter()
        .position(|t| t.ty == sample_type)
        .unwrap_or_else(|| panic!("no {sample_type} in the heap profile"));
    let mut by_function = std::collections::HashMap::<String, i64>::new();
    for sample in &profile.sample {
        let innermost = sample
            .location_id
            .iter()
            .filter_map(|id| profile.location.iter().find(|l| l.id == *id))
            .flat_map(|l| &l.line)
            .filter_map(|line| profile.function.iter().find(|f| f.id == line.function_id))
            .map(|f| f.name.as_str())
            .find(|name| name.contains("havlak::"));
        if let Some(name) = innermost {
            *by_function.entry(name.to_string()).or_default() += sample.value[index];
        }
    }
    let mut sorted: Vec<(String, i64)> = by_function.into_iter().collect();
    sorted.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    sorted
}

#[test]
fn v1_heap_profile_names_the_allocating_functions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.heap.pprof");
    let profile_flag = format!("-memprofile={}", path.display());
    havlak(&[
        "-stage=v1",
        &profile_flag,
        "-memprofilerate=4096",
        "-trees=2",
        "-dummyloops=0",
        "-iterations=2",
    ]);
    let profile = read_profile(&path);

    // Everything allocated: the search's bookkeeping first, then the loop graph's arena.
    let allocated = allocations_by_havlak_function(&profile, "alloc_space");
    let names: Vec<&str> = allocated.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names.first(),
        Some(&"havlak::stages::v1::find_loops"),
        "{allocated:#?}"
    );
    for expected in [
        "havlak::lsg::Lsg<S>::new_loop",
        "<std::collections::hash::set::HashSet<usize> as havlak::lsg::Members>::add",
        "havlak::cfg::Cfg::add_edge",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} not in {allocated:#?}"
        );
    }

    // What the program holds at the end: the graph's edge lists are most of the objects.
    let live = allocations_by_havlak_function(&profile, "inuse_objects");
    assert_eq!(
        live.first().map(|(n, _)| n.as_str()),
        Some("havlak::cfg::Cfg::add_edge"),
        "{live:#?}"
    );
}

#[test]
fn bad_flags_fail_with_one_line() {
    let out = Command::new(HAVLAK).arg("-stage=v3").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("havlak: invalid value \"v3\" for flag -stage: unknown stage"),
        "{stderr}"
    );
}

#[test]
fn benchcount_prints_go_benchmark_results() {
    let out = havlak(&["-stage=tuned", "-trees=1", "-benchcount=3"]);
    let results = oxprof_benchfmt_lines(&out);
    assert_eq!(results, 3, "{out}");
    assert!(out.starts_with("goos: linux\n"), "{out}");
}

/// The result lines of Go benchmark output with all three of ns/op, B/op and allocs/op.
fn oxprof_benchfmt_lines(out: &str) -> usize {
    let line =
        Regex::new(r"^BenchmarkFindLoops\s+1\s+[\d.]+ ns/op\s+\d+ B/op\s+\d+ allocs/op$").unwrap();
    out.lines().filter(|l| line.is_match(l)).count()
}

/// `-http` serves the endpoints while the benchmark runs: a CPU profile fetched from them names
/// the stage's functions.
#[test]
fn http_serves_profiles_while_running() {
    use std::io::{BufRead, BufReader, Read, Write};

    /// Ends the long run however the test ends.
    struct Running(std::process::Child);
    impl Drop for Running {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    let args = [
        "-stage=v1",
        "-trees=2",
        "-dummyloops=0",
        "-iterations=100000",
        "-http=:0",
    ];
    let mut child = Running(
        Command::new(HAVLAK)
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    let stderr = child.0.stderr.as_mut().unwrap();
    BufReader::new(stderr).read_line(&mut line).unwrap();
    let addr = line
        .strip_prefix("havlak: serving http://")
        .and_then(|rest| rest.trim_end().strip_suffix("/debug/pprof/"))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();

    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    write!(
        stream,
        "GET /debug/pprof/profile?seconds=1 HTTP/1.0\r\nHost: {addr}\r\n\r\n"
    )
    .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    drop(child);

    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("headers end");
    let head = String::from_utf8_lossy(&response[..split]);
    assert!(
        head.starts_with("HTTP/1.0 200") || head.starts_with("HTTP/1.1 200"),
        "{head}"
    );
    let mut profile = Profile::parse(&response[split + 4..]).expect("a CPU profile");
    profile
        .aggregate_to(Granularity::Functions, true, false)
        .unwrap();
    let names: Vec<&str> = profile.function.iter().map(|f| f.name.as_str()).collect();
    assert!(
        names.iter().any(|n| n.starts_with("havlak::stages::v1::")),
        "{names:#?}"
    );
}

/// `-trace` writes an execution trace: a `search` region per search on each worker thread,
/// and v5's threads waiting for the cache's lock.
#[test]
fn trace_shows_searches_and_v5s_lock() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v5.trace");
    let trace_flag = format!("-trace={}", path.display());
    havlak(&[
        "-stage=v5",
        "-threads=2",
        &trace_flag,
        "-trees=2",
        "-dummyloops=0",
        "-iterations=6",
    ]);
    let trace = oxprof_trace::parse(&std::fs::read(&path).unwrap()).expect("a trace");

    let mut search_threads = std::collections::BTreeMap::<u64, usize>::new();
    let mut lock_waits = 0;
    for event in &trace.events {
        match &event.kind {
            oxprof_trace::EventKind::RegionBegin { name, .. } if trace.str(*name) == "search" => {
                *search_threads.entry(event.thread).or_default() += 1;
            }
            oxprof_trace::EventKind::Wait { reason, .. }
                if trace.str(*reason).starts_with("sync") =>
            {
                lock_waits += 1;
            }
            _ => {}
        }
    }
    // The first search on the driver's thread, three on each worker.
    let mut per_thread: Vec<usize> = search_threads.values().copied().collect();
    per_thread.sort_unstable();
    assert_eq!(per_thread, [1, 3, 3], "{search_threads:?}");
    assert!(lock_waits > 0, "no waits for v5's cache lock");
}
