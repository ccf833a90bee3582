//! The thread that keeps the snapshots fresh while unwinding is in use: it checks the loader's
//! counters every few milliseconds (or at once when a handler saw an unknown address) and
//! re-reads the stack mappings periodically (or soon after a handler saw an unknown stack).

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::snapshots::{refresh_memory, refresh_modules};
use super::wake::{self, Request};

/// How long a `dlopen`ed library can go unseen when no handler has asked for it. A handler that
/// meets an address outside every module wakes the watcher at once, so this is a backstop. The
/// check costs about 10 ns, but each wake-up costs ~30 µs of CPU on a virtual machine, which at
/// a 5 ms period was a quarter of a percent of a core for nothing.
const POLL_INTERVAL: Duration = Duration::from_millis(100);
/// How often the stack mappings are re-read unasked: reading `/proc/self/maps` costs hundreds
/// of microseconds, and new threads and unknown stacks ask for a re-read anyway.
const MEMORY_PERIOD: Duration = Duration::from_secs(1);
/// The shortest gap between two re-reads on request. A thread whose stack is in no anonymous
/// mapping would otherwise have every one of its samples trigger a re-read.
const MEMORY_REQUEST_GAP: Duration = Duration::from_millis(10);
/// The shortest gap between two module checks on request, for the same reason (code outside
/// every module, such as JIT-compiled code).
const MODULES_REQUEST_GAP: Duration = Duration::from_millis(1);

/// A running watcher thread.
pub(super) struct Watcher {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

impl Watcher {
    pub(super) fn start() -> io::Result<Watcher> {
        wake::open()?;
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = stop.clone();
            crate::internal_thread::spawn("oxprof-unwind-watcher", move || run(&stop))?
        };
        Ok(Watcher { stop, thread })
    }

    /// Stops the thread and waits for it.
    pub(super) fn stop(self) {
        self.stop.store(true, Ordering::Release);
        wake::kick();
        // The thread catches no panics of its own; a panic there is already reported.
        let _ = self.thread.join();
    }

    #[cfg(test)]
    pub(super) fn is_running(&self) -> bool {
        !self.thread.is_finished()
    }
}

fn run(stop: &AtomicBool) {
    let mut modules_served = Instant::now();
    let mut memory_read = Instant::now();
    loop {
        wake::wait(POLL_INTERVAL);
        if stop.load(Ordering::Acquire) {
            return;
        }
        // A pending bit stays set while it is not served, which keeps handlers from writing to
        // the eventfd: the watcher is then only woken by its poll interval.
        if wake::is_pending(Request::Modules) && modules_served.elapsed() >= MODULES_REQUEST_GAP {
            wake::clear(Request::Modules);
            modules_served = Instant::now();
        }
        refresh_modules();
        let memory_gap = if wake::is_pending(Request::Memory) {
            MEMORY_REQUEST_GAP
        } else {
            MEMORY_PERIOD
        };
        if memory_read.elapsed() >= memory_gap {
            wake::clear(Request::Memory);
            // On error the old snapshot stays, and the next period tries again.
            let _ = refresh_memory();
            memory_read = Instant::now();
        }
    }
}
