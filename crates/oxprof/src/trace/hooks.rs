//! What the rest of oxprof calls to put events in the trace: waits and the releases that end
//! them (from [`oxprof::sync`](crate::sync)), and CPU profile samples. Reached through
//! `crate::trace_hooks`, which is empty without the `trace` feature.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use super::buffer::{self, EVENT_BYTES};
use crate::clock::monotonic_nanos;
use crate::contention::{capture, TRUNCATED};

/// Sequence numbers of releases, unique in the process (0: none).
static NEXT_SEQ: AtomicU64 = AtomicU64::new(1);

/// Whether the trace records anything now: one relaxed load.
#[inline]
pub(crate) fn enabled() -> bool {
    buffer::enabled()
}

/// A number for a release about to happen, for waits it ends to name (0 when not tracing).
#[inline]
pub(crate) fn next_seq() -> u64 {
    if enabled() {
        NEXT_SEQ.fetch_add(1, Ordering::Relaxed)
    } else {
        0
    }
}

/// A captured stack's frames without the truncation marker.
fn frames(stack: &crate::contention::Stack) -> &[u64] {
    let frames = stack.frames();
    match frames.last() {
        Some(&TRUNCATED) => &frames[..frames.len() - 1],
        _ => frames,
    }
}

/// The calling thread waited on `object` from `start` (monotonic ns) until now, for `reason`;
/// `waker` is the release that ended it (0: unknown). Records the thread's stack.
#[cold]
pub(crate) fn wait(reason: &'static str, object: usize, start: u64, waker: u64) {
    if !enabled() {
        return;
    }
    let stack = capture();
    buffer::record(EVENT_BYTES, |r| {
        let reason = r.string(reason);
        let stack = r.stack(frames(&stack));
        let time = r.time;
        r.events()
            .wait(time, start, reason, object as u64, waker, stack);
    });
}

/// [`wait`] for a wait timed with an [`Instant`].
#[cold]
pub(crate) fn wait_since(since: Instant, reason: &'static str, object: usize, waker: u64) {
    if enabled() {
        let start = monotonic_nanos().saturating_sub(since.elapsed().as_nanos() as u64);
        wait(reason, object, start, waker);
    }
}

/// The calling thread releases or signals `object` as release `seq` (from [`next_seq`]),
/// letting waiters go. Records the thread's stack.
#[cold]
pub(crate) fn unblock(object: usize, seq: u64) {
    if seq == 0 || !enabled() {
        return;
    }
    let stack = capture();
    buffer::record(EVENT_BYTES, |r| {
        let stack = r.stack(frames(&stack));
        let time = r.time;
        r.events().unblock(time, object as u64, seq, stack);
    });
}

/// A CPU profile sample of thread `tid` taken at `time` (monotonic ns), frames leaf first.
pub(crate) fn cpu_sample(tid: u32, time: u64, frames: &[u64]) {
    if enabled() {
        super::collector::add_cpu_sample(tid.into(), time, frames);
    }
}
