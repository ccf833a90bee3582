//! Profiles a small multi-threaded program and writes the profile for `oxprof` or
//! `go tool pprof` to read.
//!
//! ```sh
//! cargo run --release -p oxprof --example cpu -- cpu.pprof          # CPU time
//! cargo run --release -p oxprof --example cpu -- wall.pprof --wall  # wall-clock time
//! oxprof -top cpu.pprof
//! ```

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Duration;

use oxprof::cpu::{Mode, Profiler};

/// Counts words in generated text: hashing and map updates.
#[inline(never)]
fn count_words(rounds: u32) -> usize {
    let mut counts: HashMap<String, u32> = HashMap::new();
    for i in 0..rounds {
        let word = format!("w{}", (i.wrapping_mul(2_654_435_761)) % 5_000);
        *counts.entry(word).or_default() += 1;
    }
    counts.len()
}

/// Sorts pseudo-random numbers: comparisons and moves.
#[inline(never)]
fn sort_numbers(n: usize) -> u64 {
    let mut x = 88_172_645_463_325_252u64;
    let mut v: Vec<u64> = (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        })
        .collect();
    v.sort_unstable();
    v[n / 2]
}

/// Waits, as a server thread waits for requests: visible in wall-clock profiles only.
#[inline(never)]
fn wait_for_work() {
    std::thread::sleep(Duration::from_millis(600));
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out = args.next().unwrap_or_else(|| "cpu.pprof".into());
    let mode = if args.any(|a| a == "--wall") {
        Mode::Wall
    } else {
        Mode::Cpu
    };
    let profiler = Profiler::builder().mode(mode).thread_labels(true).start()?;
    let words = std::thread::Builder::new()
        .name("words".into())
        .spawn(|| oxprof::labels::scope(&[("job", "words")], || count_words(3_000_000)))?;
    let waiter = std::thread::Builder::new()
        .name("waiter".into())
        .spawn(wait_for_work)?;
    let median = oxprof::labels::scope(&[("job", "sort")], || sort_numbers(6_000_000));
    let distinct = words.join().expect("the words thread panicked");
    waiter.join().expect("the waiter thread panicked");
    black_box((distinct, median));
    let profile = profiler.stop()?;
    profile.write_to(std::fs::File::create(&out)?)?;
    eprintln!(
        "wrote {out}: {} samples; try: oxprof -top {out}",
        profile.sample.len()
    );
    Ok(())
}
