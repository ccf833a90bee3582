//! What oxprof's signal handlers have in common: the `siginfo_t` fields they read, queueing a
//! signal with a value to one thread of this process, handing signals that are not oxprof's to
//! the handler installed before, and knowing whether a thread is inside one of oxprof's
//! handlers.

use std::cell::Cell;
use std::ffi::{c_int, c_void};
use std::io;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

/// The parts of Linux's `siginfo_t` oxprof's handlers read. Timer signals (`SI_TIMER`) and
/// queued signals (`SI_QUEUE`) both keep their value at byte 24. At byte 20 a timer keeps its
/// overrun count; a queued signal keeps the sender's uid, which [`send_queued`] replaces with a
/// number of its own.
#[repr(C)]
pub(crate) struct SigInfoView {
    pub(crate) signo: i32,
    pub(crate) errno: i32,
    pub(crate) code: i32,
    _pad: i32,
    pub(crate) pid_or_timer: i32,
    pub(crate) extra: i32,
    pub(crate) value: u64,
}

/// Sends `signo` with `value` to thread `tid` of process `pid` (`rt_tgsigqueueinfo`), as an
/// `SI_QUEUE` signal whose sender is `pid`, so the handler can tell oxprof's signals from
/// anyone else's. The word where a queued signal from another process would carry the sender's
/// uid carries `extra` instead: the kernel passes a process's signals to itself unchanged.
pub(crate) fn send_queued(
    signo: c_int,
    pid: i32,
    tid: u32,
    value: u64,
    extra: i32,
) -> io::Result<()> {
    // SAFETY: `info` is a zeroed siginfo_t whose first fields follow the kernel's layout for
    // SI_QUEUE (signo, errno, code, then pid, uid and the value at byte 24, as `SigInfoView`
    // reads them); the syscall copies it and does not keep the pointer.
    let result = unsafe {
        let mut info: libc::siginfo_t = std::mem::zeroed();
        let view = &mut info as *mut libc::siginfo_t as *mut SigInfoView;
        (*view).signo = signo;
        (*view).code = libc::SI_QUEUE;
        (*view).pid_or_timer = pid;
        (*view).extra = extra;
        (*view).value = value;
        libc::syscall(
            libc::SYS_rt_tgsigqueueinfo,
            pid,
            tid as c_int,
            signo,
            &info as *const libc::siginfo_t,
        )
    };
    if result == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// The signature of an `SA_SIGINFO` handler.
pub(crate) type Handler = extern "C" fn(c_int, *mut libc::siginfo_t, *mut c_void);

/// One of oxprof's handlers, installed once for good, and the handler it replaced, to pass
/// foreign signals on to.
///
/// Handlers stay installed: a signal of oxprof's still pending when its work is done would
/// otherwise meet the default action, which for most signals ends the process.
pub(crate) struct Installed {
    installed: Mutex<bool>,
    /// The previous handler's address (0 for none: `SIG_DFL` or `SIG_IGN`).
    previous_action: AtomicUsize,
    previous_siginfo: AtomicBool,
}

impl Installed {
    pub(crate) const fn new() -> Installed {
        Installed {
            installed: Mutex::new(false),
            previous_action: AtomicUsize::new(0),
            previous_siginfo: AtomicBool::new(false),
        }
    }

    /// Installs `handler` for `signo` (restarting interrupted system calls, with `blocked`
    /// masked while it runs) unless this already did.
    pub(crate) fn install(
        &self,
        signo: c_int,
        handler: Handler,
        blocked: &[c_int],
    ) -> io::Result<()> {
        let mut installed = self
            .installed
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if *installed {
            return Ok(());
        }
        // SAFETY: `action` is fully initialised (zeroed, then handler, flags and a mask built
        // with sigemptyset/sigaddset); `old` receives the previous action.
        let old = unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = handler as usize;
            action.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            for &other in blocked {
                libc::sigaddset(&mut action.sa_mask, other);
            }
            let mut old: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(signo, &action, &mut old) != 0 {
                return Err(io::Error::last_os_error());
            }
            old
        };
        if old.sa_sigaction != libc::SIG_DFL && old.sa_sigaction != libc::SIG_IGN {
            self.previous_siginfo
                .store(old.sa_flags & libc::SA_SIGINFO != 0, Ordering::Relaxed);
            self.previous_action
                .store(old.sa_sigaction, Ordering::Release);
        }
        *installed = true;
        Ok(())
    }

    /// Runs the previously installed handler, if it was a function. Async-signal-safe.
    ///
    /// # Safety
    /// The arguments are those the kernel passed to the handler installed through `self`.
    pub(crate) unsafe fn forward(
        &self,
        signo: c_int,
        info: *mut libc::siginfo_t,
        ucontext: *mut c_void,
    ) {
        let action = self.previous_action.load(Ordering::Acquire);
        if action == 0 {
            return;
        }
        if self.previous_siginfo.load(Ordering::Relaxed) {
            // SAFETY: the previous handler was registered with SA_SIGINFO, so it has this
            // signature.
            let f: Handler = unsafe { std::mem::transmute(action) };
            f(signo, info, ucontext);
        } else {
            // SAFETY: without SA_SIGINFO the previous handler takes only the signal number.
            let f: extern "C" fn(c_int) = unsafe { std::mem::transmute(action) };
            f(signo);
        }
    }
}

thread_local! {
    /// How many of oxprof's handlers this thread is inside now (they can nest); read by tests
    /// that check the handlers never allocate or lock. `const` and without Drop, so reading it
    /// in a handler allocates nothing.
    static HANDLER_DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// Whether the calling thread is inside one of oxprof's signal handlers right now.
pub(crate) fn in_handler() -> bool {
    HANDLER_DEPTH.with(Cell::get) > 0
}

/// Marks the calling thread as inside an oxprof handler until dropped.
pub(crate) struct InHandler(());

impl InHandler {
    pub(crate) fn enter() -> InHandler {
        HANDLER_DEPTH.with(|depth| depth.set(depth.get() + 1));
        InHandler(())
    }
}

impl Drop for InHandler {
    fn drop(&mut self) {
        HANDLER_DEPTH.with(|depth| depth.set(depth.get().saturating_sub(1)));
    }
}
