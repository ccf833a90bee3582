//! CPU profiler overhead: one fixed amount of CPU-bound work on two threads, run unprofiled,
//! under oxprof, or under pprof-rs, printing one line of measurements per run.
//!
//! ```text
//! cpu_overhead run MODE [HZ] [BATCHES]   MODE: none | oxprof | pprof-rs[-fp|-framehop]
//! cpu_overhead variant                   the pprof-rs mode this build runs
//! cpu_overhead summarize FILE            a table over the lines `run` printed
//! ```
//!
//! With `CPU_OVERHEAD_DUMP` set, `run` prints one recorded stack to stderr, to check by eye
//! what a profiler's stacks look like.
//!
//! `bench/cpu_overhead.sh` builds each pprof-rs variant, interleaves the modes and summarizes.

#[path = "../../shared/measure.rs"]
mod measure;
mod profilers;
#[path = "../../shared/run_lines.rs"]
mod run_lines;
mod summary;
mod workload;

use std::process::ExitCode;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use profilers::{Mode, Running};

/// Worker threads: one per core of the 2-core machine the figures come from.
const THREADS: u64 = 2;
/// Batches per thread: about 1.5 s of wall time (3 s of CPU over both threads) unprofiled on
/// that machine.
const DEFAULT_BATCHES: u64 = 150_000;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["run", mode, rest @ ..] if rest.len() <= 2 => run_command(mode, rest),
        ["variant"] => {
            println!("{}", profilers::PPROF_VARIANT);
            Ok(())
        }
        ["summarize", file] => summary::summarize(file),
        _ => Err(
            "usage: cpu_overhead run MODE [HZ] [BATCHES] | variant | summarize FILE".to_string(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cpu_overhead: {e}");
            ExitCode::from(2)
        }
    }
}

fn run_command(mode: &str, rest: &[&str]) -> Result<(), String> {
    let mode = Mode::parse(mode)?;
    let number = |i: usize, default: u64| -> Result<u64, String> {
        rest.get(i).map_or(Ok(default), |s| {
            s.parse().map_err(|_| format!("not a number: {s:?}"))
        })
    };
    let hz = number(0, 100)?;
    let hz = u32::try_from(hz).map_err(|_| format!("rate out of range: {hz}"))?;
    let batches = number(1, DEFAULT_BATCHES)?;
    let run = run(mode, hz, batches)?;
    println!("{run}");
    Ok(())
}

/// One run's measurements, printed as `key=value` pairs that [`summary`] reads back.
struct Run {
    mode: Mode,
    hz: u32,
    wall: Duration,
    cpu: Duration,
    worker_cpu: Duration,
    /// CPU time other programs used while the workload ran.
    others_cpu: Duration,
    start: Duration,
    stop: Duration,
    rss_start_kib: u64,
    rss_run_kib: u64,
    rss_end_kib: u64,
    recorded: profilers::Recorded,
    checksum: u64,
}

fn run(mode: Mode, hz: u32, batches: u64) -> Result<Run, String> {
    let rss_start_kib = measure::peak_rss_kib();
    // Workers exist and wait before the profiler starts, so every profiler sees the same
    // threads from the first tick and thread creation stays out of the timing.
    let go = Arc::new(Barrier::new(THREADS as usize + 1));
    let workers: Vec<_> = (0..THREADS)
        .map(|i| {
            let go = go.clone();
            std::thread::Builder::new()
                .name(format!("worker-{i}"))
                .spawn(move || {
                    go.wait();
                    let cpu = measure::thread_cpu();
                    let checksum = workload::worker(i.wrapping_mul(0x9e37_79b9), batches);
                    (checksum, measure::thread_cpu() - cpu)
                })
                .map_err(|e| format!("spawning a worker: {e}"))
        })
        .collect::<Result<_, _>>()?;

    let started = Instant::now();
    let profiler = Running::start(mode, hz)?;
    let start = started.elapsed();

    let busy_before = measure::machine_busy();
    let cpu_before = measure::process_cpu();
    let began = Instant::now();
    go.wait();
    let mut checksum = 0;
    let mut worker_cpu = Duration::ZERO;
    for w in workers {
        let (sum, cpu) = w.join().map_err(|_| "a worker panicked".to_string())?;
        checksum ^= sum;
        worker_cpu += cpu;
    }
    let wall = began.elapsed();
    let cpu = measure::process_cpu() - cpu_before;
    let others_cpu = (measure::machine_busy().saturating_sub(busy_before)).saturating_sub(cpu);
    let rss_run_kib = measure::peak_rss_kib();

    let stopping = Instant::now();
    let stopped = profiler.stop()?;
    let stop = stopping.elapsed();
    let rss_end_kib = measure::peak_rss_kib();

    Ok(Run {
        mode,
        hz,
        wall,
        cpu,
        worker_cpu,
        others_cpu,
        start,
        stop,
        rss_start_kib,
        rss_run_kib,
        rss_end_kib,
        recorded: stopped.recorded(),
        checksum,
    })
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let r = &self.recorded;
        write!(
            f,
            "mode={} hz={} wall_s={:.4} cpu_s={:.4} worker_cpu_s={:.4} others_cpu_s={:.2} start_s={:.4} \
             stop_s={:.4} rss_start_kib={} rss_run_kib={} rss_end_kib={} samples={} lost={} \
             complete={} frames={} checksum={:016x}",
            self.mode,
            if self.mode == Mode::None { 0 } else { self.hz },
            self.wall.as_secs_f64(),
            self.cpu.as_secs_f64(),
            self.worker_cpu.as_secs_f64(),
            self.others_cpu.as_secs_f64(),
            self.start.as_secs_f64(),
            self.stop.as_secs_f64(),
            self.rss_start_kib,
            self.rss_run_kib,
            self.rss_end_kib,
            r.samples,
            r.lost,
            r.complete,
            r.frames,
            self.checksum,
        )
    }
}
