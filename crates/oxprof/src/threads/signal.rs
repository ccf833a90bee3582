//! The dump signal: a real-time signal each thread answers by unwinding its own stack into a
//! slot set aside for it.
//!
//! A dump publishes a [`Request`] (its generation and one [`Slot`] per thread) through an
//! atomic pointer, then signals each thread with the generation and its slot's index as the
//! signal's value. The handler claims its slot (`PENDING` → `WRITING`), unwinds the interrupted
//! context into it, reads the thread's label id, and publishes it (`DONE`). The dump waits,
//! boundedly, then abandons the slots still `PENDING`, so a late answer writes nothing; and
//! before freeing the request it retracts the pointer and waits for the handlers counted in
//! [`HANDLERS_RUNNING`]. A handler that never leaves (a thread stopped inside it) makes the
//! request leak rather than be freed under it.
//!
//! In the handler: no allocation, no lock; two system calls (`getpid`, `gettid`) and the
//! unwinder's own rules (see `crate::unwind`).

use std::cell::UnsafeCell;
use std::ffi::{c_int, c_void};
use std::io;
use std::sync::atomic::{AtomicPtr, AtomicU32, AtomicU8, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::signals::{send_queued, InHandler, Installed, SigInfoView};
use crate::unwind::{unwind_signal_context, Unwound};

/// Frames kept per thread; deeper stacks are cut and marked truncated.
pub(super) const MAX_FRAMES: usize = 128;

/// Marks oxprof's dump signals in the word where a queued signal from another process carries
/// its sender's uid ("oxtd").
const MARK: i32 = 0x6f78_7464;

/// How long a handler already writing its answer gets to finish after the dump's deadline:
/// the walk is bounded and takes microseconds, so only a thread stopped in the middle of it
/// runs out of this.
const WRITING_GRACE: Duration = Duration::from_millis(50);

/// How long the dump waits for handlers still reading a retracted request before leaking it.
const RETRACT_GRACE: Duration = Duration::from_millis(100);

/// The real-time signal the dump uses. The lowest few are the ones other runtimes claim first
/// (.NET's activation signal is `SIGRTMIN`, bionic reserves the next ones), so it sits a few
/// above.
pub(crate) fn signal_number() -> c_int {
    libc::SIGRTMIN() + 5
}

const PENDING: u8 = 0;
const WRITING: u8 = 1;
const DONE: u8 = 2;
const ABANDONED: u8 = 3;

/// What a thread's handler wrote.
#[derive(Debug, Clone, Copy)]
pub(super) struct Answer {
    pub(super) frames: [u64; MAX_FRAMES],
    pub(super) len: usize,
    pub(super) truncated: bool,
    /// The thread's label set id when it was interrupted (see `crate::labels`).
    pub(super) label_id: u32,
}

impl Answer {
    const EMPTY: Answer = Answer {
        frames: [0; MAX_FRAMES],
        len: 0,
        truncated: false,
        label_id: 0,
    };

    /// The calling thread's own answer, taken directly: `frames[0]` is the call of this
    /// function in its caller.
    #[inline(never)]
    pub(super) fn of_calling_thread() -> Answer {
        let mut answer = Answer::EMPTY;
        let Unwound { len, truncated } = crate::unwind::unwind_current_thread(&mut answer.frames);
        answer.len = len;
        answer.truncated = truncated;
        answer.label_id = crate::labels::current_id();
        answer
    }

    pub(super) fn frames(&self) -> &[u64] {
        &self.frames[..self.len]
    }
}

/// One thread's place in a request.
struct Slot {
    tid: u32,
    state: AtomicU8,
    answer: UnsafeCell<Answer>,
}

// SAFETY: `answer` is written only by the one handler that moved `state` from PENDING to
// WRITING, and read only after `state` is DONE (acquire), when no one writes it any more.
unsafe impl Sync for Slot {}

/// What the handlers of one dump share with it.
struct Request {
    generation: u32,
    slots: Box<[Slot]>,
}

static REQUEST: AtomicPtr<Request> = AtomicPtr::new(std::ptr::null_mut());
static HANDLERS_RUNNING: AtomicUsize = AtomicUsize::new(0);
static NEXT_GENERATION: AtomicU32 = AtomicU32::new(1);
static HANDLER: Installed = Installed::new();

/// How one thread took its signal.
#[derive(Debug)]
pub(super) enum Reply {
    Answered(Box<Answer>),
    /// No answer by the deadline.
    NoAnswer,
    /// The thread ended before it could be signalled.
    Gone,
    /// The signal could not be sent (for example the queue of pending signals is full).
    SendFailed(io::Error),
}

/// Signals every thread of `tids` and collects their answers, waiting at most `timeout` for
/// the last. Not reentrant: the caller serializes dumps.
pub(super) fn ask(tids: &[u32], timeout: Duration) -> io::Result<Vec<Reply>> {
    let signo = signal_number();
    // SIGPROF waits while a thread answers: the CPU profiler's handler would otherwise claim
    // an unwinder cache in the middle of this one's walk.
    HANDLER.install(signo, on_signal, &[libc::SIGPROF])?;
    let generation = NEXT_GENERATION
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |g| {
            Some(g.checked_add(1).unwrap_or(1))
        })
        .unwrap_or(1);
    let request = Box::new(Request {
        generation,
        slots: tids
            .iter()
            .map(|&tid| Slot {
                tid,
                state: AtomicU8::new(PENDING),
                answer: UnsafeCell::new(Answer::EMPTY),
            })
            .collect(),
    });
    let request = Box::into_raw(request);
    REQUEST.store(request, Ordering::SeqCst);
    // SAFETY: `request` was just leaked from a Box and is freed only at the end of this
    // function, after no handler can read it.
    let shared = unsafe { &*request };
    let pid = std::process::id() as i32;
    let mut failures: Vec<Option<io::Error>> = Vec::with_capacity(tids.len());
    for (index, slot) in shared.slots.iter().enumerate() {
        let value = (u64::from(generation) << 32) | index as u64;
        let sent = send_queued(signo, pid, slot.tid, value, MARK);
        if sent.is_err() {
            // Nothing will answer: make sure nothing can.
            slot.state.store(ABANDONED, Ordering::Release);
        }
        failures.push(sent.err());
    }
    wait_for_answers(&shared.slots, Instant::now() + timeout);
    let replies = shared
        .slots
        .iter()
        .zip(failures)
        .map(|(slot, failure)| reply(slot, failure))
        .collect();
    retract(request);
    Ok(replies)
}

