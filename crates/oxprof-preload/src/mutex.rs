//! `pthread_mutex_lock`, as this library exports it: while a block profile is being taken, a
//! lock that is not free at once is timed, and the wait recorded as a block event at the
//! waiting stack ([`oxprof::block::record`]). pthread mutexes are what C and C++'s
//! `std::mutex` use; Rust's `std::sync::Mutex` waits on a futex of its own and is not seen
//! here (its drop-in replacement `oxprof::sync::Mutex` is).

use std::cell::Cell;
use std::ffi::c_int;
use std::sync::atomic::Ordering;
use std::time::Instant;

use crate::{next, BLOCK};

thread_local! {
    /// Set while this thread records a wait, so that a lock taken by the recording itself is
    /// not recorded in turn.
    static RECORDING: Cell<bool> = const { Cell::new(false) };
}

/// `pthread_mutex_lock(3)`.
///
/// # Safety
/// As `pthread_mutex_lock(3)`.
#[no_mangle]
pub unsafe extern "C" fn pthread_mutex_lock(mutex: *mut libc::pthread_mutex_t) -> c_int {
    let (Some(lock), Some(try_lock)) = (next::pthread_mutex_lock(), next::pthread_mutex_trylock())
    else {
        // Only while the lookup runs, when the process has a single thread.
        return 0;
    };
    let recording =
        BLOCK.load(Ordering::Relaxed) && RECORDING.try_with(|r| !r.get()).unwrap_or(false);
    if !recording {
        // SAFETY: forwarded with the caller's argument.
        return unsafe { lock(mutex) };
    }
    // SAFETY: as above; a trylock that succeeds took the lock as lock would have.
    let first = unsafe { try_lock(mutex) };
    if first != libc::EBUSY {
        return first;
    }
    let since = Instant::now();
    // SAFETY: as above.
    let result = unsafe { lock(mutex) };
    if result == 0 {
        let _ = RECORDING.try_with(|r| r.set(true));
        oxprof::block::record(since);
        let _ = RECORDING.try_with(|r| r.set(false));
    }
    result
}
