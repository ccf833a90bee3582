//! Who needs the unwinder. While at least one [`UnwindSession`] is held, handlers unwind, and
//! while one of them is a watching session (all but those for one short job) the snapshots are
//! kept fresh; when the last watching one is dropped the watcher stops. The snapshots and
//! caches stay allocated for the next session, but once no session is held handlers fall back
//! to the bare pc, since nothing keeps the stack mappings current any more.

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

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
    /// Holders that need the snapshots kept fresh; the watcher runs while there are any.
    watching: usize,
    watcher: Option<Watcher>,
}

/// The registry's lock, held across a `fork`.
pub(super) struct SessionsLock<'a> {
    _state: MutexGuard<'a, State>,
}

static GLOBAL: Sessions = Sessions::new();

impl Sessions {
    pub(super) const fn new() -> Sessions {
        Sessions {
            state: Mutex::new(State {
                holders: 0,
                watching: 0,
                watcher: None,
            }),
        }
    }

    pub(super) fn acquire(&'static self) -> io::Result<UnwindSession> {
        self.acquire_with(true)
    }

    /// A session for one short job: the snapshots are brought up to date now, and no watcher
    /// is started for it.
    pub(super) fn acquire_unwatched(&'static self) -> io::Result<UnwindSession> {
        self.acquire_with(false)
    }

    fn acquire_with(&'static self, watch: bool) -> io::Result<UnwindSession> {
        // Allocations under the lock must not be sampled: the heap profiler's first sample
        // acquires a session too.
        crate::heap::hooks::untracked(|| self.acquire_locked(watch))
    }

    fn acquire_locked(&'static self, watch: bool) -> io::Result<UnwindSession> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        // Before the first snapshot: every stack read relies on it.
        guarded_read::install()?;
        // The acquiring thread, at least, may be newer than the last snapshot.
        refresh_memory()?;
        if state.holders == 0 {
            cache_pool::install_global();
        }
        if state.watcher.is_none() {
            // Nothing keeps the module snapshot current: bring it up to date (a no-op when the
            // loader loaded and unloaded nothing since).
            refresh_modules();
        }
        if watch && state.watching == 0 {
            state.watcher = Some(Watcher::start()?);
        }
        state.holders += 1;
        state.watching += usize::from(watch);
        HOLDERS.fetch_add(1, Ordering::AcqRel);
        Ok(UnwindSession {
            sessions: self,
            watching: watch,
        })
    }

    fn release(&self, watching: bool) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.holders -= 1;
        state.watching -= usize::from(watching);
        HOLDERS.fetch_sub(1, Ordering::AcqRel);
        if state.watching == 0 {
            if let Some(watcher) = state.watcher.take() {
                watcher.stop();
            }
        }
    }

    /// Takes the registry's lock for the span of a `fork` (see [`super::lock_for_fork`]).
    pub(super) fn lock_for_fork(&self) -> SessionsLock<'_> {
        SessionsLock {
            _state: self.state.lock().unwrap_or_else(PoisonError::into_inner),
        }
    }

    /// In a child just forked: the watcher thread was the parent's. Sessions the child inherited
    /// stay held (their owners were the parent's too, and are never dropped in the child), so
    /// if any of them watched, a watcher of the child's own takes over.
    pub(super) fn after_fork_in_child(&self) -> io::Result<()> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        // Joining or detaching a thread the child does not have is undefined: forget it.
        std::mem::forget(state.watcher.take());
        if state.watching > 0 {
            state.watcher = Some(Watcher::start()?);
        }
        Ok(())
    }

    #[cfg(test)]
    pub(super) fn watcher_running(&self) -> bool {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.watcher.as_ref().is_some_and(Watcher::is_running)
    }
}

/// The global registry, for the fork handling in `unwind`.
pub(super) fn global() -> &'static Sessions {
    &GLOBAL
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
    watching: bool,
}

impl UnwindSession {
    /// Builds the snapshots (first holder) and starts the watcher thread.
    pub(crate) fn acquire() -> io::Result<UnwindSession> {
        GLOBAL.acquire()
    }

    /// Brings the snapshots up to date for one short job, such as a thread dump, without
    /// starting the watcher: the job's unwinds happen before anything could change enough to
    /// matter, and a thread started for the job would only be one more thread to explain.
    pub(crate) fn acquire_unwatched() -> io::Result<UnwindSession> {
        GLOBAL.acquire_unwatched()
    }
}

impl Drop for UnwindSession {
    fn drop(&mut self) {
        self.sessions.release(self.watching);
    }
}