/// Waits until no slot is pending or writing, or until `deadline` (plus a short grace for
/// answers being written), then abandons the slots still pending.
fn wait_for_answers(slots: &[Slot], deadline: Instant) {
    let open = |state: &AtomicU8| matches!(state.load(Ordering::Acquire), PENDING | WRITING);
    let mut pause = Duration::from_micros(20);
    while slots.iter().any(|s| open(&s.state)) && Instant::now() < deadline {
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(2));
    }
    for slot in slots {
        // A late handler finds its slot abandoned and writes nothing.
        let _ =
            slot.state
                .compare_exchange(PENDING, ABANDONED, Ordering::AcqRel, Ordering::Acquire);
    }
    let grace = Instant::now() + WRITING_GRACE;
    while slots.iter().any(|s| open(&s.state)) && Instant::now() < grace {
        std::thread::sleep(Duration::from_micros(100));
    }
}

fn reply(slot: &Slot, failure: Option<io::Error>) -> Reply {
    if let Some(error) = failure {
        return match error.raw_os_error() {
            Some(libc::ESRCH) => Reply::Gone,
            _ => Reply::SendFailed(error),
        };
    }
    if slot.state.load(Ordering::Acquire) != DONE {
        return Reply::NoAnswer;
    }
    // SAFETY: DONE, read with acquire ordering: the handler finished writing and no one writes
    // the answer any more.
    Reply::Answered(Box::new(unsafe { *slot.answer.get() }))
}

/// Withdraws `request` and frees it once no handler can be reading it; leaks it if one stays
/// inside for longer than [`RETRACT_GRACE`].
fn retract(request: *mut Request) {
    REQUEST.store(std::ptr::null_mut(), Ordering::SeqCst);
    let deadline = Instant::now() + RETRACT_GRACE;
    while HANDLERS_RUNNING.load(Ordering::SeqCst) != 0 {
        if Instant::now() >= deadline {
            return;
        }
        std::thread::yield_now();
    }
    // SAFETY: `request` came from Box::into_raw in `ask`; it is no longer published and no
    // handler that could have loaded it is still running.
    drop(unsafe { Box::from_raw(request) });
}

