//! The two clocks the profilers read: monotonic time (answered by the vDSO, no system call,
//! async-signal-safe) and the calling thread's CPU time.

use std::time::Duration;

fn read(clock: libc::clockid_t) -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec to fill; clock_gettime is async-signal-safe.
    unsafe { libc::clock_gettime(clock, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// `CLOCK_MONOTONIC` in nanoseconds. Safe in signal handlers.
pub(crate) fn monotonic_nanos() -> u64 {
    read(libc::CLOCK_MONOTONIC).as_nanos() as u64
}

/// CPU time the calling thread has used.
pub(crate) fn thread_cpu_time() -> Duration {
    read(libc::CLOCK_THREAD_CPUTIME_ID)
}

#[cfg(test)]
mod tests {
    #[test]
    fn clocks_advance() {
        let (t0, c0) = (super::monotonic_nanos(), super::thread_cpu_time());
        let mut x = 0u64;
        while super::monotonic_nanos() < t0 + 2_000_000 {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        assert!(super::thread_cpu_time() > c0);
    }
}
