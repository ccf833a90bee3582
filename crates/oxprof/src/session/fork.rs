//! A session across `fork`: the child profiles itself and writes files of its own.
//!
//! Only the forking thread goes on in the child, so a lock another thread held at the fork
//! would stay held there for good. Before the fork, the forking thread takes every lock the
//! child's restart needs (the session's, the unwinder's, the list of oxprof's threads, the
//! contention tables'), in the order the rest of oxprof takes them, and releases them after
//! it, in the parent and in the child. The heap profiler's own handlers take its table locks
//! after these (see [`super::start`]). Then the child forgets what belonged to the parent's
//! threads (the CPU profile's sampler, the unwinder's watcher, handlers in flight) and starts
//! its own. `vfork` and `posix_spawn` children run none of this: they `exec`, and a program
//! started by `exec` starts its own session if the preload is in its environment.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::sync::{MutexGuard, Once};

use super::Running;

/// The locks held across a fork. Fields drop in order: the reverse of how they were taken.
struct Held {
    _contention: [crate::contention::ForkLock; 2],
    _threads: MutexGuard<'static, BTreeSet<u32>>,
    _unwind: crate::unwind::ForkLocks,
    _running: MutexGuard<'static, Option<Running>>,
}

thread_local! {
    /// The locks, from the prepare handler to the parent's or the child's (the same thread).
    static HELD: RefCell<Option<Held>> = const { RefCell::new(None) };
}

/// Registers the fork handlers, once per process.
pub(super) fn register() {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        // SAFETY: the handlers are plain functions; they take and release locks and restart
        // the session in the child.
        unsafe { libc::pthread_atfork(Some(prepare), Some(parent), Some(child)) };
    });
}

extern "C" fn prepare() {
    let running = super::running();
    let unwind = crate::unwind::lock_for_fork();
    let threads = crate::internal_thread::lock_for_fork();
    let contention = crate::contention::lock_for_fork();
    let held = Held {
        _contention: contention,
        _threads: threads,
        _unwind: unwind,
        _running: running,
    };
    let _ = HELD.try_with(|slot| *slot.borrow_mut() = Some(held));
}

extern "C" fn parent() {
    release();
}

extern "C" fn child() {
    release();
    crate::cpu::after_fork_in_child();
    crate::internal_thread::after_fork_in_child();
    if let Err(e) = crate::unwind::after_fork_in_child() {
        eprintln!(
            "oxprof: in child {}: stacks may be incomplete: {e}",
            std::process::id()
        );
    }
    super::restart_in_child();
}

fn release() {
    let held = HELD.try_with(|slot| slot.borrow_mut().take());
    drop(held);
}
