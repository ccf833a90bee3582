//! The workloads under oxprof-bench, Go's b.Loop form.

use harness_compare::{op_2ms, op_2ns, op_2us};
use oxprof_bench::{black_box, B};

fn op2ns(b: &mut B) {
    let mut x = 1u64;
    b.iter(|| {
        x = op_2ns(x);
        x
    });
    black_box(x);
}

fn op2us(b: &mut B) {
    let mut x = 2u64;
    b.iter(|| {
        x = op_2us(black_box(x));
        x
    });
}

fn op2ms(b: &mut B) {
    let mut x = 3u64;
    b.iter(|| {
        x = op_2ms(black_box(x));
        x
    });
}

oxprof_bench::main!(op2ns, op2us, op2ms);
