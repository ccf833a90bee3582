//! The instrumented workload and its subscribers.

use std::hint::black_box;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use tracing_subscriber::prelude::*;

use crate::measure::{machine_busy, process_cpu, thread_cpu};

/// Trace events oxprof records per unit: task begin, region begin, log, region end, task end.
pub const EVENTS_PER_UNIT: u64 = 5;

/// Work that the optimizer cannot remove or merge: `n` rounds of xorshift.
#[inline(never)]
fn spin(n: u64, seed: u64) -> u64 {
    let mut x = seed | 0x9e37_79b9;
    for _ in 0..n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x = black_box(x);
    }
    x
}

/// One unit: a span entered around the spinning, with an event inside.
#[inline(never)]
fn unit(i: u64, spin_rounds: u64) -> u64 {
    let span = tracing::info_span!("unit");
    let _entered = span.enter();
    let x = spin(spin_rounds, i);
    tracing::info!(x, "step");
    x
}

/// The spin count that makes a unit (with no subscriber) last as long as `rate` trace events
/// per second allow: `EVENTS_PER_UNIT / rate` seconds. The fastest of several timings, as
/// other programs only ever slow it down.
pub fn calibrate(rate: u64) -> u64 {
    const ROUNDS: u64 = 200_000;
    let per_round = (0..7)
        .map(|_| {
            let t0 = thread_cpu();
            black_box(spin(ROUNDS, 1));
            (thread_cpu() - t0).as_secs_f64() / ROUNDS as f64
        })
        .fold(f64::INFINITY, f64::min);
    let unit_secs = EVENTS_PER_UNIT as f64 / rate as f64;
    (unit_secs / per_round).round().max(1.0) as u64
}

/// What keeps a subscriber's output going until the run's end.
enum Guard {
    None,
    Oxprof,
    Chrome(#[allow(dead_code)] tracing_chrome::FlushGuard),
}

fn install(mode: &str, file: &str) -> Result<Guard, String> {
    let registry = tracing_subscriber::registry();
    let guard = match mode {
        "none" => return Ok(Guard::None),
        "registry" => {
            tracing::subscriber::set_global_default(registry).map_err(|e| e.to_string())?;
            Guard::None
        }
        "oxprof-off" | "oxprof" => {
            let subscriber = registry.with(oxprof::trace::TraceLayer::new());
            tracing::subscriber::set_global_default(subscriber).map_err(|e| e.to_string())?;
            if mode == "oxprof" {
                let out = std::fs::File::create(file).map_err(|e| format!("{file}: {e}"))?;
                oxprof::trace::start(std::io::BufWriter::new(out)).map_err(|e| e.to_string())?;
                Guard::Oxprof
            } else {
                Guard::None
            }
        }
        "chrome" => {
            let (layer, guard) = tracing_chrome::ChromeLayerBuilder::new().file(file).build();
            let subscriber = registry.with(layer);
            tracing::subscriber::set_global_default(subscriber).map_err(|e| e.to_string())?;
            Guard::Chrome(guard)
        }
        _ => return Err(format!("unknown mode {mode}")),
    };
    Ok(guard)
}

/// Runs `units` units on each of `threads` threads under `mode`'s subscriber and prints one
/// line: wall time, the workers' CPU time, the process's (writers included), trace bytes and,
/// for oxprof, the events the trace holds.
pub fn run(
    mode: &str,
    threads: u64,
    units: u64,
    spin_rounds: u64,
    file: &str,
) -> Result<(), String> {
    let guard = install(mode, file)?;
    let (cpu0, busy0) = (process_cpu(), machine_busy());
    let start = Arc::new(Barrier::new(threads as usize + 1));
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let start = Arc::clone(&start);
            std::thread::Builder::new()
                .name(format!("worker-{t}"))
                .spawn(move || {
                    start.wait();
                    let t0 = thread_cpu();
                    let mut acc = 0u64;
                    for i in 0..units {
                        acc = acc.wrapping_add(unit(i + t * units, spin_rounds));
                    }
                    black_box(acc);
                    thread_cpu() - t0
                })
                .expect("spawning a worker")
        })
        .collect();
    start.wait();
    let t0 = Instant::now();
    let work_cpu: Duration = workers
        .into_iter()
        .map(|w| w.join().expect("a worker"))
        .sum();
    let wall = t0.elapsed();
    match guard {
        Guard::Oxprof => oxprof::trace::stop().map_err(|e| format!("stopping the trace: {e}"))?,
        Guard::Chrome(flush) => drop(flush),
        Guard::None => {}
    }
    let total_cpu = process_cpu() - cpu0;
    let others = (machine_busy() - busy0).saturating_sub(total_cpu);
    let bytes = std::fs::metadata(file).map_or(0, |m| m.len());
    let events = if mode == "oxprof" {
        user_events(file)?
    } else {
        0
    };
    println!(
        "mode={mode} threads={threads} units={units} wall={:.4} work_cpu={:.4} total_cpu={:.4} others_cpu={:.4} bytes={bytes} events={events}",
        wall.as_secs_f64(),
        work_cpu.as_secs_f64(),
        total_cpu.as_secs_f64(),
        others.as_secs_f64(),
    );
    Ok(())
}

/// The events of the workload's kinds in the trace at `file`, which must parse.
fn user_events(file: &str) -> Result<u64, String> {
    use oxprof_trace::EventKind::*;
    let data = std::fs::read(file).map_err(|e| format!("{file}: {e}"))?;
    let trace = oxprof_trace::parse(&data).map_err(|e| format!("{file}: {e}"))?;
    Ok(trace
        .events
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                TaskBegin { .. }
                    | TaskEnd { .. }
                    | RegionBegin { .. }
                    | RegionEnd { .. }
                    | Log { .. }
            )
        })
        .count() as u64)
}
