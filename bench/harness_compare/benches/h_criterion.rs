//! The workloads under criterion, with its default settings.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use harness_compare::{op_2ms, op_2ns, op_2us};

fn workloads(c: &mut Criterion) {
    let mut x = 1u64;
    c.bench_function("op_2ns", |b| {
        b.iter(|| {
            x = op_2ns(x);
            x
        })
    });
    c.bench_function("op_2us", |b| b.iter(|| op_2us(black_box(x))));
    c.bench_function("op_2ms", |b| b.iter(|| op_2ms(black_box(x))));
}

criterion_group!(benches, workloads);
criterion_main!(benches);
