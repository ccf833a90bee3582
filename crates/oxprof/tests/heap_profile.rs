//! The heap profiler against ground truth: exact counts, exact profiles at rate 1, and sampled
//! estimates of a known live set within ±10% at a sampling rate, averaged over threads (each
//! with its own random seed).

use std::hint::black_box;
use std::sync::{Mutex, MutexGuard};

use oxprof::Profile;

#[global_allocator]
static ALLOC: oxprof::heap::Profiled = oxprof::heap::Profiled::system();

/// The sampling rate is process-wide: tests that change it take turns.
fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn names(profile: &Profile, sample: &oxprof_profile::Sample) -> Vec<String> {
    let mut out = Vec::new();
    for id in &sample.location_id {
        let loc = profile.location.iter().find(|l| l.id == *id).unwrap();
        for line in &loc.line {
            let f = profile
                .function
                .iter()
                .find(|f| f.id == line.function_id)
                .unwrap();
            out.push(f.name.clone());
        }
    }
    out
}

/// Sum of sample type `ty` over samples whose stack has a function containing `function`.
fn total(profile: &Profile, ty: &str, function: &str) -> i64 {
    let index = profile.sample_type.iter().position(|t| t.ty == ty).unwrap();
    profile
        .sample
        .iter()
        .filter(|s| names(profile, s).iter().any(|n| n.contains(function)))
        .map(|s| s.value[index])
        .sum()
}

#[test]
fn measure_counts_exactly_what_a_closure_allocates() {
    let (v, counts) = oxprof::heap::measure(|| {
        let a = black_box(vec![0u8; 100]);
        let b = black_box(Box::new([0u64; 4]));
        drop(b);
        a
    });
    assert_eq!(counts.allocs, 2);
    assert_eq!(counts.allocated_bytes, 132);
    assert_eq!(counts.frees, 1);
    assert_eq!(counts.freed_bytes, 32);
    assert_eq!(counts.live_bytes(), 100);
    drop(v);
    let stats = oxprof::heap::stats();
    assert!(stats.process.allocs >= stats.thread.allocs && stats.thread.allocs > 0);
}

#[test]
fn allocation_assertions_name_the_excess() {
    let ok = oxprof::heap::assert_allocs_at_most(1, || black_box(vec![1u8; 10]));
    assert_eq!(ok.len(), 10);
    let err = std::panic::catch_unwind(|| {
        oxprof::heap::assert_allocs_at_most(1, || {
            black_box((vec![1u8; 10], vec![2u8; 20], vec![3u8; 30]))
        })
    })
    .unwrap_err();
    let message = err.downcast_ref::<String>().unwrap();
    assert_eq!(
        message,
        "allocated 3 times (60 bytes), at most 1 allowed: 2 too many"
    );
    let err = std::panic::catch_unwind(|| {
        oxprof::heap::assert_bytes_at_most(16, || black_box(vec![0u8; 40]))
    })
    .unwrap_err();
    assert_eq!(
        err.downcast_ref::<String>().unwrap(),
        "allocated 40 bytes in 1 allocations, at most 16 bytes allowed: 24 too many"
    );
}

#[inline(never)]
fn keep_exactly(n: usize, size: usize) -> Vec<Vec<u8>> {
    (0..n).map(|i| black_box(vec![i as u8; size])).collect()
}

#[test]
fn at_rate_one_the_profile_is_exact() {
    let _serial = serial();
    oxprof::heap::set_sample_rate(1);
    // Another test of this binary may have sampled `keep_exactly` before: what it left in
    // alloc_space stays there.
    let earlier = total(
        &oxprof::heap::profile().unwrap(),
        "alloc_space",
        "keep_exactly",
    );
    let kept = std::thread::spawn(|| keep_exactly(1000, 48))
        .join()
        .unwrap();
    let profile = oxprof::heap::profile().unwrap();
    assert_eq!(profile.default_sample_type, "inuse_space");
    assert_eq!(profile.period, 1);
    // The 1000 blocks of 48 bytes, plus the outer Vec's buffer (1000 × 24 bytes).
    assert_eq!(total(&profile, "inuse_objects", "keep_exactly"), 1001);
    assert_eq!(
        total(&profile, "inuse_space", "keep_exactly"),
        1000 * 48 + 1000 * 24
    );
    drop(kept);
    let after = oxprof::heap::profile().unwrap();
    // Buckets are unsampled with the rate current when the profile is built, as in Go: set the
    // rate once, early, in real programs.
    oxprof::heap::set_sample_rate(512 * 1024);
    assert_eq!(
        total(&after, "inuse_space", "keep_exactly"),
        0,
        "freed blocks leave inuse"
    );
    assert_eq!(
        total(&after, "alloc_space", "keep_exactly") - earlier,
        1000 * 48 + 1000 * 24,
        "but stay in alloc_space"
    );
}

