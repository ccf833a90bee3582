//! The sampled path: the stack of a sampled allocation, its bucket, and the block kept until it
//! is freed. Runs inside the allocator (re-entrancy is excluded by the caller), so it allocates
//! nothing: buckets and blocks live in fixed, `mmap`ed tables.

use std::sync::atomic::{AtomicU8, Ordering};

use super::{blocks, buckets};
use crate::unwind::{capture_current_thread, UnwindSession};

/// Frames kept per sampled stack, leaf first.
pub(crate) const MAX_FRAMES: usize = 64;

const NO_SESSION: u8 = 0;
const STARTING: u8 = 1;
const READY: u8 = 2;
const FAILED: u8 = 3;

static UNWINDING: AtomicU8 = AtomicU8::new(NO_SESSION);

/// Makes sure the unwinder's module snapshot exists and its watcher runs, for as long as the
/// process lives: heap samples can come at any time. Started by the first sampled allocation
/// (its own allocations pass through unsampled); until it is ready, samples keep their frames
/// empty rather than wait.
fn ensure_unwinding() -> bool {
    match UNWINDING.compare_exchange(NO_SESSION, STARTING, Ordering::AcqRel, Ordering::Acquire) {
        Ok(_) => {
            let ready = match UnwindSession::acquire() {
                Ok(session) => {
                    std::mem::forget(session);
                    READY
                }
                Err(_) => FAILED,
            };
            UNWINDING.store(ready, Ordering::Release);
            ready == READY
        }
        Err(_) => wait_for_unwinding(),
    }
}

/// Another thread is starting the unwinder: wait for it, but boundedly. It may need a lock this
/// thread holds (the loader's, say, if this allocation comes from inside `dlopen`), so after a
/// while the sample goes without its stack rather than risk a deadlock.
#[cold]
fn wait_for_unwinding() -> bool {
    for _ in 0..20_000 {
        match UNWINDING.load(Ordering::Acquire) {
            READY => return true,
            STARTING => std::thread::yield_now(),
            _ => return false,
        }
    }
    false
}

/// Gets the sampled path ready ahead of the first sample: the unwinder running and the fork
/// handlers registered. For allocators that cannot afford to start threads on their first
/// sample (a `malloc` interposer may be called with the loader's lock held).
pub(crate) fn prepare() -> bool {
    register_fork_handlers_once();
    ensure_unwinding()
}

pub(super) fn register_fork_handlers_once() {
    static FORK_HANDLERS: std::sync::Once = std::sync::Once::new();
    FORK_HANDLERS.call_once(register_fork_handlers);
}

/// Records a sampled allocation of `size` bytes at `ptr`.
pub(crate) fn on_sampled_alloc(ptr: usize, size: usize) {
    register_fork_handlers_once();
    let mut frames = [0u64; MAX_FRAMES];
    let len = if ensure_unwinding() {
        // Our own allocations (the memory map, when re-read) pass through unsampled.
        capture_current_thread(&mut frames).len
    } else {
        0
    };
    let Some(id) = buckets::intern(&frames[..len], size) else {
        return;
    };
    buckets::record_alloc(id, size);
    blocks::insert(ptr, id, size);
}

/// Forgets the sampled record of the block at `ptr`, if any, without accounting a free: for
/// `realloc`, which must let go of the address before the inner allocator can hand it out
/// again.
#[inline]
pub(crate) fn take(ptr: usize) -> Option<(buckets::BucketId, usize)> {
    blocks::remove(ptr)
}

/// Puts back a record [`take`] removed, when the `realloc` it was taken for failed.
pub(crate) fn restore(ptr: usize, (id, size): (buckets::BucketId, usize)) {
    blocks::insert(ptr, id, size);
}

/// Accounts the free of a sampled block whose record [`take`] removed.
pub(crate) fn freed(record: (buckets::BucketId, usize)) {
    buckets::record_free(record.0, record.1);
}

/// Whether the block at `ptr` may be a live sampled one: false is certain, true is usually
/// wrong (see [`blocks::may_hold`]).
#[inline(always)]
pub(crate) fn may_be_sampled(ptr: usize) -> bool {
    blocks::may_hold(ptr)
}

/// Accounts the free of the block at `ptr` if it was sampled. Almost every block was not; that
/// answer costs one load.
#[inline]
pub(crate) fn on_free(ptr: usize) {
    if let Some((id, size)) = blocks::remove(ptr) {
        buckets::record_free(id, size);
    }
}

/// A child forked while another thread holds a block-table shard lock would inherit it held:
/// every shard lock is taken before `fork` and released after, in parent and child. A child
/// forked while another thread was starting the unwinder would wait for a thread it does not
/// have: it goes without stacks instead.
fn register_fork_handlers() {
    extern "C" fn prepare() {
        blocks::before_fork();
    }
    extern "C" fn parent() {
        blocks::after_fork();
    }
    extern "C" fn child() {
        blocks::after_fork();
        let _ = UNWINDING.compare_exchange(STARTING, FAILED, Ordering::AcqRel, Ordering::Acquire);
    }
    // SAFETY: the handlers are plain functions that only take and release the shard locks and
    // update an atomic.
    unsafe { libc::pthread_atfork(Some(prepare), Some(parent), Some(child)) };
}
