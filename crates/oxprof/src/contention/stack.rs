//! The calling thread's stack, for events recorded outside signal handlers. The first event
//! in the process starts the unwinder (its snapshots and watcher thread) for good, as the heap
//! profiler's first sample does: events can come at any time.

use std::sync::OnceLock;

use crate::unwind::{capture_current_thread, UnwindSession};

/// Frames kept per stack, leaf first.
pub(crate) const MAX_FRAMES: usize = 64;

/// Ends a stack that went deeper than [`MAX_FRAMES`]; no code address is this.
pub(crate) const TRUNCATED: u64 = u64::MAX;

/// A captured stack: up to [`MAX_FRAMES`] addresses, then [`TRUNCATED`] if there were more.
pub(crate) struct Stack {
    frames: [u64; MAX_FRAMES + 1],
    len: usize,
}

impl Stack {
    pub(crate) fn frames(&self) -> &[u64] {
        &self.frames[..self.len]
    }
}

/// The calling thread's stack, leaf first; empty when the unwinder could not start.
pub(crate) fn capture() -> Stack {
    static UNWINDER: OnceLock<bool> = OnceLock::new();
    let mut stack = Stack {
        frames: [0; MAX_FRAMES + 1],
        len: 0,
    };
    let ready = UNWINDER.get_or_init(|| UnwindSession::acquire().map(std::mem::forget).is_ok());
    if *ready {
        let unwound = capture_current_thread(&mut stack.frames[..MAX_FRAMES]);
        stack.len = unwound.len;
        if unwound.truncated {
            stack.frames[stack.len] = TRUNCATED;
            stack.len += 1;
        }
    }
    stack
}
