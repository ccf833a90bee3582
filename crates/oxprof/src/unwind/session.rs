//! Who needs the unwinder. While at least one [`UnwindSession`] is held, the snapshots are kept
//! fresh and handlers unwind; when the last one is dropped the watcher stops. The snapshots and
//! caches stay allocated for the next session, but handlers fall back to the bare pc, since
//! nothing keeps the stack mappings current any more.

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use super::cache_pool;
use super::guarded_read;
use super::snapshots::{refresh_memory, refresh_modules};
use super::watcher::Watcher;

/// Sessions held right now, over every [`Sessions`] registry.
static HOLDERS: AtomicUsize = AtomicUsize::new(0);

/// Whether any session is held. Async-signal-safe.
pub(super) fn is_active() -> bool {
    HOLDERS.load(Ordering::Acquire) > 0
}

/// Counts holders and runs one watcher while there are any.
pub(super) struct Sessions {
    state: Mutex<State>,
}

struct State {
    holders: usize,
    watcher: Option<Watcher>,
}

static GLOBAL: Sessions = Sessions::new();

impl Sessions {
    pub(super) const fn new() -> Sessions {
        Sessions {
            state: Mutex::new(State {
                holders: 0,
                watcher: None,
            }),
        }
    }

    pub(super) fn acquire(&'static self) -> io::Result<UnwindSession> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        // Before the first snapshot: every stack read relies on it.
        guarded_read::install()?;
        // The acquiring thread, at least, may be newer than the last snapshot.
        refresh_memory()?;
        if state.holders == 0 {
            cache_pool::install_global();
            refresh_modules();
            state.watcher = Some(Watcher::start()?);
        }
        state.holders += 1;
        HOLDERS.fetch_add(1, Ordering::AcqRel);
        Ok(UnwindSession { sessions: self })
    }

    fn release(&self) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.holders -= 1;
        HOLDERS.fetch_sub(1, Ordering::AcqRel);
        if state.holders == 0 {
            if let Some(watcher) = state.watcher.take() {
                watcher.stop();
            }
        }
    }

    #[cfg(test)]
    pub(super) fn watcher_running(&self) -> bool {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.watcher.as_ref().is_some_and(Watcher::is_running)
    }
}

/// Keeps the unwinder's module and memory snapshots current while held.
///
/// The first holder builds the snapshots and starts a watcher thread that follows `dlopen` and
/// `dlclose` and new thread stacks; dropping the last holder stops it. Any number may be held at
/// once, from any threads.
///
/// The first acquire in a process also installs `SIGSEGV` and `SIGBUS` handlers for good (see
/// `guarded_read`); faults that are not the unwinder's go to the handlers installed before.
/// A handler installed later that does not chain to the one it replaced turns a rare stale-map
/// read into a crash.
pub(crate) struct UnwindSession {
    sessions: &'static Sessions,
}

impl UnwindSession {
    /// Builds the snapshots (first holder) and starts the watcher thread.
    pub(crate) fn acquire() -> io::Result<UnwindSession> {
        GLOBAL.acquire()
    }
}

impl Drop for UnwindSession {
    fn drop(&mut self) {
        self.sessions.release();
    }
}
