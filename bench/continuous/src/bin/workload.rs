//! A fixed CPU-bound workload on two threads, timed, with or without the continuous agent.
//!
//! `workload [--agent URL] [--units N]`: prints one line, `wall_s cpu_s agent_cpu_s pushes
//! bytes_sent steady_percent check`, so the script can compare runs. `steady_percent` is the
//! agent's CPU from the end of its first collection to the end of the run, as a percentage of
//! the program's own CPU (the process's less the agent's) over the same time (0 without the agent or with a single collection).

use std::time::Instant;

#[global_allocator]
static ALLOC: oxprof::heap::Profiled = oxprof::heap::Profiled::system();

/// One unit of work: hashing and sorting a buffer, allocating as it goes.
#[inline(never)]
fn unit(seed: u64) -> u64 {
    let mut x = seed | 1;
    let mut data: Vec<u64> = (0..20_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        })
        .collect();
    data.sort_unstable();
    data.iter().step_by(97).fold(0, |a, v| a ^ v)
}

/// User and system CPU time of the whole process so far.
fn cpu_seconds() -> f64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct it is given.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) };
    // SAFETY: zeroed, then filled by getrusage.
    let u = unsafe { usage.assume_init() };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    seconds(u.ru_utime) + seconds(u.ru_stime)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let value = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .map(|i| args[i + 1].clone())
    };
    let units: u64 = value("--units").map_or(60_000, |u| u.parse().expect("--units N"));
    let agent = value("--agent").map(|url| {
        oxprof::continuous::Agent::builder()
            .service_name("bench-workload")
            .endpoint(url)
            .start()
            .expect("start the agent")
    });
    let (start, cpu0) = (Instant::now(), cpu_seconds());
    let threads: Vec<_> = (0..2u64)
        .map(|t| {
            std::thread::spawn(move || {
                (0..units / 2).fold(0u64, |a, i| a ^ unit(i * 2 + t))
            })
        })
        .collect();
    // The agent's first collection pays once for reading the executable's debug information;
    // what it costs per period after that is its steady cost.
    let mut first_collection = None;
    while !threads.iter().all(|t| t.is_finished()) {
        std::thread::sleep(std::time::Duration::from_millis(50));
        if let (Some(agent), None) = (&agent, &first_collection) {
            let stats = agent.stats();
            if stats.collections >= 1 {
                first_collection = Some((stats.cpu_time, cpu_seconds(), stats.collections));
            }
        }
    }
    let mut check = 0;
    for t in threads {
        check ^= t.join().expect("worker");
    }
    let (wall, cpu) = (start.elapsed().as_secs_f64(), cpu_seconds() - cpu0);
    let before_stop = agent.as_ref().map(|a| a.stats()).unwrap_or_default();
    // Steady share: the agent's CPU from its first collection on, over the program's (the process's less the agent's) then.
    let steady = match first_collection {
        Some((agent_cpu, process_cpu, n)) if before_stop.collections > n => {
            let agent_delta = (before_stop.cpu_time - agent_cpu).as_secs_f64();
            agent_delta / (cpu_seconds() - process_cpu - agent_delta)
        }
        _ => 0.0,
    };
    let stats = agent.map(|a| a.stop()).unwrap_or_default();
    println!(
        "{wall:.3} {cpu:.3} {:.3} {} {} {:.4} {}",
        stats.cpu_time.as_secs_f64(),
        stats.pushes_sent,
        stats.bytes_sent,
        steady * 100.0,
        check % 2
    );
}
