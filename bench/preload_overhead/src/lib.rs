//! What the benchmark's programs share: reading the rounds, and printing the result with the
//! CPU time of the work (before the profiles are written at exit), so the script can tell the
//! work's cost from the cost of writing profiles.

/// The workload's rounds, from the first argument.
pub fn rounds() -> u32 {
    std::env::args()
        .nth(1)
        .and_then(|r| r.parse().ok())
        .expect("usage: PROGRAM ROUNDS")
}

/// Prints `work_cpu_seconds=` (this process's CPU time so far) and the workload's result.
pub fn report((spun, allocated): (u64, usize)) {
    // SAFETY: getrusage fills the zeroed struct it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    println!(
        "work_cpu_seconds={:.4} spun={spun:x} allocated={allocated}",
        seconds(usage.ru_utime) + seconds(usage.ru_stime)
    );
}
