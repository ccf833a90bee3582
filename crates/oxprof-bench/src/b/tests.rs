//! The b.N schedule and the loop_ contract, on a clock the benchmark body moves.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use super::B;
use crate::clock::Manual;
use crate::context::Context;
use crate::{BenchTime, BenchmarkResult};

/// Runs `f` with a manual clock; returns the result and whether the benchmark failed.
fn measure(benchtime: &str, f: impl FnMut(&mut B, &Manual)) -> (BenchmarkResult, bool) {
    let clock = Rc::new(Manual::default());
    let ctx = Rc::new(Context::quiet(
        Box::new(Rc::clone(&clock)),
        benchtime.parse::<BenchTime>().unwrap(),
    ));
    let mut f = f;
    let result = B::measure(Rc::clone(&ctx), &mut |b: &mut B| f(b, &clock));
    (result, ctx.failed.get())
}

/// The b.N of every call of a classic benchmark whose iterations cost `ns_per_op`.
fn schedule(benchtime: &str, ns_per_op: u64) -> (Vec<u64>, BenchmarkResult) {
    let ns = RefCell::new(Vec::new());
    let (r, failed) = measure(benchtime, |b, clock| {
        ns.borrow_mut().push(b.n());
        clock.advance(b.n() * ns_per_op);
    });
    assert!(!failed);
    (ns.into_inner(), r)
}

#[test]
fn classic_ramp_up_follows_predict_n() {
    // 1 µs per iteration: 100x growth caps every step until the prediction (1e6 × 1.2) is
    // capped by it too; the run of 1e6 lasts exactly the goal.
    let (ns, r) = schedule("1s", 1_000);
    assert_eq!(ns, [1, 100, 10_000, 1_000_000]);
    assert_eq!((r.n, r.t), (1_000_000, Duration::from_secs(1)));

    // 3 ms per iteration: the last step is the prediction plus 20% (333 + 66).
    let (ns, r) = schedule("1s", 3_000_000);
    assert_eq!(ns, [1, 100, 399]);
    assert_eq!(r.ns_per_op(), 3_000_000);

    // Slower than the goal from the start: one iteration is the result.
    assert_eq!(schedule("1s", 2_000_000_000).0, [1]);
}

#[test]
fn fixed_counts_reuse_the_first_run_for_1x() {
    assert_eq!(schedule("100x", 5).0, [1, 100]);
    assert_eq!(schedule("1x", 5).0, [1]);
}

#[test]
fn loop_ramps_up_inside_one_call_and_times_only_the_loop() {
    let calls = RefCell::new(0);
    let (r, failed) = measure("1s", |b, clock| {
        *calls.borrow_mut() += 1;
        clock.advance(5_000_000_000); // setup
        while b.loop_() {
            assert_eq!(b.n(), 0);
            clock.advance(1_000);
        }
        clock.advance(7_000_000_000); // cleanup
        assert_eq!(b.n(), 1_000_000);
    });
    assert!(!failed);
    assert_eq!(*calls.borrow(), 1);
    assert_eq!((r.n, r.t), (1_000_000, Duration::from_secs(1)));

    let (r, _) = measure("250x", |b, clock| {
        while b.loop_() {
            clock.advance(10);
        }
    });
    assert_eq!((r.n, r.t), (250, Duration::from_nanos(2_500)));
}

#[test]
fn loop_misuse_fails_the_benchmark() {
    let (r, failed) = measure("1s", |b, clock| {
        while b.loop_() {
            clock.advance(1_000);
            if b.elapsed().as_nanos() > 10_000 {
                return;
            }
        }
    });
    assert!(failed, "leaving the loop early");
    assert_eq!(r.n, 0);

    let (_, failed) = measure("1s", |b, _| {
        b.stop_timer();
        b.loop_();
    });
    assert!(failed, "loop_ with the timer stopped");
}

#[test]
fn timer_excludes_stopped_spans_and_reset_discards_setup() {
    let (r, _) = measure("10x", |b, clock| {
        clock.advance(1_000_000);
        b.reset_timer();
        for _ in 0..b.n() {
            b.stop_timer();
            clock.advance(500);
            b.start_timer();
            clock.advance(100);
        }
    });
    assert_eq!((r.n, r.t), (10, Duration::from_nanos(1_000)));
}

#[test]
fn sub_benchmarks_are_measured_and_summed_per_iteration() {
    let names = RefCell::new(Vec::new());
    let (r, failed) = measure("10x", |b, clock| {
        for (name, cost) in [("n=1", 10), ("n=1", 20), ("a b", 30)] {
            b.run(name, |b| {
                names.borrow_mut().push(b.name().to_string());
                clock.advance(b.n() * cost);
            });
        }
    });
    assert!(!failed);
    // The parent runs once; each sub-benchmark twice (probe with n = 1, then 10x).
    let mut unique = names.into_inner();
    unique.dedup();
    assert_eq!(unique, ["n=1", "n=1#01", "a_b"]);
    assert_eq!((r.n, r.t), (1, Duration::from_nanos(60)));
}

#[test]
fn a_panicking_benchmark_fails_alone() {
    let (r, failed) = measure("10x", |b, _| {
        let ok = b.run("good", |_| {});
        let bad = b.run("bad", |_| panic!("boom"));
        assert!(ok && !bad);
    });
    assert!(failed);
    assert_eq!(r.n, 1);
}
