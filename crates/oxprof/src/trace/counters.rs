//! Counters the collector samples at intervals for the trace's process stream: resident
//! memory, live heap bytes (when oxprof's allocator counts them) and each thread's CPU time.

use std::collections::HashMap;
use std::time::Duration;

/// How often counters are sampled.
pub(super) const PERIOD: Duration = Duration::from_millis(100);

/// The counters' names in the trace.
pub(super) const RESIDENT_BYTES: &str = "resident bytes";
pub(super) const HEAP_LIVE_BYTES: &str = "heap live bytes";

/// An event of the process stream, before encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum ProcessEvent {
    /// A CPU profile sample of thread `tid`.
    Sample {
        time: u64,
        tid: u64,
        stack: Box<[u64]>,
    },
    /// A process counter.
    Counter {
        time: u64,
        name: &'static str,
        value: u64,
    },
    /// Thread `tid`'s CPU time so far.
    ThreadCpu { time: u64, tid: u64, nanos: u64 },
}

impl ProcessEvent {
    pub(super) fn time(&self) -> u64 {
        match *self {
            ProcessEvent::Sample { time, .. }
            | ProcessEvent::Counter { time, .. }
            | ProcessEvent::ThreadCpu { time, .. } => time,
        }
    }

    /// The thread it is about, if any.
    pub(super) fn tid(&self) -> Option<u64> {
        match *self {
            ProcessEvent::Sample { tid, .. } | ProcessEvent::ThreadCpu { tid, .. } => Some(tid),
            ProcessEvent::Counter { .. } => None,
        }
    }
}

/// Samples every counter now into `out`; notes the kernel's name of each thread not in
/// `names` yet (a thread that never records events has no other name in the trace, and
/// may be gone by the end of the generation).
pub(super) fn sample(out: &mut Vec<ProcessEvent>, names: &mut HashMap<u64, String>) {
    let time = crate::clock::monotonic_nanos();
    if let Some(value) = resident_bytes() {
        out.push(ProcessEvent::Counter {
            time,
            name: RESIDENT_BYTES,
            value,
        });
    }
    if crate::heap::is_installed() {
        let live = crate::heap::stats().process.live_bytes().max(0) as u64;
        out.push(ProcessEvent::Counter {
            time,
            name: HEAP_LIVE_BYTES,
            value: live,
        });
    }
    let own = crate::internal_thread::own_tids();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return;
    };
    for entry in tasks.flatten() {
        let Some(tid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        if own.contains(&tid) {
            continue;
        }
        names
            .entry(tid.into())
            .or_insert_with(|| kernel_thread_name(tid.into()));
        if let Some(nanos) = thread_cpu_nanos(tid) {
            out.push(ProcessEvent::ThreadCpu {
                time,
                tid: tid.into(),
                nanos,
            });
        }
    }
}

/// Resident set size, from `/proc/self/statm`.
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    Some(pages * u64::try_from(page).ok()?)
}

/// CPU time thread `tid` of this process has used; `None` once it has ended.
fn thread_cpu_nanos(tid: u32) -> Option<u64> {
    // The Linux encoding of a thread's CPU clock (CPUCLOCK_SCHED | CPUCLOCK_PERTHREAD_MASK
    // with the negated tid), which needs no pthread handle, as in `cpu::timers`.
    let clock = ((!(tid as libc::clockid_t)) << 3) | 6;
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec to fill; an ended thread's clock is refused (EINVAL).
    let rc = unsafe { libc::clock_gettime(clock, &mut ts) };
    (rc == 0).then(|| ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64)
}

/// The kernel's name for thread `tid` of this process ("" once it has ended).
pub(super) fn kernel_thread_name(tid: u64) -> String {
    std::fs::read_to_string(format!("/proc/self/task/{tid}/comm"))
        .map(|s| s.trim_end().to_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_include_this_thread_and_resident_memory() {
        let mut out = Vec::new();
        let mut names = HashMap::new();
        sample(&mut out, &mut names);
        // SAFETY: gettid has no preconditions.
        let me = unsafe { libc::gettid() } as u64;
        assert!(out.iter().any(|e| matches!(e,
            ProcessEvent::ThreadCpu { tid, nanos, .. } if *tid == me && *nanos > 0)));
        assert!(out.iter().any(|e| matches!(e,
            ProcessEvent::Counter { name, value, .. } if *name == RESIDENT_BYTES && *value > 0)));
        assert!(!kernel_thread_name(me).is_empty());
        assert_eq!(names[&me], kernel_thread_name(me));
    }
}
