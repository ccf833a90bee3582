//! Passing the signals that end a program on to the program being recorded, so that the
//! launcher outlives it and can say where its profiles went: `SIGINT` (Ctrl-C reaches both
//! anyway, and the preload ignores a repeat while it writes), `SIGTERM` and `SIGHUP`.
#![allow(unsafe_code)]

use std::ffi::c_int;
use std::sync::atomic::{AtomicI32, Ordering};

const FORWARDED: [c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

/// The process signals go to; 0 while there is none (signals are then dropped).
static TARGET: AtomicI32 = AtomicI32::new(0);

/// Forwards the signals to [`Forwarding::target`]'s process while it lives, restoring the
/// previous handlers when dropped.
pub(crate) struct Forwarding {
    previous: Vec<(c_int, libc::sigaction)>,
}

impl Forwarding {
    /// Installs the forwarding handlers; until a target is set, the signals are dropped.
    pub(crate) fn install() -> Forwarding {
        let mut previous = Vec::new();
        for signo in FORWARDED {
            // SAFETY: `action` is fully initialised (zeroed, handler, flags, an empty mask)
            // before sigaction reads it; `old` receives the previous action. A signal's caught
            // disposition does not survive `exec`, so the program starts with the defaults.
            unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = forward as extern "C" fn(c_int) as usize;
                action.sa_flags = libc::SA_RESTART;
                libc::sigemptyset(&mut action.sa_mask);
                let mut old: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(signo, &action, &mut old) == 0 {
                    previous.push((signo, old));
                }
            }
        }
        Forwarding { previous }
    }

    /// Sends the signals to `pid` from now on.
    pub(crate) fn target(&self, pid: u32) {
        TARGET.store(pid as i32, Ordering::Release);
    }
}

impl Drop for Forwarding {
    fn drop(&mut self) {
        TARGET.store(0, Ordering::Release);
        for (signo, old) in &self.previous {
            // SAFETY: restores an action sigaction returned.
            unsafe { libc::sigaction(*signo, old, std::ptr::null_mut()) };
        }
    }
}

/// Async-signal-safe: one `kill`.
extern "C" fn forward(signo: c_int) {
    let pid = TARGET.load(Ordering::Acquire);
    if pid > 0 {
        // SAFETY: kill has no memory preconditions and is async-signal-safe.
        unsafe { libc::kill(pid, signo) };
    }
}
