//! What `oxprof::sync`'s mutexes cost against the ones they wrap (`oxprof::sync::Mutex`
//! against `std::sync::Mutex`, `oxprof::sync::parking_lot::Mutex` against parking_lot's,
//! `oxprof::sync::tokio::Mutex` against tokio's): a loop of lock, increment,
//! unlock on one mutex, on 1 thread (uncontended) or 2 and 4 threads at once (contended), with
//! the block and mutex profiles off, recording every event, or sampling. One line of
//! measurements per run.
//!
//! ```text
//! sync_overhead run IMPL PROFILES THREADS OPS   IMPL: std | oxprof | parking_lot |
//!                                               oxprof-parking_lot | tokio | oxprof-tokio
//!                                               PROFILES: off | every | sampled
//! sync_overhead record EVENTS                   what one recorded block event costs
//! sync_overhead summarize FILE                  a table over the lines `run` printed
//! ```
//!
//! `every` is block rate 1 ns and mutex fraction 1 (every wait and contended release is
//! recorded with its stack); `sampled` is block rate 10 µs and mutex fraction 10.
//! `bench/sync_overhead.sh` interleaves the runs and summarizes.

#[allow(dead_code)]
#[path = "../../shared/measure.rs"]
mod measure;
#[allow(dead_code)]
#[path = "../../shared/run_lines.rs"]
mod run_lines;
mod summary;
mod workload;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["run", lock, profiles, threads, ops] => run(lock, profiles, threads, ops),
        ["record", events] => number(events).map(record),
        ["summarize", file] => summary::summarize(file),
        _ => Err(
            "usage: sync_overhead run IMPL PROFILES THREADS OPS | record EVENTS | summarize FILE"
                .into(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sync_overhead: {e}");
            ExitCode::from(2)
        }
    }
}

fn number(s: &str) -> Result<usize, String> {
    s.parse().map_err(|_| format!("not a number: {s:?}"))
}

fn run(lock: &str, profiles: &str, threads: &str, ops: &str) -> Result<(), String> {
    let (threads, ops) = (number(threads)?, number(ops)?);
    if threads == 0 {
        return Err("THREADS must be at least 1".into());
    }
    match profiles {
        "off" => {}
        "every" => {
            oxprof::block::set_rate(1);
            oxprof::mutex::set_fraction(1);
        }
        "sampled" => {
            oxprof::block::set_rate(10_000);
            oxprof::mutex::set_fraction(10);
        }
        _ => {
            return Err(format!(
                "unknown PROFILES {profiles:?}: off, every or sampled"
            ))
        }
    }
    let busy_before = measure::machine_busy();
    let cpu_before = measure::process_cpu();
    let measured = match lock {
        "std" => workload::run(&std::sync::Mutex::new(0u64), threads, ops),
        "oxprof" => workload::run(&oxprof::sync::Mutex::new(0u64), threads, ops),
        "parking_lot" => workload::run(&parking_lot::Mutex::new(0u64), threads, ops),
        "oxprof-parking_lot" => {
            workload::run(&oxprof::sync::parking_lot::Mutex::new(0u64), threads, ops)
        }
        "tokio" => workload::run(&tokio::sync::Mutex::new(0u64), threads, ops),
        "oxprof-tokio" => workload::run(&oxprof::sync::tokio::Mutex::new(0u64), threads, ops),
        _ => {
            return Err(format!(
                "unknown IMPL {lock:?}: std, oxprof, parking_lot, oxprof-parking_lot, tokio or \
                 oxprof-tokio"
            ))
        }
    };
    let cpu = measure::process_cpu() - cpu_before;
    let others_cpu = (measure::machine_busy().saturating_sub(busy_before)).saturating_sub(cpu);
    // Events the profiles stand for (their `contentions` totals).
    let events = |p: std::io::Result<oxprof::Profile>| {
        p.map_or(0, |p| p.sample.iter().map(|s| s.value[0]).sum::<i64>())
    };
    let (block_events, mutex_events) = if lock.starts_with("oxprof") && profiles != "off" {
        (
            events(oxprof::block::profile()),
            events(oxprof::mutex::profile()),
        )
    } else {
        (0, 0)
    };
    println!(
        "impl={lock} profiles={profiles} threads={threads} ops={} wall_s={:.5} ns_per_op={:.3} \
         cpu_s={:.4} others_cpu_s={:.2} block_events={block_events} mutex_events={mutex_events} \
         checksum={}",
        measured.ops,
        measured.wall.as_secs_f64(),
        measured.wall.as_nanos() as f64 / measured.ops as f64,
        cpu.as_secs_f64(),
        others_cpu.as_secs_f64(),
        measured.checksum,
    );
    Ok(())
}

/// Records `events` block events of the program's own at block rate 1 (every one kept, each
/// with its stack, all at one call site) and prints the cost of one.
fn record(events: usize) {
    oxprof::block::set_rate(1);
    // The first event starts the unwinder: not part of the steady cost.
    oxprof::block::record(std::time::Instant::now());
    let began = std::time::Instant::now();
    for _ in 0..events {
        oxprof::block::record(std::hint::black_box(began));
    }
    let wall = began.elapsed();
    println!(
        "record_events={events} ns_per_event={:.0}",
        wall.as_nanos() as f64 / events as f64
    );
}
