//! The clocks that trigger CPU samples: one POSIX timer per thread on that thread's CPU-time
//! clock, delivered to that thread (`SIGEV_THREAD_ID`), as Go does since 1.18; and the
//! process-wide `setitimer(ITIMER_PROF)` as the fallback where per-thread timers are refused.
//!
//! A process-wide timer under-samples busy multi-threaded programs: the kernel accounts process
//! CPU time every tick and delivers at most one signal per check (golang/go#35057). Per-thread
//! timers do not have that ceiling.

use std::io;
use std::time::Duration;

/// A CPU-time timer on one thread that signals that thread with `SIGPROF`.
#[derive(Debug)]
pub(crate) struct ThreadTimer {
    id: libc::timer_t,
}

// SAFETY: a timer id is a kernel handle valid from any thread of the process.
unsafe impl Send for ThreadTimer {}

impl ThreadTimer {
    /// Arms a timer on thread `tid`'s CPU clock firing every `period` of that thread's CPU time,
    /// first after `first` (randomised by the caller so short-lived threads are not biased away).
    /// Every signal carries `value`.
    pub(crate) fn arm(tid: u32, period: Duration, first: Duration, value: u64) -> io::Result<Self> {
        // The Linux encoding of a thread's CPU clock (CPUCLOCK_SCHED | CPUCLOCK_PERTHREAD_MASK
        // with the negated tid), which `pthread_getcpuclockid` would return if we had the
        // thread's pthread_t; we only know its tid.
        let clock = ((!(tid as libc::clockid_t)) << 3) | 6;
        // SAFETY: `event` is zero-initialised and then fully describes a thread-directed signal;
        // `id` receives the new timer.
        let id = unsafe {
            let mut event: libc::sigevent = std::mem::zeroed();
            event.sigev_notify = libc::SIGEV_THREAD_ID;
            event.sigev_signo = libc::SIGPROF;
            event.sigev_notify_thread_id = tid as libc::c_int;
            event.sigev_value = libc::sigval {
                sival_ptr: value as usize as *mut libc::c_void,
            };
            let mut id: libc::timer_t = std::mem::zeroed();
            if libc::timer_create(clock, &mut event, &mut id) != 0 {
                return Err(io::Error::last_os_error());
            }
            id
        };
        let timer = ThreadTimer { id };
        let spec = libc::itimerspec {
            it_interval: timespec(period),
            it_value: timespec(first.max(Duration::from_nanos(1))),
        };
        // SAFETY: `id` is the timer created above; `spec` is a valid itimerspec.
        if unsafe { libc::timer_settime(timer.id, 0, &spec, std::ptr::null_mut()) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(timer)
    }
}

impl Drop for ThreadTimer {
    fn drop(&mut self) {
        // SAFETY: `id` was returned by timer_create and is deleted exactly once, here.
        unsafe { libc::timer_delete(self.id) };
    }
}

/// The process-wide `ITIMER_PROF` timer; disarmed when dropped.
#[derive(Debug)]
pub(crate) struct ProcessTimer(());

impl ProcessTimer {
    /// Arms `ITIMER_PROF` every `period` of process CPU time.
    pub(crate) fn arm(period: Duration) -> io::Result<ProcessTimer> {
        set_itimer_prof(period)?;
        Ok(ProcessTimer(()))
    }
}

impl Drop for ProcessTimer {
    fn drop(&mut self) {
        let _ = set_itimer_prof(Duration::ZERO);
    }
}

fn set_itimer_prof(period: Duration) -> io::Result<()> {
    let tv = libc::timeval {
        tv_sec: period.as_secs() as libc::time_t,
        tv_usec: period.subsec_micros().max(u32::from(!period.is_zero())) as libc::suseconds_t,
    };
    let value = libc::itimerval {
        it_interval: tv,
        it_value: tv,
    };
    // SAFETY: `value` is a valid itimerval; the old value is not requested.
    if unsafe { libc::setitimer(libc::ITIMER_PROF, &value, std::ptr::null_mut()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

fn timespec(d: Duration) -> libc::timespec {
    libc::timespec {
        tv_sec: d.as_secs() as libc::time_t,
        tv_nsec: d.subsec_nanos() as libc::c_long,
    }
}

/// A uniformly distributed first expiry in (0, period], so one tenth of a period of CPU time
/// shows up as a one-in-ten chance of a sample (Go's `setThreadCPUProfiler`).
pub(crate) fn random_first_expiry(
    period: Duration,
    random: &mut crate::random::Xorshift,
) -> Duration {
    let nanos = period.as_nanos().max(1) as u64;
    Duration::from_nanos(1 + random.next() % nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_expiry_stays_within_one_period() {
        let mut random = crate::random::Xorshift::seeded(42);
        let period = Duration::from_millis(10);
        for _ in 0..1000 {
            let d = random_first_expiry(period, &mut random);
            assert!(d > Duration::ZERO && d <= period, "{d:?}");
        }
    }

    #[test]
    fn a_timer_on_a_dead_thread_cannot_be_created() {
        // Thread ids are never this large (pid_max is at most 2^22).
        let err = ThreadTimer::arm(
            (1 << 22) + 7,
            Duration::from_millis(10),
            Duration::from_millis(1),
            0,
        )
        .unwrap_err();
        assert!(err.raw_os_error().is_some(), "{err}");
    }
}