extern "C" fn on_signal(signo: c_int, info: *mut libc::siginfo_t, ucontext: *mut c_void) {
    // SAFETY: errno is thread-local; the pointer is valid for the thread's lifetime.
    let saved_errno = unsafe { *libc::__errno_location() };
    let in_handler = InHandler::enter();
    HANDLERS_RUNNING.fetch_add(1, Ordering::SeqCst);
    let request = REQUEST.load(Ordering::SeqCst);
    let ours = !info.is_null()
        // SAFETY: the kernel passes a valid siginfo to SA_SIGINFO handlers; `request` is null
        // or stays valid until `retract` sees HANDLERS_RUNNING drop to zero, and we are counted
        // in it; `ucontext` is this signal's context.
        && unsafe { answer(request, &*(info as *const SigInfoView), ucontext) };
    HANDLERS_RUNNING.fetch_sub(1, Ordering::SeqCst);
    drop(in_handler);
    if !ours {
        // SAFETY: forwarding the arguments the kernel gave us to the handler that was installed
        // for this signal before ours.
        unsafe { HANDLER.forward(signo, info, ucontext) };
    }
    // SAFETY: as above.
    unsafe { *libc::__errno_location() = saved_errno };
}

/// Answers the request if the signal is a dump's; returns whether it was one of oxprof's
/// (answered, or stale and dropped).
///
/// # Safety
/// `request` is null or points at a live request; `ucontext` is the context the kernel passed
/// with this signal.
unsafe fn answer(request: *const Request, info: &SigInfoView, ucontext: *mut c_void) -> bool {
    if info.code != libc::SI_QUEUE || info.extra != MARK {
        return false;
    }
    // SAFETY: getpid has no preconditions.
    if info.pid_or_timer != unsafe { libc::getpid() } {
        return false;
    }
    // SAFETY: forwarded from the caller.
    let Some(request) = (unsafe { request.as_ref() }) else {
        return true;
    };
    let generation = (info.value >> 32) as u32;
    let Some(slot) = request.slots.get(info.value as u32 as usize) else {
        return true;
    };
    // SAFETY: gettid has no preconditions.
    let tid = unsafe { libc::gettid() } as u32;
    if generation != request.generation || slot.tid != tid {
        return true;
    }
    if slot
        .state
        .compare_exchange(PENDING, WRITING, Ordering::AcqRel, Ordering::Acquire)
        .is_err()
    {
        return true;
    }
    // SAFETY: the exchange to WRITING made this handler the answer's only writer, and the dump
    // reads it only once DONE is published below.
    let answer = unsafe { &mut *slot.answer.get() };
    // SAFETY: forwarded from the caller.
    let Unwound { len, truncated } = unsafe { unwind_signal_context(ucontext, &mut answer.frames) };
    answer.len = len;
    answer.truncated = truncated;
    answer.label_id = crate::labels::current_id();
    slot.state.store(DONE, Ordering::Release);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_that_never_answers_is_given_up_on_at_the_deadline() {
        // Dumps leave threads that block the signal out; asked directly, such a thread is the
        // one that cannot answer. A thread id nobody has stands for a thread that has ended.
        let (tx, rx) = std::sync::mpsc::channel();
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        let blocker = std::thread::spawn(move || {
            // SAFETY: a local sigset built with sigemptyset/sigaddset; only this thread's mask
            // changes.
            unsafe {
                let mut set: libc::sigset_t = std::mem::zeroed();
                libc::sigemptyset(&mut set);
                libc::sigaddset(&mut set, signal_number());
                libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
            }
            // SAFETY: gettid has no preconditions.
            tx.send(unsafe { libc::gettid() } as u32).unwrap();
            done_rx.recv().unwrap();
        });
        let tid = rx.recv().unwrap();
        let started = Instant::now();
        let replies = ask(&[tid, u32::MAX >> 2], Duration::from_millis(100)).unwrap();
        let waited = started.elapsed();
        assert!(matches!(replies[0], Reply::NoAnswer), "{replies:?}");
        assert!(matches!(replies[1], Reply::Gone), "{replies:?}");
        assert!(waited >= Duration::from_millis(100), "{waited:?}");
        assert!(waited < Duration::from_secs(2), "{waited:?}");
        done_tx.send(()).unwrap();
        blocker.join().unwrap();
    }
}
