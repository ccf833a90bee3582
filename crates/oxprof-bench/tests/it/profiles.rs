//! The profile flags write profiles of the whole run that oxprof and `go tool pprof` read.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use oxprof_bench::{black_box, B};
use oxprof_profile::Profile;

use crate::support;

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("oxprof-bench-it-{}-{name}", std::process::id()))
}

/// The share of `sample_type`'s total in samples whose stack has a function whose name
/// contains `function`.
fn share(profile: &Profile, sample_type: &str, function: &str) -> f64 {
    let (matched, total) = (
        sum(profile, sample_type, function),
        sum(profile, sample_type, ""),
    );
    assert!(total > 0, "empty {sample_type} profile");
    matched as f64 / total as f64
}

/// The `sample_type` total of samples whose stack has a function whose name contains
/// `function`.
fn sum(profile: &Profile, sample_type: &str, function: &str) -> i64 {
    let index = profile
        .sample_type
        .iter()
        .position(|t| t.ty == sample_type)
        .unwrap_or_else(|| panic!("no sample type {sample_type}"));
    let names: HashMap<u64, &str> = profile
        .function
        .iter()
        .map(|f| (f.id, f.name.as_str()))
        .collect();
    let hits: HashMap<u64, bool> = profile
        .location
        .iter()
        .map(|l| {
            let hit = l.line.iter().any(|line| {
                names
                    .get(&line.function_id)
                    .is_some_and(|n| n.contains(function))
            });
            (l.id, hit)
        })
        .collect();
    profile
        .sample
        .iter()
        .filter(|s| s.location_id.iter().any(|id| hits.get(id) == Some(&true)))
        .map(|s| s.value[index])
        .sum()
}

fn read(path: &Path) -> Profile {
    Profile::decode(&std::fs::read(path).unwrap()).unwrap()
}

/// `go tool pprof -top` output for a profile, if go is installed.
fn go_top(path: &Path, extra: &[&str]) -> Option<String> {
    let mut pprof = oxprof_testutil::go_pprof()?;
    let out = pprof.arg("-top").args(extra).arg(path).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).unwrap())
}

