//! Threads oxprof runs for itself (the sampler, the module watcher, the HTTP server's). They
//! block the profiling signal, so they never take a signal meant for the program's threads,
//! they are listed so the CPU profiler leaves them out, and the heap profiler neither counts nor
//! samples them.

use std::cell::OnceCell;
use std::collections::BTreeSet;
use std::io;
use std::sync::Mutex;
use std::thread::{Builder, JoinHandle};

static OWN_TIDS: Mutex<BTreeSet<u32>> = Mutex::new(BTreeSet::new());

/// Spawns a named thread with `SIGPROF` blocked for its whole life.
pub(crate) fn spawn<F, T>(name: &str, f: F) -> io::Result<JoinHandle<T>>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    Builder::new().name(name.to_owned()).spawn(move || {
        adopt_current();
        f()
    })
}

/// Makes the calling thread one of oxprof's own for the rest of its life, as [`spawn`] does for
/// the threads it starts; for threads others start on oxprof's behalf (a runtime's workers).
pub(crate) fn adopt_current() {
    thread_local! {
        // Dropped when the thread ends, which takes it off the list.
        static LISTED: OnceCell<Listed> = const { OnceCell::new() };
    }
    LISTED.with(|listed| {
        listed.get_or_init(|| {
            block_profiling_signal();
            crate::heap::exclude_current_thread();
            Listed::register()
        });
    });
}

/// The kernel thread ids of oxprof's own live threads.
pub(crate) fn own_tids() -> BTreeSet<u32> {
    OWN_TIDS.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// Takes the list's lock for the span of a `fork`.
pub(crate) fn lock_for_fork() -> std::sync::MutexGuard<'static, BTreeSet<u32>> {
    OWN_TIDS.lock().unwrap_or_else(|e| e.into_inner())
}

/// In a child just forked: the threads listed were the parent's; the child has none of them.
pub(crate) fn after_fork_in_child() {
    OWN_TIDS.lock().unwrap_or_else(|e| e.into_inner()).clear();
}

/// Keeps the current thread in [`OWN_TIDS`] until it ends, even by panic.
struct Listed(u32);

impl Listed {
    fn register() -> Listed {
        // SAFETY: gettid has no preconditions.
        let tid = unsafe { libc::gettid() } as u32;
        OWN_TIDS
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(tid);
        Listed(tid)
    }
}

impl Drop for Listed {
    fn drop(&mut self) {
        OWN_TIDS
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.0);
    }
}

fn block_profiling_signal() {
    // SAFETY: `set` is a local sigset initialised by sigemptyset before use; pthread_sigmask only
    // changes the calling thread's mask.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGPROF);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn own_threads_are_listed_while_they_run() {
        let (tx, rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
        let handle = super::spawn("oxprof-test", move || {
            // SAFETY: gettid has no preconditions.
            tx.send(unsafe { libc::gettid() } as u32).unwrap();
            stop_rx.recv().unwrap();
        })
        .unwrap();
        let tid = rx.recv().unwrap();
        assert!(super::own_tids().contains(&tid));
        stop_tx.send(()).unwrap();
        handle.join().unwrap();
        assert!(!super::own_tids().contains(&tid));
    }
}
