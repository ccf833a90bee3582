//! The tracer's hooks in the primitives and profilers: `trace::hooks` with the `trace`
//! feature, functions that do nothing (and compile away) without it, so callers need no
//! `cfg` of their own.

#[cfg(feature = "trace")]
pub(crate) use crate::trace::hooks::{cpu_sample, enabled, next_seq, unblock, wait, wait_since};

#[cfg(not(feature = "trace"))]
mod off {
    use std::time::Instant;

    #[inline(always)]
    pub(crate) fn enabled() -> bool {
        false
    }

    #[inline(always)]
    pub(crate) fn next_seq() -> u64 {
        0
    }

    #[inline(always)]
    pub(crate) fn wait(_reason: &'static str, _object: usize, _start: u64, _waker: u64) {}

    #[inline(always)]
    pub(crate) fn wait_since(_since: Instant, _reason: &'static str, _object: usize, _waker: u64) {}

    #[inline(always)]
    pub(crate) fn unblock(_object: usize, _seq: u64) {}

    #[inline(always)]
    pub(crate) fn cpu_sample(_tid: u32, _time: u64, _frames: &[u64]) {}
}

#[cfg(not(feature = "trace"))]
pub(crate) use off::{cpu_sample, enabled, next_seq, unblock, wait, wait_since};
