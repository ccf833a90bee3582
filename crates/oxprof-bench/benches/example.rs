//! An example bench target: `cargo bench -p oxprof-bench --bench example -- -benchmem`.

use oxprof_bench::{black_box, B};

/// The classic b.N loop, with setup excluded by `reset_timer`.
fn sum_squares(b: &mut B) {
    let data: Vec<u64> = (0..1024).collect();
    b.set_bytes(8 * data.len() as u64);
    b.reset_timer();
    for _ in 0..b.n() {
        black_box(black_box(&data).iter().map(|x| x * x).sum::<u64>());
    }
}

/// Go 1.24's b.Loop form, with allocation counts: formatting allocates a few times per iteration.
fn format_number(b: &mut B) {
    b.report_allocs();
    let mut i = 0u64;
    while b.loop_() {
        i += 1;
        black_box(format!("{:>20}", black_box(i)).len());
    }
}

/// Sub-benchmarks by input size.
fn sort(b: &mut B) {
    for n in [100u32, 10_000] {
        b.run(&format!("n={n}"), |b| {
            let data: Vec<u32> = (0..n).map(|i| i.wrapping_mul(2_654_435_761)).collect();
            b.iter(|| {
                let mut v = data.clone();
                v.sort_unstable();
                v
            });
        });
    }
}

/// Parallel over `-cpu` threads.
fn parallel_hash(b: &mut B) {
    b.run_parallel(|pb| {
        let mut h = 0xcbf2_9ce4_8422_2325u64;
        while pb.next() {
            h = (h ^ 0x2a).wrapping_mul(0x100_0000_01b3);
        }
        black_box(h);
    });
}

oxprof_bench::main!(sum_squares, format_number, sort, parallel_hash);
