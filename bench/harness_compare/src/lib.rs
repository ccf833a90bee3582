//! The three workloads every harness measures, and the driver's parsing of each harness's
//! report.
//!
//! Each workload is a dependent chain of xorshift rounds, so its cost is the chain's latency:
//! deterministic, free of memory effects, and the same whatever harness calls it.

use std::hint::black_box;

/// Xorshift rounds: each depends on the previous one, so they cannot overlap.
#[inline(never)]
pub fn spin(mut x: u64, rounds: u32) -> u64 {
    for _ in 0..rounds {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    x
}

/// About 2 ns: one multiply-rotate step on a value the compiler cannot see.
#[inline(never)]
pub fn op_2ns(x: u64) -> u64 {
    black_box(x)
        .wrapping_mul(0x9e37_79b9_7f4a_7c15)
        .rotate_left(23)
        ^ 0x51
}

/// About 2 µs.
pub fn op_2us(x: u64) -> u64 {
    spin(x, 800)
}

/// About 2 ms.
pub fn op_2ms(x: u64) -> u64 {
    spin(x, 800_000)
}

/// The workloads' names, as every harness reports them.
pub const WORKLOADS: [&str; 3] = ["op_2ns", "op_2us", "op_2ms"];

pub mod parse;
