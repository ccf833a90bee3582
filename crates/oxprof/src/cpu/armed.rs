//! Which threads have a CPU timer of their own, readable from the signal handler.
//!
//! Per-thread timers leave a gap: a thread runs for up to one sampler check before it gets its
//! timer, and a thread that lives less than that never gets one. The process-wide timer stays
//! armed as a catch-all, as in Go: its signals count only on threads without their own timer,
//! which the handler tells from this bitmap indexed by thread id.

use std::sync::atomic::{AtomicU64, Ordering};

/// Thread ids never exceed `pid_max`, at most 2^22 on Linux.
const MAX_TIDS: usize = 1 << 22;

/// One bit per possible thread id.
pub(crate) struct ArmedThreads {
    words: Box<[AtomicU64]>,
}

impl ArmedThreads {
    /// A bitmap covering every thread id up to the system's `pid_max` (32,768 ids take 4 KiB;
    /// the largest possible, 2^22, take 512 KiB), every page written so the handler never
    /// faults one in.
    pub(crate) fn new() -> ArmedThreads {
        let pid_max = std::fs::read_to_string("/proc/sys/kernel/pid_max")
            .ok()
            .and_then(|s| s.trim().parse::<usize>().ok())
            .unwrap_or(MAX_TIDS)
            .clamp(64, MAX_TIDS);
        ArmedThreads {
            words: (0..pid_max.div_ceil(64))
                .map(|_| AtomicU64::new(0))
                .collect(),
        }
    }

    fn locate(&self, tid: u32) -> Option<(&AtomicU64, u64)> {
        let tid = tid as usize;
        Some((self.words.get(tid / 64)?, 1 << (tid % 64)))
    }

    /// Records whether thread `tid` has its own timer.
    pub(crate) fn set(&self, tid: u32, armed: bool) {
        if let Some((word, bit)) = self.locate(tid) {
            if armed {
                word.fetch_or(bit, Ordering::Release);
            } else {
                word.fetch_and(!bit, Ordering::Release);
            }
        }
    }

    /// Whether thread `tid` has its own timer. Async-signal-safe: one atomic load.
    pub(crate) fn contains(&self, tid: u32) -> bool {
        self.locate(tid)
            .is_some_and(|(word, bit)| word.load(Ordering::Acquire) & bit != 0)
    }
}

#[cfg(test)]
mod tests {
    use super::ArmedThreads;

    #[test]
    fn bits_are_set_and_cleared_per_thread() {
        let armed = ArmedThreads::new();
        assert!(!armed.contains(77));
        armed.set(77, true);
        armed.set(78, true);
        armed.set(78, false);
        assert!(armed.contains(77) && !armed.contains(78) && !armed.contains(76));
        assert!(
            !armed.contains(u32::MAX),
            "ids past pid_max are simply not armed"
        );
        armed.set(u32::MAX, true);
    }
}
