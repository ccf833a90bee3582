//! The raw cost of recording: `oxprof::trace` region begin/end pairs and logs in a tight loop,
//! timed in the thread's CPU time, with tracing off and recording to a file.

use std::hint::black_box;

use crate::measure::thread_cpu;

/// ns per event of `pairs` iterations of `f`, each recording `events` events.
fn time(pairs: u64, events: u64, f: impl Fn(u64)) -> f64 {
    let t0 = thread_cpu();
    for i in 0..pairs {
        f(i);
    }
    (thread_cpu() - t0).as_nanos() as f64 / (pairs * events) as f64
}

fn region(i: u64) {
    let region = oxprof::trace::start_region("raw");
    black_box(i);
    region.end();
}

fn log(i: u64) {
    oxprof::trace::log("raw", "a short message");
    black_box(i);
}

/// Prints, for each of `reps` repetitions of `pairs` iterations, the ns per event of a region's
/// begin and end and of a log, with tracing off and with tracing recording to `file`.
pub fn run(reps: u64, pairs: u64, file: &str) -> Result<(), String> {
    for rep in 0..reps {
        let off = time(pairs, 2, region);
        println!("raw=region-off rep={rep} ns={off:.2}");
    }
    let out = std::fs::File::create(file).map_err(|e| format!("{file}: {e}"))?;
    oxprof::trace::start(std::io::BufWriter::new(out)).map_err(|e| e.to_string())?;
    for rep in 0..reps {
        let on = time(pairs, 2, region);
        println!("raw=region rep={rep} ns={on:.2}");
        let on = time(pairs, 1, log);
        println!("raw=log rep={rep} ns={on:.2}");
    }
    oxprof::trace::stop().map_err(|e| format!("stopping the trace: {e}"))?;
    let bytes = std::fs::metadata(file).map_or(0, |m| m.len());
    // Each rep wrote `pairs` regions (2 events) and `pairs` logs.
    let events = reps * pairs * 3;
    println!(
        "raw=bytes events={events} bytes={bytes} per_event={:.2}",
        bytes as f64 / events as f64
    );
    Ok(())
}
