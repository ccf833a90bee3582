//! Long run: millions of sampled allocations (rate 1: every one) from call paths that keep
//! changing keep the heap profiler within its memory budget; whatever its tables could not hold
//! is dropped, counted, and reported in the profile's comments.
//!
//! 10 million allocations by default (about 10 s in a debug build on two cores);
//! `OXPROF_HEAP_LONG_RUN` sets another count:
//!
//! ```text
//! OXPROF_HEAP_LONG_RUN=50_000_000 cargo test -p oxprof --test heap_long_run -- --nocapture
//! ```

use std::hint::black_box;
use std::time::Instant;

#[global_allocator]
static ALLOC: oxprof::heap::Profiled = oxprof::heap::Profiled::system();

const BUDGET: usize = 16 << 20;
const THREADS: usize = 2;
/// Blocks each thread keeps alive: every allocation replaces (frees) the oldest.
const LIVE_PER_THREAD: usize = 4096;

/// One allocation in `path`'s call path: each level picks one of four functions by two bits of
/// `path`, so the stacks (return addresses, depth) differ from one allocation to the next.
#[inline(never)]
fn descend(path: u64, depth: u32, size: usize) -> Vec<u8> {
    if depth == 0 {
        return churn_leaf(size);
    }
    let block = match path & 3 {
        0 => via::<0>(path >> 2, depth - 1, size),
        1 => via::<1>(path >> 2, depth - 1, size),
        2 => via::<2>(path >> 2, depth - 1, size),
        _ => via::<3>(path >> 2, depth - 1, size),
    };
    // Used after the call, so no level becomes a tail call that would vanish from the stack.
    black_box(block)
}

/// Four distinct functions, one per `K`: `K` is used, so the compiler cannot merge them.
#[inline(never)]
fn via<const K: u8>(path: u64, depth: u32, size: usize) -> Vec<u8> {
    black_box(K);
    black_box(descend(path, depth, size))
}

#[inline(never)]
fn churn_leaf(size: usize) -> Vec<u8> {
    black_box(vec![0u8; size])
}

/// SplitMix64: the path, depth and size of allocation `i`, reproducibly.
fn scramble(i: u64) -> u64 {
    let mut x = i.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Makes `count` allocations through generated call paths, each freeing an older one.
fn churn(thread: u64, count: u64) {
    let mut live: Vec<Vec<u8>> = Vec::with_capacity(LIVE_PER_THREAD);
    for i in 0..count {
        let bits = scramble(thread << 48 | i);
        // Depth 2..=9 over four functions: some 350,000 distinct paths, times 32 sizes.
        let depth = 2 + (bits >> 58) as u32 % 8;
        let size = 16 * (1 + (bits >> 52) as usize % 32);
        let block = descend(bits, depth, size);
        if live.len() < LIVE_PER_THREAD {
            live.push(block);
        } else {
            live[i as usize % LIVE_PER_THREAD] = block;
        }
    }
}

fn allocations() -> u64 {
    std::env::var("OXPROF_HEAP_LONG_RUN")
        .ok()
        .map(|n| {
            n.replace('_', "")
                .parse()
                .expect("OXPROF_HEAP_LONG_RUN: a count")
        })
        .unwrap_or(10_000_000)
}

/// The numbers in the profile's comment on what was dropped ("… N sampled allocations without
/// a bucket, M sampled blocks untracked …"); None without such a comment.
fn reported_drops(comments: &[String]) -> Option<(u64, u64)> {
    let comment = comments
        .iter()
        .find(|c| c.contains("over the memory budget"))?;
    let numbers: Vec<u64> = comment
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    match numbers[..] {
        [buckets, blocks] => Some((buckets, blocks)),
        _ => panic!("unexpected drop comment: {comment}"),
    }
}

#[test]
fn millions_of_sampled_allocations_stay_within_the_budget() {
    oxprof::heap::set_memory_budget(BUDGET);
    oxprof::heap::set_sample_rate(1);
    let total = allocations();
    let per_thread = total / THREADS as u64;
    let started = Instant::now();
    let workers: Vec<_> = (0..THREADS as u64)
        .map(|thread| std::thread::spawn(move || churn(thread, per_thread)))
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
    let elapsed = started.elapsed();
    let memory = oxprof::heap::profiler_memory();
    eprintln!(
        "{} sampled allocations in {elapsed:.1?} ({:.2} µs each); profiler memory {} KiB",
        per_thread * THREADS as u64,
        elapsed.as_secs_f64() * 1e6 / (per_thread * THREADS as u64) as f64,
        memory / 1024
    );
    assert!(memory > 0, "nothing was sampled");
    assert!(
        memory <= BUDGET,
        "profiler memory {memory} over the budget {BUDGET}"
    );

    let started = Instant::now();
    let profile = oxprof::heap::allocs_profile().unwrap();
    oxprof::heap::set_sample_rate(512 * 1024);
    eprintln!(
        "profile: {} samples, built in {:.1?}; comments {:?}",
        profile.sample.len(),
        started.elapsed(),
        profile.comments
    );
    let alloc_objects = profile
        .sample_type
        .iter()
        .position(|t| t.ty == "alloc_objects")
        .unwrap();
    let in_profile: u64 = profile
        .sample
        .iter()
        .filter(|sample| mentions(&profile, sample, "churn_leaf"))
        .map(|sample| sample.value[alloc_objects] as u64)
        .sum();
    let made = per_thread * THREADS as u64;
    assert!(in_profile > 0, "no sample names churn_leaf");
    assert!(in_profile <= made, "{in_profile} sampled of {made} made");
    // The workload has far more distinct (stack, size) pairs than 16 MiB holds: some must go.
    let missing = made - in_profile;
    assert!(
        missing > 0,
        "all {made} allocations kept: the budget was never reached"
    );
    let (dropped_buckets, _) = reported_drops(&profile.comments)
        .unwrap_or_else(|| panic!("{missing} allocations missing, no drop reported"));
    assert!(
        dropped_buckets >= missing,
        "{missing} allocations missing, only {dropped_buckets} reported dropped"
    );
}

/// Whether any frame of `sample` is in a function whose name contains `function`.
fn mentions(profile: &oxprof::Profile, sample: &oxprof_profile::Sample, function: &str) -> bool {
    sample.location_id.iter().any(|id| {
        let location = profile.location.iter().find(|l| l.id == *id);
        location.is_some_and(|location| {
            location.line.iter().any(|line| {
                profile
                    .function
                    .iter()
                    .any(|f| f.id == line.function_id && f.name.contains(function))
            })
        })
    })
}
