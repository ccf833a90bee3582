//! How the signal handler asks the watcher thread for fresher snapshots: it sets a bit and, if
//! no request was pending, writes once to an eventfd the watcher sleeps on. A pending bit stays
//! set until the watcher serves it, so a stream of samples costs at most one `write` per served
//! request, not one per sample.

use std::io;
use std::sync::atomic::{AtomicI32, AtomicU32, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// What the watcher is asked to refresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub(super) enum Request {
    /// An address fell outside every known module: a library may have been loaded.
    Modules = 1,
    /// A stack pointer fell outside every known mapping: a thread may have started.
    Memory = 2,
}

static PENDING: AtomicU32 = AtomicU32::new(0);
/// The eventfd, or -1 before [`open`]. Never closed once open.
static EVENT_FD: AtomicI32 = AtomicI32::new(-1);

/// Creates the eventfd if it does not exist yet.
pub(super) fn open() -> io::Result<()> {
    static OPENING: Mutex<()> = Mutex::new(());
    let _opening = OPENING.lock().unwrap_or_else(PoisonError::into_inner);
    if EVENT_FD.load(Ordering::Acquire) >= 0 {
        return Ok(());
    }
    // SAFETY: eventfd has no memory preconditions.
    let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    EVENT_FD.store(fd, Ordering::Release);
    Ok(())
}

/// In a child just forked: the eventfd is shared with the parent, whose watcher would take the
/// child's wake-ups; the child gets one of its own, and no request pending.
pub(super) fn after_fork_in_child() -> io::Result<()> {
    PENDING.store(0, Ordering::Release);
    let old = EVENT_FD.swap(-1, Ordering::AcqRel);
    if old >= 0 {
        // SAFETY: `old` is the eventfd `open` created; no thread of the child uses it any more.
        unsafe { libc::close(old) };
    }
    open()
}

/// Asks the watcher for `request`. Async-signal-safe, and preserves `errno`.
pub(super) fn request(request: Request) {
    if PENDING.fetch_or(request as u32, Ordering::AcqRel) == 0 {
        kick();
    }
}

/// Wakes the watcher whether or not anything is pending. Async-signal-safe, and preserves
/// `errno`.
pub(super) fn kick() {
    let fd = EVENT_FD.load(Ordering::Acquire);
    if fd < 0 {
        return;
    }
    let one = 1u64;
    // SAFETY: __errno_location returns this thread's errno; the write reads 8 bytes from `one`.
    // A full counter (EAGAIN) already means "wake up", so the result does not matter.
    unsafe {
        let errno = libc::__errno_location();
        let saved = *errno;
        libc::write(fd, (&raw const one).cast(), 8);
        *errno = saved;
    }
}

/// Whether `request` is pending.
pub(super) fn is_pending(request: Request) -> bool {
    PENDING.load(Ordering::Acquire) & request as u32 != 0
}

/// Marks `request` as served. Call before doing the work, so a request made meanwhile wakes
/// the watcher again.
pub(super) fn clear(request: Request) {
    PENDING.fetch_and(!(request as u32), Ordering::AcqRel);
}

/// Sleeps until kicked or until `timeout` passes.
pub(super) fn wait(timeout: Duration) {
    let fd = EVENT_FD.load(Ordering::Acquire);
    if fd < 0 {
        std::thread::sleep(timeout);
        return;
    }
    let mut poll_fd = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    let timeout_ms = timeout.as_millis().clamp(1, i32::MAX as u128) as i32;
    let mut counter = 0u64;
    // SAFETY: `poll_fd` is one valid pollfd; the read writes 8 bytes into `counter`. Reading
    // resets the eventfd so the next poll sleeps again.
    unsafe {
        libc::poll(&mut poll_fd, 1, timeout_ms);
        libc::read(fd, (&raw mut counter).cast(), 8);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;
    use std::time::Instant;

    #[test]
    fn a_kick_ends_the_wait_early() {
        open().unwrap();
        // Drain a count left by earlier kicks.
        wait(Duration::from_millis(1));
        let woken = Arc::new(AtomicBool::new(false));
        // Kicks until the wait ends: a watcher of another test may drain a single kick first.
        let kicker = {
            let woken = woken.clone();
            std::thread::spawn(move || {
                while !woken.load(Ordering::Acquire) {
                    std::thread::sleep(Duration::from_millis(20));
                    kick();
                }
            })
        };
        let start = Instant::now();
        wait(Duration::from_secs(10));
        woken.store(true, Ordering::Release);
        assert!(start.elapsed() < Duration::from_secs(5));
        kicker.join().unwrap();
    }

    #[test]
    fn kick_preserves_errno() {
        open().unwrap();
        // SAFETY: __errno_location returns this thread's errno.
        unsafe {
            *libc::__errno_location() = libc::EINTR;
            kick();
            assert_eq!(*libc::__errno_location(), libc::EINTR);
        }
    }
}