#[inline(never)]
fn spin_hot_xorshift(mut x: u64, rounds: u32) -> u64 {
    for _ in 0..rounds {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    x.wrapping_add(0x51ed)
}

fn cpu_bound(b: &mut B) {
    let mut seed = 0x9e37_79b9u64;
    b.iter(|| {
        seed = spin_hot_xorshift(black_box(seed), 5_000);
        seed
    });
}

pub fn cpuprofile_is_dominated_by_the_benchmark() {
    let path = temp("cpu.pprof");
    let run = support::run(
        &[
            "--bench",
            "-benchtime=700ms",
            "-cpu=1",
            &format!("-cpuprofile={}", path.display()),
        ],
        &crate::benches!(cpu_bound),
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    let profile = read(&path);
    let hot = share(&profile, "cpu", "spin_hot_xorshift");
    assert!(
        hot > 0.6,
        "spin_hot_xorshift has only {:.0}% of the CPU time",
        hot * 100.0
    );
    // go tool pprof agrees: the function is under (nearly) every sample.
    if let Some(top) = go_top(&path, &["-cum"]) {
        let row = top
            .lines()
            .find(|l| l.ends_with("spin_hot_xorshift"))
            .unwrap_or_else(|| panic!("no spin_hot_xorshift row: {top}"));
        let cum_percent: f64 = row
            .split_whitespace()
            .nth(4)
            .unwrap()
            .trim_end_matches('%')
            .parse()
            .unwrap();
        assert!(cum_percent > 60.0, "{row}");
    }
    let _ = std::fs::remove_file(path);
}

#[inline(never)]
fn alloc_named_blocks(n: usize) -> Vec<u8> {
    let v = Vec::with_capacity(3000 + n % 7);
    black_box(v)
}

fn allocating(b: &mut B) {
    let mut i = 0;
    b.iter(|| {
        i += 1;
        alloc_named_blocks(i).capacity()
    });
}

pub fn memprofile_names_the_allocations() {
    let path = temp("mem.pprof");
    let run = support::run(
        &[
            "--bench",
            "-benchtime=20000x",
            "-memprofilerate=1",
            &format!("-memprofile={}", path.display()),
        ],
        &crate::benches!(allocating),
    );
    oxprof::heap::set_sample_rate(512 * 1024);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let profile = read(&path);
    // The profile covers the whole process, this checker's earlier checks included: look at
    // what the benchmark allocated. 20001 blocks (the probe run, then 20000) of 3000-3006
    // bytes, 60 MB: every one recorded once the thread's next sample picks up the new rate;
    // before that (512 KiB on average, the old rate's countdown) one sample stands for them,
    // so the estimate is within a few percent.
    let named = sum(&profile, "alloc_space", "alloc_named_blocks");
    let benchmark = sum(&profile, "alloc_space", "profiles::allocating");
    assert!(
        named as f64 > 0.95 * benchmark as f64,
        "{named} of {benchmark} bytes"
    );
    let expected = (1..=20001).map(|i| 3000 + i % 7).sum::<i64>();
    let error = (named - expected).abs() as f64 / expected as f64;
    assert!(
        error < 0.05,
        "alloc_named_blocks: {named} bytes, expected {expected}"
    );
    if let Some(top) = go_top(&path, &["-sample_index=alloc_space"]) {
        assert!(top.contains("alloc_named_blocks"), "{top}");
    }
    let _ = std::fs::remove_file(path);
}

fn contended(b: &mut B) {
    let lock = oxprof::sync::Mutex::new(0u64);
    b.set_parallelism(2);
    b.run_parallel(|pb| {
        while pb.next() {
            let mut guard = lock.lock().unwrap();
            *guard = black_box(*guard + 1);
            std::thread::sleep(std::time::Duration::from_micros(50));
        }
    });
}

pub fn block_and_mutex_profiles_are_written() {
    let (block, mutex) = (temp("block.pprof"), temp("mutex.pprof"));
    let run = support::run(
        &[
            "--bench",
            "-benchtime=200x",
            "-cpu=1",
            &format!("-blockprofile={}", block.display()),
            &format!("-mutexprofile={}", mutex.display()),
        ],
        &crate::benches!(contended),
    );
    oxprof::block::set_rate(0);
    oxprof::mutex::set_fraction(0);
    assert_eq!(run.status, 0, "{}", run.stderr);
    for path in [&block, &mutex] {
        let profile = read(path);
        let types: Vec<&str> = profile.sample_type.iter().map(|t| t.ty.as_str()).collect();
        assert_eq!(types, ["contentions", "delay"], "{}", path.display());
        assert!(
            share(&profile, "delay", "contended") > 0.9,
            "{}: waits not charged to the benchmark",
            path.display()
        );
        let _ = std::fs::remove_file(path);
    }
}

fn traced(b: &mut B) {
    b.iter(|| oxprof::trace::with_region("bench body", || black_box(7u64) * 3));
}

pub fn trace_covers_the_run() {
    let path = temp("bench.trace");
    let run = support::run(
        &[
            "--bench",
            "-benchtime=200x",
            &format!("-trace={}", path.display()),
        ],
        &crate::benches!(traced),
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    let trace = oxprof_trace::parse(&std::fs::read(&path).unwrap()).unwrap();
    assert!(trace.warnings.is_empty(), "{:?}", trace.warnings);
    let regions = trace
        .events
        .iter()
        .filter(|e| {
            matches!(e.kind, oxprof_trace::EventKind::RegionBegin { name, .. }
                if trace.str(name) == "bench body")
        })
        .count();
    // The ramp-up runs the body once before the 200 measured iterations.
    assert!(regions >= 200, "{regions} regions");
    let _ = std::fs::remove_file(path);
}
