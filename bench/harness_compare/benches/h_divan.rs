//! The workloads under divan, with its default settings.

use divan::black_box;
use harness_compare::{op_2ms, op_2ns, op_2us};

fn main() {
    divan::main();
}

#[divan::bench(name = "op_2ns")]
fn op_2ns_bench(bencher: divan::Bencher) {
    let mut x = 1u64;
    bencher.bench_local(|| {
        x = op_2ns(x);
        x
    });
}

#[divan::bench(name = "op_2us")]
fn op_2us_bench() -> u64 {
    op_2us(black_box(2))
}

#[divan::bench(name = "op_2ms")]
fn op_2ms_bench() -> u64 {
    op_2ms(black_box(3))
}
