//! The fence between a thread entering a write and the collector publishing a generation,
//! made asymmetric: each side must see the other's store before its own load (the writer's
//! busy mark before its read of the generation, the collector's new generation before its
//! read of the mark). A fence on every event costs a locked instruction (a fifth of an
//! event's time); instead the collector, once a generation, makes every running thread of
//! the process execute a full barrier with `membarrier(2)`, and writers need only keep the
//! compiler from reordering. Where `membarrier` is unavailable (before Linux 4.14, or a
//! seccomp filter), writers fence themselves as before.

use std::sync::atomic::{compiler_fence, AtomicBool, AtomicU64, Ordering};
use std::sync::Once;

/// `membarrier` commands (`linux/membarrier.h`).
const MEMBARRIER_CMD_PRIVATE_EXPEDITED: libc::c_long = 1 << 3;
const MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED: libc::c_long = 1 << 4;

/// Whether the process is registered for expedited membarriers: writers skip their fence.
static ASYMMETRIC: AtomicBool = AtomicBool::new(false);

fn membarrier(cmd: libc::c_long) -> bool {
    // SAFETY: membarrier takes two integers and touches no memory of ours.
    unsafe {
        libc::syscall(
            libc::SYS_membarrier,
            cmd,
            0 as libc::c_long,
            0 as libc::c_long,
        ) == 0
    }
}

/// Registers the process for the collector's barriers, once; before the first generation is
/// published, so that no writer skips its fence before the collector fences for it.
pub(super) fn register() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) {
            ASYMMETRIC.store(true, Ordering::Release);
        }
    });
}

/// The writer's side: marks `seq` busy (odd, from even `seq_even`), ordered before the
/// writer's next load.
#[inline]
pub(super) fn enter(seq: &AtomicU64, seq_even: u64) {
    if ASYMMETRIC.load(Ordering::Relaxed) {
        seq.store(seq_even + 1, Ordering::Relaxed);
        // The collector's membarrier stands in for the processor fence.
        compiler_fence(Ordering::SeqCst);
    } else {
        seq.swap(seq_even + 1, Ordering::SeqCst);
    }
}

/// The collector's side, after publishing a generation and before reading writers' marks.
pub(super) fn after_publish() {
    if ASYMMETRIC.load(Ordering::Acquire) && !membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) {
        // Registered, yet refused (a seccomp filter installed since, say): writers are not
        // fencing themselves, so going on could hand the collector a buffer mid-write. As
        // liburcu does, stop rather than corrupt memory.
        eprintln!(
            "oxprof: membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) failed after registration ({}); \
             the execution tracer cannot go on safely",
            std::io::Error::last_os_error()
        );
        std::process::abort();
    }
}
