//! A watcher thread for the two things that must happen while a benchmark runs: the progress
//! line on a terminal, and `-timeout`.
//!
//! The thread never allocates once started, so allocation counts stay exact, and it wakes only
//! four times a second when it shows progress (otherwise once, at the deadline). Progress shows
//! only when stderr is a terminal, after a benchmark has run for a second: `\r` and an erase
//! keep it on one line, and it is erased before any result is printed.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::duration;

const TICK: Duration = Duration::from_millis(250);
const SHOW_AFTER: Duration = Duration::from_secs(1);
const NAME_CAP: usize = 240;

/// A handle on the watcher thread.
#[derive(Clone)]
pub(crate) struct Monitor(Arc<Shared>);

struct Shared {
    term: Mutex<Term>,
    /// Nanoseconds since `origin` (plus one) when the current benchmark started; 0 when idle.
    running_since: AtomicU64,
    n: AtomicU64,
    origin: Instant,
}

/// The current benchmark's name, kept in place so the watcher never allocates.
pub(crate) struct Term {
    name: [u8; NAME_CAP],
    len: usize,
    shown: bool,
}

impl Monitor {
    /// Starts the watcher, or returns `None` when there is nothing to watch for.
    pub(crate) fn spawn(progress: bool, timeout: Duration) -> Option<Monitor> {
        if !progress && timeout.is_zero() {
            return None;
        }
        let shared = Arc::new(Shared {
            term: Mutex::new(Term {
                name: [0; NAME_CAP],
                len: 0,
                shown: false,
            }),
            running_since: AtomicU64::new(0),
            n: AtomicU64::new(0),
            origin: Instant::now(),
        });
        let watched = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("oxprof-bench-monitor".into())
            .spawn(move || watch(&watched, progress, timeout))
            .ok()?;
        Some(Monitor(shared))
    }

    /// A benchmark starts.
    pub(crate) fn start(&self, name: &str) {
        let mut term = self.lock();
        let mut len = name.len().min(NAME_CAP);
        while !name.is_char_boundary(len) {
            len -= 1;
        }
        term.name[..len].copy_from_slice(&name.as_bytes()[..len]);
        term.len = len;
        let now = self.0.origin.elapsed().as_nanos() as u64;
        self.0.running_since.store(now + 1, Ordering::Relaxed);
    }

    /// The iteration count of the run in progress.
    pub(crate) fn set_n(&self, n: u64) {
        self.0.n.store(n, Ordering::Relaxed);
    }

    /// The benchmark is over.
    pub(crate) fn stop(&self) {
        self.0.running_since.store(0, Ordering::Relaxed);
    }

    /// Erases the progress line and keeps it away while the guard lives, for printing.
    pub(crate) fn quiet(&self) -> MutexGuard<'_, Term> {
        let mut term = self.lock();
        if std::mem::take(&mut term.shown) {
            let _ = std::io::stderr().write_all(b"\r\x1b[K");
        }
        term
    }

    fn lock(&self) -> MutexGuard<'_, Term> {
        self.0.term.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn watch(shared: &Shared, progress: bool, timeout: Duration) {
    let deadline = (!timeout.is_zero()).then(|| shared.origin + timeout);
    // The first write sets up stderr's lock, so later ones do not allocate.
    let _ = std::io::stderr().write_all(b"");
    loop {
        let now = Instant::now();
        if let Some(deadline) = deadline {
            if now >= deadline {
                timed_out(shared, timeout);
            }
        }
        let nap = match (progress, deadline) {
            (true, Some(d)) => TICK.min(d - now),
            (true, None) => TICK,
            (false, Some(d)) => d - now,
            (false, None) => return,
        };
        std::thread::sleep(nap);
        if progress {
            show_progress(shared);
        }
    }
}

fn show_progress(shared: &Shared) {
    let since = shared.running_since.load(Ordering::Relaxed);
    let now = shared.origin.elapsed().as_nanos() as u64;
    if since == 0 || now.saturating_sub(since) < SHOW_AFTER.as_nanos() as u64 {
        return;
    }
    let mut term = shared.term.lock().unwrap_or_else(|e| e.into_inner());
    // Re-checked under the lock: the benchmark may have just printed its result.
    if shared.running_since.load(Ordering::Relaxed) != since {
        return;
    }
    let mut buf = [0u8; NAME_CAP + 64];
    let mut cursor = std::io::Cursor::new(&mut buf[..]);
    let name = std::str::from_utf8(&term.name[..term.len]).unwrap_or("");
    let _ = write!(
        cursor,
        "\r\x1b[K{name}  running {}s, b.N = {}",
        (now - since) / 1_000_000_000,
        shared.n.load(Ordering::Relaxed)
    );
    let len = cursor.position() as usize;
    let _ = std::io::stderr().write_all(&buf[..len]);
    term.shown = true;
}

/// `-timeout` passed: report as Go's `panic: test timed out` does, and exit with status 2.
fn timed_out(shared: &Shared, timeout: Duration) -> ! {
    let term = shared.term.lock().unwrap_or_else(|e| e.into_inner());
    let name = String::from_utf8_lossy(&term.name[..term.len]).into_owned();
    let since = shared.running_since.load(Ordering::Relaxed);
    let erase = if term.shown { "\r\x1b[K" } else { "" };
    let mut message = format!(
        "{erase}panic: test timed out after {}\n",
        duration::format(timeout)
    );
    if since != 0 {
        let running = shared
            .origin
            .elapsed()
            .saturating_sub(Duration::from_nanos(since - 1));
        message.push_str(&format!(
            "running benchmark:\n\t{name} ({})\n",
            duration::format(Duration::from_secs(running.as_secs()))
        ));
    }
    let _ = std::io::stderr().write_all(message.as_bytes());
    std::process::exit(2);
}
