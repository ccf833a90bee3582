//! What the tests of instrumented primitives share: reading block and mutex profiles by the
//! function at each sample's leaf, and running a test's own binary again for checks that need
//! the profiles off (they are process-wide, and other tests turn them on).

#![allow(dead_code)] // each test binary uses its own part

use std::hint::black_box;
use std::process::Command;
use std::sync::Barrier;

use oxprof::Profile;

/// The leaf function's name of each sample, with the sample's values.
pub fn by_leaf(profile: &Profile) -> Vec<(String, Vec<i64>)> {
    let function_name = |id: u64| {
        profile
            .function
            .iter()
            .find(|f| f.id == id)
            .map(|f| f.name.clone())
            .unwrap_or_default()
    };
    profile
        .sample
        .iter()
        .map(|s| {
            let leaf = s
                .location_id
                .first()
                .and_then(|id| profile.location.iter().find(|l| l.id == *id))
                .and_then(|l| l.line.first())
                .map(|line| function_name(line.function_id))
                .unwrap_or_default();
            (leaf, s.value.clone())
        })
        .collect()
}

/// Sums of (contentions, delay) over the samples whose leaf is `function`.
pub fn leaf_totals(profile: &Profile, function: &str) -> (i64, i64) {
    by_leaf(profile)
        .iter()
        .filter(|(leaf, _)| leaf == function)
        .fold((0, 0), |(c, d), (_, v)| (c + v[0], d + v[1]))
}

/// Sum of the delay of every sample.
pub fn total_delay(profile: &Profile) -> i64 {
    profile.sample.iter().map(|s| s.value[1]).sum()
}

/// Asserts that the block profile has `truth` ns (±10%) at `waiting` and that the mutex
/// profile charges 75–105% of it to `holding`, as many times as there were rounds (±10%).
pub fn assert_attributed(truth: u64, waits: i64, rounds: i64, waiting: &str, holding: &str) {
    let block = oxprof::block::profile().unwrap();
    let (count, delay) = leaf_totals(&block, waiting);
    let ratio = delay as f64 / truth as f64;
    assert!(
        (0.9..=1.1).contains(&ratio),
        "block delay at {waiting}: {delay} ns, measured {truth} ns (ratio {ratio:.3}); by leaf: {:?}",
        by_leaf(&block)
    );
    assert!(
        (waits * 9 / 10..=waits).contains(&count),
        "{count} contentions at {waiting}, {waits} waits"
    );

    let mutex = oxprof::mutex::profile().unwrap();
    let (count, delay) = leaf_totals(&mutex, holding);
    let share = delay as f64 / truth as f64;
    assert!(
        (0.75..=1.05).contains(&share),
        "mutex delay at {holding}: {delay} ns of {truth} ns waited ({share:.3}); by leaf: {:?}",
        by_leaf(&mutex)
    );
    assert!(
        (rounds * 9 / 10..=rounds).contains(&count),
        "{count} contended releases at {holding}, {rounds} rounds"
    );
}

/// `rounds` times: `hold` takes the lock, lets `waiters` threads go at it with `wait`, which
/// returns how long it waited; the sum of those.
pub fn contend<L: Sync>(
    lock: &L,
    waiters: usize,
    rounds: usize,
    hold: impl Fn(&L, &Barrier) -> u64 + Sync,
    wait: impl Fn(&L, u64) -> u64 + Sync,
) -> u64 {
    let go = Barrier::new(waiters + 1);
    let done = Barrier::new(waiters + 1);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..waiters as u64)
            .map(|salt| {
                let (go, done, wait) = (&go, &done, &wait);
                s.spawn(move || {
                    let mut total = 0;
                    for _ in 0..rounds {
                        go.wait();
                        total += wait(lock, salt);
                        done.wait();
                    }
                    total
                })
            })
            .collect();
        for _ in 0..rounds {
            black_box(hold(lock, &go));
            done.wait();
        }
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    })
}

/// The environment variable that tells a test binary run by [`run_child`] which test is the
/// child.
pub const CHILD: &str = "OXPROF_TEST_CHILD";

/// Whether this process is [`run_child`]'s child for `test`.
pub fn is_child(test: &str) -> bool {
    std::env::var(CHILD).is_ok_and(|v| v == test)
}

/// Runs `test` of this test binary alone in a new process (profiles off there) and asserts
/// that it passed; `test` checks [`is_child`] and does nothing otherwise.
pub fn run_child(test: &str) {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, test)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "{test} in a child process:\n{stdout}\n{stderr}"
    );
}

/// The fastest of `batches` timings of `ops` calls of `a`, and the same of `b`, in ns per
/// call: batches alternate, so both see the same disturbances from other processes.
pub fn best_ns_per_op(
    batches: usize,
    ops: u64,
    mut a: impl FnMut(),
    mut b: impl FnMut(),
) -> (f64, f64) {
    let time = |f: &mut dyn FnMut()| {
        let start = std::time::Instant::now();
        for _ in 0..ops {
            f();
        }
        start.elapsed().as_nanos() as f64 / ops as f64
    };
    (0..batches).fold((f64::INFINITY, f64::INFINITY), |(best_a, best_b), _| {
        (best_a.min(time(&mut a)), best_b.min(time(&mut b)))
    })
}

/// Asserts that `measure`'s first figure (ns per operation of oxprof's wrapper) is within
/// 1.25 times its second (the wrapped primitive's) plus 3 ns: room for a relaxed load, not for
/// a clock read or a lock. Measures up to three times, as other processes can spoil a run.
pub fn assert_costs_about_the_same(what: &str, mut measure: impl FnMut() -> (f64, f64)) {
    let mut figures = (0.0, 0.0);
    for _ in 0..3 {
        figures = measure();
        let (ours, theirs) = figures;
        if ours <= theirs * 1.25 + 3.0 {
            println!("uncontended lock+unlock: oxprof {ours:.2} ns, {what} {theirs:.2} ns");
            return;
        }
    }
    panic!(
        "oxprof's {:.2} ns against {what}'s {:.2} ns per lock and unlock",
        figures.0, figures.1
    );
}
