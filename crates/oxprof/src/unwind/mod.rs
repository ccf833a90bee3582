//! Async-signal-safe unwinding of the thread a signal interrupted, with DWARF call-frame
//! information, so stacks are complete through code built without frame pointers.
//!
//! The signal handler calls [`unwind_signal_context`]. Everything it needs is prepared outside
//! the handler while an [`UnwindSession`] is held:
//!
//! - `modules`: every loaded object's code range and `.eh_frame_hdr`/`.eh_frame`, read from
//!   memory with `dl_iterate_phdr` (vdso included), each library pinned so its unwind data is
//!   never unmapped.
//! - `memory_map`: the anonymous read-write mappings from `/proc/self/maps`; the handler only
//!   reads stack memory inside the one holding the interrupted stack pointer, aligned, and
//!   through `guarded_read`, whose `SIGSEGV` handler turns a fault on a stale mapping into a
//!   failed read.
//! - `publish`: how the watcher thread (`watcher`) swaps in fresh snapshots without the handler
//!   taking a lock, and frees old ones after the handlers reading them finish.
//! - `cache_pool`: preallocated framehop caches, claimed with an atomic flag.
//!
//! In the handler: no allocation, no lock, no syscall per frame (one `write` at most, when an
//! unknown address asks the watcher to look again), and at most `out.len()` + 1 frames.
//! A garbage stack truncates the sample rather than crashing: every stack read is bounds-checked
//! and aligned.

mod cache_pool;
mod eh_frame_hdr;
mod guarded_read;
mod memory_map;
mod modules;
mod publish;
mod registers;
mod session;
mod snapshots;
mod wake;
mod walk;
mod watcher;

#[cfg(test)]
pub(crate) mod tests;

use registers::StartRegisters;

pub(crate) use session::UnwindSession;

/// How many frames an unwind wrote, and whether the stack went deeper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Unwound {
    /// Frames written to the start of the output.
    pub(crate) len: usize,
    /// The output was full and there were more frames.
    pub(crate) truncated: bool,
}

/// Unwinds the thread interrupted by a signal. Async-signal-safe.
///
/// Writes lookup addresses, leaf first: `out[0]` is the interrupted pc, each later one a return
/// address minus one (inside the call instruction, so it symbolizes to the call's line).
/// With no session held, no free cache, or a stack pointer in no known stack mapping, writes just
/// the pc.
///
/// # Safety
/// `ucontext` is the third argument of an `SA_SIGINFO` handler running now on this thread.
pub(crate) unsafe fn unwind_signal_context(
    ucontext: *mut libc::c_void,
    out: &mut [u64],
) -> Unwound {
    // SAFETY: forwarded from the caller.
    let start = unsafe { StartRegisters::from_ucontext(ucontext) };
    walk::unwind(start, 0, out)
}

/// Unwinds the calling thread, for samplers outside signal handlers (allocation sampling).
/// Async-signal-safe and allocation-free.
///
/// `out[0]` is the call of this function in its caller (return address minus one), then that
/// caller's callers. Writes nothing when a full walk is impossible (see
/// [`unwind_signal_context`]).
#[inline(never)]
pub(crate) fn unwind_current_thread(out: &mut [u64]) -> Unwound {
    // The first frame is inside this function; `#[inline(never)]` keeps it a frame of its own.
    walk::unwind(StartRegisters::here(), 1, out)
}

thread_local! {
    /// Whether this thread already had the memory map re-read for its stack.
    static STACK_LOOKED_UP: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// [`unwind_current_thread`] for samplers outside signal handlers that run while a session is
/// held. A thread born since the unwinder last read the memory map has a stack it does not know
/// yet: the first time that happens, the map is re-read on the spot, so even a thread that lives
/// a few milliseconds gets its stacks. Allocates only then, to read the map.
///
/// `out[0]` is the call of this function in its caller. Both attempts walk from the same
/// registers, taken once here: walking from two call sites gave a new thread's first sample a
/// leaf frame of its own, so it landed in a bucket of its own, identical to the others once the
/// profiler's frames were cut.
#[inline(never)]
pub(crate) fn capture_current_thread(out: &mut [u64]) -> Unwound {
    // The first frame is inside this function; `#[inline(never)]` keeps it a frame of its own.
    let start = StartRegisters::here();
    let unwound = walk::unwind(start, 1, out);
    if unwound.len > 0
        || STACK_LOOKED_UP
            .try_with(|s| s.replace(true))
            .unwrap_or(true)
    {
        return unwound;
    }
    refresh_memory_map();
    walk::unwind(start, 1, out)
}

/// Re-reads the stack mappings now, so threads started since the last read unwind fully. Call
/// it (outside signal handlers) after new threads appear; the watcher also re-reads them every
/// 100 ms and soon after a handler meets an unknown stack. On error the previous snapshot stays.
pub(crate) fn refresh_memory_map() {
    // The previous snapshot is still sound, only less complete; the watcher retries.
    let _ = snapshots::refresh_memory();
}

/// The unwinder's locks, held across a `fork`: a child never inherits one of them held by a
/// thread it does not have. Dropped in the parent and in the child after the fork.
pub(crate) struct ForkLocks {
    _sessions: session::SessionsLock<'static>,
    _memory: std::sync::MutexGuard<'static, ()>,
    _modules: std::sync::MutexGuard<'static, ()>,
}

/// Takes the unwinder's locks before a `fork`, in the order its own code takes them.
pub(crate) fn lock_for_fork() -> ForkLocks {
    ForkLocks {
        _sessions: session::global().lock_for_fork(),
        _memory: snapshots::MEMORY.lock_for_fork(),
        _modules: snapshots::MODULES.lock_for_fork(),
    }
}

/// Makes the unwinder whole again in a child just forked, after the [`ForkLocks`] are dropped:
/// handlers counted in by the parent's other threads are forgotten, and the child gets a
/// watcher (and a wake-up channel) of its own if sessions it inherited need one.
pub(crate) fn after_fork_in_child() -> std::io::Result<()> {
    snapshots::MEMORY.after_fork_in_child();
    snapshots::MODULES.after_fork_in_child();
    wake::after_fork_in_child()?;
    session::global().after_fork_in_child()
}
