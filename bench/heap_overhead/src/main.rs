//! Heap profiler overhead: fixed allocation-heavy work under the system allocator, under
//! `oxprof::heap::Profiled` (sampling at Go's default rate, or counting only) and under dhat-rs,
//! printing one line of measurements per run.
//!
//! ```text
//! heap_overhead run MODE WORKLOAD [ITERATIONS]   MODE: system | oxprof | counting | dhat
//!                                                WORKLOAD: small | mixed | threads
//! heap_overhead modes                            the modes this build runs
//! heap_overhead summarize FILE                   a table over the lines `run` printed
//! ```
//!
//! The global allocator is fixed at compile time: build with `--features system`, `oxprof` or
//! `dhat`. `bench/heap_overhead.sh` builds each, interleaves the runs and summarizes.

mod allocator;
#[allow(dead_code)]
#[path = "../../shared/measure.rs"]
mod measure;
#[path = "../../shared/run_lines.rs"]
mod run_lines;
mod summary;
mod workload;

use std::process::ExitCode;
use std::time::Instant;

use workload::Workload;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["run", mode, workload, rest @ ..] if rest.len() <= 1 => run(mode, workload, rest.first()),
        ["modes"] => {
            println!("{}", allocator::MODES.join(" "));
            Ok(())
        }
        ["summarize", file] => summary::summarize(file),
        _ => Err(
            "usage: heap_overhead run MODE WORKLOAD [ITERATIONS] | modes | summarize FILE"
                .to_string(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("heap_overhead: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(mode: &str, workload: &str, iterations: Option<&&str>) -> Result<(), String> {
    let workload = Workload::parse(workload)?;
    let iterations = match iterations {
        Some(s) => s.parse().map_err(|_| format!("not a number: {s:?}"))?,
        None => workload.default_iterations(),
    };
    let rss_start_kib = measure::peak_rss_kib();
    let session = allocator::Session::start(mode)?;

    let busy_before = measure::machine_busy();
    let cpu_before = measure::process_cpu();
    let began = Instant::now();
    let checksum = workload.run(iterations)?;
    let wall = began.elapsed();
    let cpu = measure::process_cpu() - cpu_before;
    let others_cpu = (measure::machine_busy().saturating_sub(busy_before)).saturating_sub(cpu);
    let rss_run_kib = measure::peak_rss_kib();

    let recorded = session.finish()?;
    let rss_end_kib = measure::peak_rss_kib();
    println!(
        "mode={mode} workload={workload:?} iterations={iterations} wall_s={:.4} cpu_s={:.4} \
         others_cpu_s={:.2} rss_start_kib={rss_start_kib} rss_run_kib={rss_run_kib} \
         rss_end_kib={rss_end_kib} allocs={} bytes={} samples={} dropped={} build_s={:.4} profiler_kib={} \
         checksum={checksum:016x}",
        wall.as_secs_f64(),
        cpu.as_secs_f64(),
        others_cpu.as_secs_f64(),
        recorded.allocs,
        recorded.bytes,
        recorded.samples,
        recorded.dropped,
        recorded.build.as_secs_f64(),
        recorded.memory / 1024,
    );
    Ok(())
}
