//! A program with the continuous agent: it sorts, hashes and allocates in a loop, with a
//! contended lock, and pushes its profiles every 10 s to `oxprof serve` (or any Pyroscope).
//!
//! ```sh
//! oxprof serve &
//! cargo run --release -p oxprof --features continuous --example continuous -- [URL] [SECONDS]
//! ```
//!
//! URL defaults to `http://localhost:4040`, SECONDS to running until stopped.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOC: oxprof::heap::Profiled = oxprof::heap::Profiled::system();

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .unwrap_or_else(|| "http://localhost:4040".into());
    let seconds: Option<u64> = args.next().map(|s| s.parse()).transpose()?;
    oxprof::block::set_rate(10_000);
    oxprof::mutex::set_fraction(10);
    let agent = oxprof::continuous::Agent::builder()
        .service_name("oxprof-example")
        .labels([("env", "dev")])
        .endpoint(&url)
        .start()?;
    eprintln!("pushing to {url} every 10 s; open {url}/ to see the profiles");
    let shared = Arc::new(oxprof::sync::Mutex::new(HashMap::<u64, u64>::new()));
    let workers: Vec<_> = (0..2)
        .map(|w| {
            let shared = shared.clone();
            std::thread::spawn(move || work(w, &shared, seconds))
        })
        .collect();
    let mut last = Instant::now();
    for worker in workers {
        while !worker.is_finished() {
            std::thread::sleep(Duration::from_millis(200));
            if last.elapsed() >= Duration::from_secs(10) {
                last = Instant::now();
                let s = agent.stats();
                eprintln!(
                    "{} pushes sent ({} profiles, {} bytes), {} retried, {} dropped, agent CPU {:?}",
                    s.pushes_sent, s.profiles_sent, s.bytes_sent, s.retries, s.dropped, s.cpu_time
                );
            }
        }
        worker.join().expect("a worker panicked");
    }
    let stats = agent.stop();
    eprintln!("stopped: {stats:?}");
    Ok(())
}

/// Sorting (labelled `phase=sort`) and counting words into a shared, locked map.
fn work(worker: u64, shared: &oxprof::sync::Mutex<HashMap<u64, u64>>, seconds: Option<u64>) {
    let end = seconds.map(|s| Instant::now() + Duration::from_secs(s));
    let mut seed = 0x9e37_79b9_7f4a_7c15u64 ^ worker;
    while end.is_none_or(|end| Instant::now() < end) {
        let mut data: Vec<u64> = (0..50_000)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed
            })
            .collect();
        oxprof::labels::scope(&[("phase", "sort")], || data.sort_unstable());
        let mut map = shared.lock().expect("not poisoned");
        for v in data.iter().step_by(64) {
            *map.entry(v % 1024).or_default() += 1;
        }
    }
}
