//! Writing the profiles when the process ends: at `exit` (a return from `main` is one), and at
//! `SIGINT` and `SIGTERM` when the program left them to their default action.
//!
//! A signal handler can do nothing that allocates or locks, and writing a profile does both, so
//! the handler only writes the signal's number to a pipe. A thread of oxprof's own waits on the
//! pipe, writes the profiles, then restores the default action and sends the signal again, so
//! the program ends as the signal would have ended it (its parent sees "killed by SIGTERM").

use std::ffi::c_int;
use std::io;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Once;

/// The signals that end a program politely.
const ENDING_SIGNALS: [c_int; 2] = [libc::SIGINT, libc::SIGTERM];

/// The pipe's write end, or -1 while there is none (the handler then ends the process at once).
static PIPE_WRITE: AtomicI32 = AtomicI32::new(-1);
/// The pipe's read end, which the finisher thread waits on.
static PIPE_READ: AtomicI32 = AtomicI32::new(-1);

/// Registers the `exit` hook and the signal handlers, once per process, and starts the thread
/// that finishes on a signal.
pub(super) fn register() -> io::Result<()> {
    static REGISTER: Once = Once::new();
    let mut result = Ok(());
    REGISTER.call_once(|| {
        // SAFETY: `at_exit` is a plain function that runs at most once per finish.
        if unsafe { libc::atexit(at_exit) } != 0 {
            result = Err(io::Error::other("atexit refused another handler"));
            return;
        }
        result = start_finisher().and_then(|()| install_handlers());
    });
    result
}

/// In a child just forked: the pipe is shared with the parent, whose finisher would take the
/// child's signals, and the child has no finisher thread. It gets both of its own.
pub(super) fn after_fork_in_child() -> io::Result<()> {
    for end in [&PIPE_WRITE, &PIPE_READ] {
        let fd = end.swap(-1, Ordering::AcqRel);
        if fd >= 0 {
            // SAFETY: `fd` is this module's pipe end; nothing in the child uses it any more.
            unsafe { libc::close(fd) };
        }
    }
    start_finisher()
}

extern "C" fn at_exit() {
    super::finish_and_report();
}

fn start_finisher() -> io::Result<()> {
    let mut fds = [-1; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let [read, write] = fds;
    PIPE_READ.store(read, Ordering::Release);
    crate::internal_thread::spawn("oxprof-session", move || finisher(read))?;
    PIPE_WRITE.store(write, Ordering::Release);
    Ok(())
}

/// Waits for an ending signal, writes the profiles and lets the signal end the process.
fn finisher(read: c_int) {
    let mut signo = 0u8;
    loop {
        // SAFETY: reads one byte into `signo`.
        let n = unsafe { libc::read(read, (&raw mut signo).cast(), 1) };
        match n {
            1 => break,
            -1 if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted => continue,
            // The pipe was closed (this process forked and is the child: another thread of
            // its own took over) or failed: nothing more to wait for.
            _ => return,
        }
    }
    super::finish_and_report();
    end_by(c_int::from(signo));
}

/// Restores `signo`'s default action and sends it to the process, which ends as the signal
/// would have ended it; exits with the shell's `128 + signo` should it not.
fn end_by(signo: c_int) {
    // SAFETY: resetting a disposition and signalling this process have no memory
    // preconditions; `_exit` does not return.
    unsafe {
        libc::signal(signo, libc::SIG_DFL);
        libc::kill(libc::getpid(), signo);
        // Delivered to any thread that has it unblocked: give it a moment.
        libc::usleep(100_000);
        libc::_exit(128 + signo);
    }
}

/// Installs the handler for each ending signal whose action is still the default: a program's
/// own handler (or an ignored signal) is left alone.
fn install_handlers() -> io::Result<()> {
    for signo in ENDING_SIGNALS {
        // SAFETY: `old` receives the current action; `action` is fully initialised (zeroed,
        // handler, flags, an empty mask) before sigaction reads it.
        unsafe {
            let mut old: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(signo, std::ptr::null(), &mut old) != 0 {
                return Err(io::Error::last_os_error());
            }
            if old.sa_sigaction != libc::SIG_DFL {
                continue;
            }
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_signal as extern "C" fn(c_int) as usize;
            action.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            if libc::sigaction(signo, &action, std::ptr::null_mut()) != 0 {
                return Err(io::Error::last_os_error());
            }
        }
    }
    Ok(())
}

/// Async-signal-safe: one `write`, with `errno` preserved.
extern "C" fn on_signal(signo: c_int) {
    let fd = PIPE_WRITE.load(Ordering::Acquire);
    if fd < 0 {
        // No finisher to hand over to (a child whose own could not start): end as the signal
        // would have, without profiles.
        // SAFETY: signal and raise are async-signal-safe.
        unsafe {
            libc::signal(signo, libc::SIG_DFL);
            libc::raise(signo);
        }
        return;
    }
    let byte = signo as u8;
    // SAFETY: errno is this thread's; the write reads one byte from `byte`. A full pipe means a
    // signal is already waiting to be served, which is as good.
    unsafe {
        let errno = libc::__errno_location();
        let saved = *errno;
        libc::write(fd, (&raw const byte).cast(), 1);
        *errno = saved;
    }
}
