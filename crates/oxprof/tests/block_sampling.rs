//! Go's sampling semantics, end to end through the recorded profiles: block events shorter
//! than the rate are kept in proportion to their length and weighted by the inverse, so the
//! totals stay unbiased; longer ones are kept exactly; contended releases are kept one in
//! `fraction`, pre-scaled, with unbiased totals too.

use std::hint::black_box;
use std::time::{Duration, Instant};

use oxprof::sync::Tracker;
use oxprof::Profile;

/// (contentions, delay) summed over the samples whose leaf function is `function`.
fn at_leaf(profile: &Profile, function: &str) -> (i64, i64) {
    let ids: Vec<u64> = profile
        .function
        .iter()
        .filter(|f| f.name == function)
        .map(|f| f.id)
        .collect();
    let leaf_is = |location_id: &u64| {
        profile
            .location
            .iter()
            .find(|l| l.id == *location_id)
            .and_then(|l| l.line.first())
            .is_some_and(|line| ids.contains(&line.function_id))
    };
    profile
        .sample
        .iter()
        .filter(|s| s.location_id.first().is_some_and(leaf_is))
        .fold((0, 0), |(c, d), s| (c + s.value[0], d + s.value[1]))
}

/// Records `n` blocking events of `length` each, as a program's own blocking point would.
#[inline(never)]
fn sampled_block_point(n: u64, length: Duration) -> u64 {
    let mut spent = 0;
    for _ in 0..n {
        let since = Instant::now() - length;
        oxprof::block::record(since);
        spent += since.elapsed().as_nanos() as u64;
    }
    black_box(spent)
}

/// The same, at another call site, for events longer than the rate.
#[inline(never)]
fn long_block_point(n: u64, length: Duration) -> u64 {
    let mut spent = 0;
    for _ in 0..n {
        let since = Instant::now() - length;
        oxprof::block::record(since);
        spent += since.elapsed().as_nanos() as u64 + 1;
    }
    black_box(spent)
}

#[test]
fn block_events_shorter_than_the_rate_are_sampled_without_bias_and_longer_ones_all_kept() {
    const RATE: u64 = 1_000_000;
    oxprof::block::set_rate(RATE);
    // 100 µs events at a 1 ms rate: about one in ten is kept, weighted ten times.
    let (n, length) = (20_000u64, Duration::from_micros(100));
    let truth = sampled_block_point(n, length);
    // 3 ms events: all kept, at their own length.
    let long_truth = long_block_point(50, Duration::from_millis(3));
    oxprof::block::set_rate(0);

    let profile = oxprof::block::profile().unwrap();
    let (count, delay) = at_leaf(&profile, "block_sampling::sampled_block_point");
    let delay_ratio = delay as f64 / truth as f64;
    let count_ratio = count as f64 / n as f64;
    assert!(
        (0.9..=1.1).contains(&delay_ratio) && (0.9..=1.1).contains(&count_ratio),
        "sampled: {count} events, {delay} ns; truth {n} events, {truth} ns"
    );

    let (count, delay) = at_leaf(&profile, "block_sampling::long_block_point");
    assert_eq!(count, 50);
    // Each event's length is read a little after the program's reading: never less.
    let ratio = delay as f64 / long_truth as f64;
    assert!(
        (0.999..=1.01).contains(&ratio),
        "long events: {delay} ns, truth {long_truth} ns"
    );
}

/// Holds a lock with one waiter registered and releases it `n` times, about every `gap`: each
/// release is a contention charged with the time since the previous one. Returns those times
/// as the program saw them.
#[inline(never)]
fn sampled_release_point(tracker: &Tracker, n: usize, gap: Duration) -> Vec<u64> {
    let mut delays = Vec::with_capacity(n);
    let waiting = tracker.start_wait().expect("the mutex profile is on");
    let mut last = Instant::now();
    for _ in 0..n {
        while last.elapsed() < gap {
            std::hint::spin_loop();
        }
        let now = Instant::now();
        delays.push((now - last).as_nanos() as u64);
        last = now;
        tracker.unlocking();
    }
    drop(waiting);
    black_box(delays)
}

#[test]
fn contended_releases_are_sampled_one_in_fraction_and_pre_scaled() {
    const FRACTION: u64 = 2;
    oxprof::mutex::set_fraction(FRACTION);
    let tracker = Tracker::new();
    let n = 2_000;
    let delays = sampled_release_point(&tracker, n, Duration::from_micros(100));
    oxprof::mutex::set_fraction(0);

    let profile = oxprof::mutex::profile().unwrap();
    let (count, delay) = at_leaf(&profile, "block_sampling::sampled_release_point");
    assert_eq!(count % FRACTION as i64, 0, "counts come in whole samples");
    // Each release is kept with probability 1/f and weighted f: the estimates' standard
    // deviations are f·sqrt(n·p·(1-p)) for the count and sqrt((f-1)·Σd²) for the delay, whose
    // spread a busy machine widens (a preempted spin makes one long delay). Four of them, and
    // 2% for the few hundred nanoseconds between the test's clock reading and oxprof's.
    let f = FRACTION as f64;
    let p = 1.0 / f;
    let count_sd = f * (n as f64 * p * (1.0 - p)).sqrt();
    let truth: u64 = delays.iter().sum();
    let square_sum: f64 = delays.iter().map(|&d| (d as f64).powi(2)).sum();
    let delay_sd = ((f - 1.0) * square_sum).sqrt();
    assert!(
        (count - n as i64).abs() as f64 <= 4.0 * count_sd,
        "{count} releases recorded, {n} made (sd {count_sd:.0})"
    );
    assert!(
        (delay - truth as i64).abs() as f64 <= 4.0 * delay_sd + 0.02 * truth as f64,
        "{delay} ns recorded, {truth} ns waited (sd {delay_sd:.0})"
    );

    // Released with no waiter left: nothing more is charged.
    tracker.unlocking();
    let after = at_leaf(
        &oxprof::mutex::profile().unwrap(),
        "block_sampling::sampled_release_point",
    );
    assert_eq!(after, (count, delay));
}
