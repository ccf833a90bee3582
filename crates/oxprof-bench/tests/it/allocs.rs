//! B/op and allocs/op are exact counts: closures with known allocation patterns give exactly
//! their sizes and numbers.

use oxprof_bench::{benchmark, black_box, BenchTime, B};

use crate::support;

fn count(n: u64) -> BenchTime {
    BenchTime::Count(n)
}

fn three_blocks() -> (Box<[u8; 24]>, Vec<u64>, String) {
    (
        Box::new([7u8; 24]),
        Vec::with_capacity(5), // 40 bytes
        String::with_capacity(11),
    )
}

/// The run's totals are exactly `allocs` blocks of `bytes` bytes in all per iteration.
///
/// One exception, not the harness's: when the run's allocations reach oxprof's first heap sample,
/// oxprof starts its unwinder's watcher thread from the allocating thread, and the thread's name
/// (`oxprof-unwind-watcher`, 21 bytes) is counted there, once per process.
fn assert_totals(r: &oxprof_bench::BenchmarkResult, allocs: u64, bytes: u64) {
    let totals = (r.mem_allocs, r.mem_bytes);
    let exact = (allocs * r.n, bytes * r.n);
    assert!(
        totals == exact || totals == (exact.0 + 1, exact.1 + 21),
        "{} iterations: {totals:?}, expected {exact:?}",
        r.n
    );
}

pub fn none_one_and_three_per_iteration() {
    for benchtime in [count(1000), "20ms".parse().unwrap()] {
        let r = benchmark(benchtime, |b| b.iter(|| black_box(3u64).wrapping_mul(5)));
        assert_eq!(
            (r.allocated_bytes_per_op(), r.allocs_per_op()),
            (0, 0),
            "none"
        );
        assert_totals(&r, 0, 0);

        let r = benchmark(benchtime, |b| b.iter(|| Vec::<u8>::with_capacity(100)));
        assert_eq!(
            (r.allocated_bytes_per_op(), r.allocs_per_op()),
            (100, 1),
            "one"
        );
        assert_totals(&r, 1, 100);

        let r = benchmark(benchtime, |b| b.iter(three_blocks));
        assert_eq!(
            (r.allocated_bytes_per_op(), r.allocs_per_op()),
            (75, 3),
            "three"
        );
        assert_totals(&r, 3, 75);
    }
}

pub fn classic_loop_and_stopped_timer() {
    // Setup allocations before reset_timer and inside stop/start are not counted.
    let r = benchmark(count(500), |b: &mut B| {
        let keep = vec![1u8; 1 << 16];
        b.reset_timer();
        for i in 0..b.n() {
            b.stop_timer();
            let scratch = vec![0u8; 4096];
            b.start_timer();
            black_box(Box::new(i));
            drop(scratch);
        }
        black_box(keep);
    });
    assert_eq!((r.n, r.mem_allocs, r.mem_bytes), (500, 500, 500 * 8));
}

pub fn parallel_workers_count() {
    // Allocations on run_parallel's threads are the benchmark's; starting the threads
    // allocates too, a few hundred bytes spread over 10^5 iterations.
    let r = benchmark(count(100_000), |b| {
        b.set_parallelism(2);
        b.run_parallel(|pb| {
            while pb.next() {
                black_box(Vec::<u16>::with_capacity(8));
            }
        });
    });
    assert_eq!((r.allocated_bytes_per_op(), r.allocs_per_op()), (16, 1));
}

fn one_block_of_48(b: &mut B) {
    b.iter(|| String::with_capacity(48));
}

fn no_allocation(b: &mut B) {
    b.iter(|| black_box(2u32).pow(3));
}

pub fn benchmem_columns_are_exact() {
    let run = support::run(
        &["--bench", "-benchmem", "-benchtime=2000x", "-cpu=1"],
        &crate::benches!(one_block_of_48, no_allocation),
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    let results = oxprof_benchfmt::parse(&run.stdout).unwrap();
    let values: Vec<_> = results
        .iter()
        .map(|r| (r.name.as_str(), r.value("B/op"), r.value("allocs/op")))
        .collect();
    assert_eq!(
        values,
        [
            ("OneBlockOf48", Some(48.0), Some(1.0)),
            ("NoAllocation", Some(0.0), Some(0.0))
        ]
    );
}