#[test]
fn the_profilers_own_symbolization_is_not_in_the_programs_heap() {
    let _serial = serial();
    oxprof::heap::set_sample_rate(1);
    let first = oxprof::heap::profile();
    let second = oxprof::heap::profile();
    oxprof::heap::set_sample_rate(512 * 1024);
    let (first, second) = (first.unwrap(), second.unwrap());
    // Compared with the first profile, not with zero: a panic in another test of this binary
    // (`allocation_assertions_name_the_excess`) has std symbolize its backtrace, with std's
    // own gimli and addr2line, and those allocations are the program's.
    for ty in ["alloc_space", "inuse_space"] {
        for oxprof_code in ["oxprof_symbolize", "gimli", "addr2line"] {
            assert_eq!(
                total(&second, ty, oxprof_code),
                total(&first, ty, oxprof_code),
                "{ty} of {oxprof_code}"
            );
        }
    }
    // The count of untracked blocks is the process's since it started, so the other tests of
    // this binary may have added to it before; building the first profile must add nothing
    // (when the symbolizer's allocations were sampled, it added 710,063).
    assert_eq!(
        untracked_blocks(&second),
        untracked_blocks(&first),
        "{:?} then {:?}",
        first.comments,
        second.comments
    );
}

/// The sampled blocks a heap profile's comments say went untracked (the table was full).
fn untracked_blocks(profile: &Profile) -> u64 {
    profile
        .comments
        .iter()
        .find_map(|c| {
            let before = c.split(" sampled blocks untracked").next()?;
            (before.len() < c.len()).then(|| before.rsplit(' ').next()?.parse().ok())?
        })
        .unwrap_or(0)
}

/// The blocks kept, (objects, bytes) kept, and (objects, bytes) allocated.
type LiveSet = (Vec<Vec<u8>>, (i64, i64), (i64, i64));

/// A live set with equal bytes in every power-of-two size from 16 B to 1 MiB, half of each
/// size's blocks freed again. Returns the blocks kept and (objects, bytes) kept and allocated.
#[inline(never)]
fn build_live_set(bytes_per_size: usize) -> LiveSet {
    let counts = |shift: usize| (bytes_per_size >> shift).max(2);
    // The holder is allocated once, at its final size, and counted in the truth.
    let holding: usize = (4..=20).map(|shift| counts(shift).div_ceil(2)).sum();
    let mut kept = Vec::with_capacity(holding);
    let holder_bytes = (holding * std::mem::size_of::<Vec<u8>>()) as i64;
    let (mut live_n, mut live_b, mut all_n, mut all_b) = (1, holder_bytes, 1, holder_bytes);
    for shift in 4..=20 {
        let size = 1usize << shift;
        for i in 0..counts(shift) {
            let block = black_box(vec![0u8; size]);
            all_n += 1;
            all_b += size as i64;
            if i % 2 == 0 {
                kept.push(block);
                live_n += 1;
                live_b += size as i64;
            }
        }
    }
    assert_eq!(kept.len(), holding, "the holder never grew");
    (kept, (live_n, live_b), (all_n, all_b))
}

#[test]
fn sampled_estimates_of_a_known_live_set_are_within_ten_percent() {
    let _serial = serial();
    let rate = 16 * 1024;
    oxprof::heap::set_sample_rate(rate);
    let before = oxprof::heap::profile().ok();
    let threads: Vec<_> = (0..8)
        .map(|_| std::thread::spawn(|| build_live_set(4 << 20)))
        .collect();
    let results: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let profile = oxprof::heap::profile().unwrap();
    oxprof::heap::set_sample_rate(512 * 1024);
    let prior = |ty| {
        before
            .as_ref()
            .map_or(0, |p| total(p, ty, "build_live_set"))
    };
    let truth_live_n: i64 = results.iter().map(|r| r.1 .0).sum();
    let truth_live_b: i64 = results.iter().map(|r| r.1 .1).sum();
    let truth_all_b: i64 = results.iter().map(|r| r.2 .1).sum();
    for (ty, truth) in [
        ("inuse_objects", truth_live_n),
        ("inuse_space", truth_live_b),
        ("alloc_space", truth_all_b),
    ] {
        let estimate = total(&profile, ty, "build_live_set") - prior(ty);
        let error = estimate as f64 / truth as f64 - 1.0;
        eprintln!(
            "{ty}: estimated {estimate}, true {truth} ({:+.1}%)",
            error * 100.0
        );
        assert!(
            error.abs() <= 0.10,
            "{ty}: estimated {estimate}, true {truth} ({:+.1}%)",
            error * 100.0
        );
    }
    drop(results);
}

#[test]
fn the_profile_has_gos_heap_shape() {
    let _serial = serial();
    let kept = keep_exactly(64, 4096);
    let profile = oxprof::heap::profile().unwrap();
    let types: Vec<_> = profile
        .sample_type
        .iter()
        .map(|t| (t.ty.as_str(), t.unit.as_str()))
        .collect();
    assert_eq!(
        types,
        [
            ("alloc_objects", "count"),
            ("alloc_space", "bytes"),
            ("inuse_objects", "count"),
            ("inuse_space", "bytes")
        ]
    );
    let period_type = profile.period_type.as_ref().unwrap();
    assert_eq!(
        (period_type.ty.as_str(), period_type.unit.as_str()),
        ("space", "bytes")
    );
    assert_eq!(profile.period, oxprof::heap::sample_rate() as i64);
    assert!(profile
        .sample
        .iter()
        .all(|s| s.label.iter().any(|l| l.key == "bytes")));
    assert!(profile.sample.iter().all(|s| names(&profile, s)
        .iter()
        .all(|n| !n.contains("oxprof::heap"))));
    let allocs = oxprof::heap::allocs_profile().unwrap();
    assert_eq!(allocs.default_sample_type, "alloc_space");
    assert_eq!(Profile::decode(&profile.encode_gzip()).unwrap(), profile);
    drop(kept);
}
