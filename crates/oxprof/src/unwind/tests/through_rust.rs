//! Rust frames, which debug and release builds compile without frame pointers: every caller is
//! found through DWARF CFI, from a signal handler and from the current thread.

use std::hint::black_box;
use std::ops::Range;

use super::capture::{in_signal_handler, Captured};
use super::symbols::{describe, function_range, in_libc};
use crate::unwind::{refresh_memory_map, unwind_current_thread, UnwindSession, Unwound};

#[inline(never)]
fn chain_outer(capacity: usize) -> Captured {
    black_box(chain_middle(black_box(capacity)))
}

#[inline(never)]
fn chain_middle(capacity: usize) -> Captured {
    black_box(chain_inner(black_box(capacity)))
}

#[inline(never)]
fn chain_inner(capacity: usize) -> Captured {
    black_box(in_signal_handler(black_box(capacity)))
}

/// The entry point of a fresh thread, so the stack must reach that thread's root.
#[inline(never)]
fn thread_main() -> Captured {
    // The thread is newer than the snapshot the session took.
    refresh_memory_map();
    black_box(chain_outer(black_box(128)))
}

/// The index of the first frame inside `range`.
fn position(frames: &[u64], range: &Range<u64>) -> Option<usize> {
    frames.iter().position(|address| range.contains(address))
}

#[test]
fn signal_stack_has_every_caller_in_order_up_to_the_thread_root() {
    let _session = UnwindSession::acquire().unwrap();
    let captured = std::thread::spawn(thread_main).join().unwrap();
    let frames = &captured.frames;
    let stack = describe(frames);

    assert!(
        in_libc(frames[0]),
        "the signal interrupted raise in libc:\n{stack}"
    );
    let capture = function_range(in_signal_handler as fn(usize) -> Captured as usize);
    let at = position(frames, &capture).unwrap_or_else(|| panic!("no in_signal_handler:\n{stack}"));
    assert!(at <= 4, "too many frames inside raise:\n{stack}");
    let callers = [
        chain_inner as fn(usize) -> Captured as usize,
        chain_middle as fn(usize) -> Captured as usize,
        chain_outer as fn(usize) -> Captured as usize,
        thread_main as fn() -> Captured as usize,
    ];
    for (i, caller) in callers.into_iter().enumerate() {
        let range = function_range(caller);
        assert!(
            range.contains(&frames[at + 1 + i]),
            "frame {} is not in {range:x?}:\n{stack}",
            at + 1 + i
        );
    }
    // std's thread start frames, then libc's start_thread and clone3 at the root.
    let root = *frames.last().unwrap();
    assert!(
        frames.len() > at + 5 && in_libc(root),
        "stopped before the thread root:\n{stack}"
    );
    assert!(!captured.truncated);
    assert_eq!(
        captured.allocations, 0,
        "the unwinder allocated in the handler"
    );
}

#[test]
fn a_full_output_is_marked_truncated() {
    let _session = UnwindSession::acquire().unwrap();
    let full = chain_outer(128);
    assert!(!full.truncated);
    let short = chain_outer(3);
    assert_eq!(short.frames.len(), 3);
    assert!(short.truncated);
    assert_eq!(short.frames[1..], full.frames[1..3]);
    let exact = chain_outer(full.frames.len());
    assert_eq!(exact.frames.len(), full.frames.len());
    assert!(!exact.truncated);
    assert!(chain_outer(0).truncated);
}

#[inline(never)]
fn current_thread_leaf(out: &mut [u64]) -> Unwound {
    black_box(unwind_current_thread(black_box(out)))
}

#[inline(never)]
fn current_thread_caller(out: &mut [u64]) -> Unwound {
    black_box(current_thread_leaf(black_box(out)))
}

#[test]
fn current_thread_stack_starts_at_the_caller() {
    let _session = UnwindSession::acquire().unwrap();
    let mut out = [0u64; 64];
    let unwound = current_thread_caller(&mut out);
    let frames = &out[..unwound.len];
    let stack = describe(frames);
    let leaf = function_range(current_thread_leaf as fn(&mut [u64]) -> Unwound as usize);
    let caller = function_range(current_thread_caller as fn(&mut [u64]) -> Unwound as usize);
    let test = function_range(current_thread_stack_starts_at_the_caller as fn() as usize);
    assert!(leaf.contains(&frames[0]), "{stack}");
    assert!(caller.contains(&frames[1]), "{stack}");
    assert_eq!(position(frames, &test), Some(2), "{stack}");
    assert!(!unwound.truncated);
}
