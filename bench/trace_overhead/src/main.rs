//! Execution tracer overhead: a `tracing`-instrumented workload run with no subscriber, with
//! the bare registry, with oxprof's `TraceLayer` (tracing off, then recording to a file) and
//! with tracing-chrome; and the raw cost of `oxprof::trace` region events. Each `run` prints
//! one line of measurements; `summarize` makes the table.
//!
//! ```text
//! trace_overhead calibrate RATE                      spin count for RATE trace events/s per thread
//! trace_overhead run MODE THREADS UNITS SPIN FILE    MODE: none | registry | oxprof-off | oxprof | chrome
//! trace_overhead raw REPS PAIRS FILE                 ns per region begin/end, REPS times
//! trace_overhead summarize FILE                      a table over the lines run and raw printed
//! ```
//!
//! A unit of work is one span entered around some spinning and one event inside it, so oxprof
//! records five events per unit: the span's task begin and end, the region of its entry, and
//! the event's log. Rates are in those events.

#[path = "../../shared/measure.rs"]
#[allow(dead_code)]
mod measure;
mod raw;
#[path = "../../shared/run_lines.rs"]
#[allow(dead_code)]
mod run_lines;
mod summary;
mod workload;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["calibrate", rate] => number(rate).map(|rate| println!("{}", workload::calibrate(rate))),
        ["run", mode, threads, units, spin, file] => (|| {
            workload::run(mode, number(threads)?, number(units)?, number(spin)?, file)
        })(),
        ["raw", reps, pairs, file] => (|| raw::run(number(reps)?, number(pairs)?, file))(),
        ["summarize", file] => summary::summarize(file),
        _ => Err("usage: trace_overhead calibrate RATE | run MODE THREADS UNITS SPIN FILE | raw REPS PAIRS FILE | summarize FILE".to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("trace_overhead: {e}");
            ExitCode::FAILURE
        }
    }
}

fn number(s: &str) -> Result<u64, String> {
    s.parse().map_err(|_| format!("not a number: {s}"))
}
