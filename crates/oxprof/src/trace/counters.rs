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

/// Samples every counter now into `out`; notes the kernel's names of the threads (a thread
/// that never records events has no other name in the trace, and may be gone by the end of
/// the generation).
pub(super) fn sample(out: &mut Vec<ProcessEvent>, names: &mut KernelNames) {
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
        names.note(tid.into());
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

/// How many counter samples (a second's) re-read a new thread's name: a thread created
/// with a name first runs under its creator's and renames itself a moment later.
const NAME_READS: u8 = 10;

/// The kernel's names of the threads seen, each kept for when its thread is gone.
#[derive(Default)]
pub(super) struct KernelNames {
    /// Name, and how many samples have read it.
    names: HashMap<u64, (String, u8)>,
}

impl KernelNames {
    /// Reads thread `tid`'s name during its first [`NAME_READS`] samples.
    fn note(&mut self, tid: u64) {
        let (name, reads) = self.names.entry(tid).or_default();
        if *reads < NAME_READS {
            *reads += 1;
            let now = kernel_thread_name(tid);
            if !now.is_empty() {
                *name = now;
            }
        }
    }

    /// Thread `tid`'s name now, or the last one read while it lived.
    pub(super) fn current(&mut self, tid: u64) -> String {
        let (name, _) = self.names.entry(tid).or_default();
        let now = kernel_thread_name(tid);
        if !now.is_empty() {
            *name = now;
        }
        name.clone()
    }
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
        let mut names = KernelNames::default();
        sample(&mut out, &mut names);
        // SAFETY: gettid has no preconditions.
        let me = unsafe { libc::gettid() } as u64;
        assert!(out.iter().any(|e| matches!(e,
            ProcessEvent::ThreadCpu { tid, nanos, .. } if *tid == me && *nanos > 0)));
        assert!(out.iter().any(|e| matches!(e,
            ProcessEvent::Counter { name, value, .. } if *name == RESIDENT_BYTES && *value > 0)));
        assert!(!kernel_thread_name(me).is_empty());
        assert_eq!(names.names[&me].0, kernel_thread_name(me));
    }

    #[test]
    fn a_thread_renamed_after_it_was_first_seen_is_kept_under_its_new_name() {
        // Three meeting points: first seen, renamed, read again (the thread lives until then).
        let meet = std::sync::Arc::new(std::sync::Barrier::new(2));
        let (tell_tid, tid) = std::sync::mpsc::channel();
        let worker = {
            let meet = meet.clone();
            std::thread::spawn(move || {
                // SAFETY: gettid has no preconditions.
                tell_tid.send(unsafe { libc::gettid() } as u64).unwrap();
                meet.wait();
                // SAFETY: a NUL-terminated name of at most 15 bytes for this thread.
                unsafe {
                    libc::pthread_setname_np(libc::pthread_self(), c"renamed-later".as_ptr())
                };
                meet.wait();
                meet.wait();
            })
        };
        let tid = tid.recv().unwrap();
        let mut names = KernelNames::default();
        names.note(tid);
        meet.wait();
        meet.wait();
        names.note(tid);
        meet.wait();
        worker.join().unwrap();
        // What is kept for it (its id may already name another thread of this process).
        assert_eq!(names.names[&tid].0, "renamed-later");
    }
}
