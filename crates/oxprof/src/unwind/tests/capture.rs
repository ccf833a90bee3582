//! Unwinding from inside a real signal handler: [`in_signal_handler`] raises `SIGUSR1` on the
//! calling thread, whose handler unwinds the interrupted context into thread-local storage.

use std::cell::Cell;
use std::sync::Once;

use crate::unwind::tests::alloc_counter::count_allocations;
use crate::unwind::{unwind_signal_context, Unwound};

const MAX_FRAMES: usize = 128;

/// What the handler saw.
#[derive(Debug, Clone)]
pub(super) struct Captured {
    pub(super) frames: Vec<u64>,
    pub(super) truncated: bool,
    /// Allocations made by the unwinder inside the handler.
    pub(super) allocations: u64,
}

#[derive(Clone, Copy)]
struct Raw {
    frames: [u64; MAX_FRAMES],
    unwound: Unwound,
    allocations: u64,
}

thread_local! {
    // `const` and without Drop, so the handler may use them.
    static CAPACITY: Cell<usize> = const { Cell::new(MAX_FRAMES) };
    static RESULT: Cell<Option<Raw>> = const { Cell::new(None) };
}

extern "C" fn on_signal(
    _signal: libc::c_int,
    _info: *mut libc::siginfo_t,
    context: *mut libc::c_void,
) {
    let capacity = CAPACITY.with(Cell::get);
    let mut frames = [0u64; MAX_FRAMES];
    // SAFETY: `context` is this SA_SIGINFO handler's third argument.
    let (unwound, allocations) =
        count_allocations(|| unsafe { unwind_signal_context(context, &mut frames[..capacity]) });
    RESULT.with(|result| {
        result.set(Some(Raw {
            frames,
            unwound,
            allocations,
        }))
    });
}

fn install() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // SAFETY: the action is fully initialised; `on_signal` only touches const thread-locals
        // and the unwinder, which are async-signal-safe.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_signal as *const () as usize;
            action.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            assert_eq!(
                libc::sigaction(libc::SIGUSR1, &action, std::ptr::null_mut()),
                0
            );
        }
    });
}

/// Raises a signal on this thread and returns the stack its handler unwound, keeping at most
/// `capacity` frames. The signal is handled before `raise` returns, so the interrupted pc is
/// inside libc and the next frames are this function's callers.
#[inline(never)]
pub(super) fn in_signal_handler(capacity: usize) -> Captured {
    assert!(capacity <= MAX_FRAMES);
    install();
    CAPACITY.with(|c| c.set(capacity));
    RESULT.with(|r| r.set(None));
    // SAFETY: raise has no memory preconditions.
    assert_eq!(unsafe { libc::raise(libc::SIGUSR1) }, 0);
    let raw = RESULT.with(Cell::take).expect("the handler did not run");
    Captured {
        frames: raw.frames[..raw.unwound.len].to_vec(),
        truncated: raw.unwound.truncated,
        allocations: raw.allocations,
    }
}
