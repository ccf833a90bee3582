//! The `SIGPROF` handler and the hand-off between it and a running profile.
//!
//! The handler is installed once and stays installed: a timer signal still pending when a
//! profile stops would otherwise hit the default action and kill the process. Signals that are
//! not oxprof's go to the handler that was there before, when there was one.
//!
//! A running profile publishes its [`Shared`] state through an atomic pointer. Handlers count
//! themselves in and out of [`HANDLERS_RUNNING`], so stopping can retract the pointer and wait for
//! in-flight handlers before freeing anything they might read.

use std::io;
use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize, Ordering};

use super::armed::ArmedThreads;
use super::ring::{SampleMeta, SampleRing};
use crate::signals::{InHandler, Installed, SigInfoView};
use crate::unwind::{unwind_signal_context, Unwound};

/// What a profile shares with the signal handler.
pub(crate) struct Shared {
    /// Signals whose value carries another generation belong to an earlier profile.
    pub(crate) generation: u32,
    /// CPU mode: the process-wide `setitimer` is armed, as the catch-all for threads without a
    /// timer of their own (or as the only timer); its signals come from the kernel, no value.
    pub(crate) process_timer: bool,
    /// Threads with a timer of their own: process-timer signals on them are not counted.
    pub(crate) armed: ArmedThreads,
    /// Samples taken through the process timer.
    pub(crate) catch_all: AtomicU64,
    /// This process: queued signals from any other sender are not oxprof's.
    pub(crate) pid: i32,
    pub(crate) ring: SampleRing,
    /// What the handler itself costs: samples recorded and the time spent recording them.
    pub(crate) cost: HandlerCost,
}

static SHARED: AtomicPtr<Shared> = AtomicPtr::new(std::ptr::null_mut());
static HANDLERS_RUNNING: AtomicUsize = AtomicUsize::new(0);

/// The `SIGPROF` handler, and the one it replaced.
static HANDLER: Installed = Installed::new();

/// Installs the handler for `SIGPROF` if it is not installed yet.
pub(crate) fn install() -> io::Result<()> {
    HANDLER.install(libc::SIGPROF, on_signal, &[])
}

/// Makes `shared` the state the handler writes to.
pub(crate) fn publish(shared: &Shared) {
    SHARED.store(shared as *const Shared as *mut Shared, Ordering::SeqCst);
}

/// Withdraws the published state and returns once no handler can still be reading it.
pub(crate) fn retract() {
    SHARED.store(std::ptr::null_mut(), Ordering::SeqCst);
    while HANDLERS_RUNNING.load(Ordering::SeqCst) != 0 {
        std::thread::yield_now();
    }
}

/// In a child just forked: the profile published is the parent's (its sampler thread is not
/// in the child), and handlers counted in by the parent's other threads will never leave.
pub(crate) fn after_fork_in_child() {
    SHARED.store(std::ptr::null_mut(), Ordering::SeqCst);
    HANDLERS_RUNNING.store(0, Ordering::SeqCst);
}

/// The signal value oxprof's timers and wall-clock signals carry: a profile generation, a thread
/// state and the target thread id.
pub(crate) fn encode_value(generation: u32, state: u8, tid: u32) -> u64 {
    (u64::from(generation) << 32) | (u64::from(state) << 24) | u64::from(tid & 0x00ff_ffff)
}

fn decode_value(value: u64) -> (u32, u8, u32) {
    (
        (value >> 32) as u32,
        (value >> 24) as u8,
        (value & 0x00ff_ffff) as u32,
    )
}

extern "C" fn on_signal(
    signo: libc::c_int,
    info: *mut libc::siginfo_t,
    ucontext: *mut libc::c_void,
) {
    // SAFETY: errno is thread-local; the pointer is valid for the thread's lifetime.
    let saved_errno = unsafe { *libc::__errno_location() };
    let in_handler = InHandler::enter();
    HANDLERS_RUNNING.fetch_add(1, Ordering::SeqCst);
    let shared = SHARED.load(Ordering::SeqCst);
    let outcome = if shared.is_null() || info.is_null() {
        Outcome::Foreign
    } else {
        // SAFETY: `shared` stays valid until `retract` sees HANDLERS_RUNNING drop to zero, and we
        // are counted in it; the kernel passes a valid siginfo and ucontext to SA_SIGINFO handlers.
        unsafe { sample(&*shared, &*(info as *const SigInfoView), ucontext) }
    };
    HANDLERS_RUNNING.fetch_sub(1, Ordering::SeqCst);
    drop(in_handler);
    if outcome == Outcome::Foreign {
        // SAFETY: forwarding the arguments the kernel gave us to the handler that was installed
        // for this signal before ours.
        unsafe { HANDLER.forward(signo, info, ucontext) };
    }
    // SAFETY: as above.
    unsafe { *libc::__errno_location() = saved_errno };
}

/// What the handler made of a signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// A sample of the running profile (recorded, or counted as lost).
    Sampled,
    /// One of oxprof's signals sent for an earlier profile: dropped.
    Stale,
    /// Not oxprof's: passed on to the previous handler.
    Foreign,
}

/// Records one sample if the signal belongs to the running profile.
///
/// # Safety
/// `ucontext` is the context the kernel passed with this signal.
unsafe fn sample(shared: &Shared, info: &SigInfoView, ucontext: *mut libc::c_void) -> Outcome {
    let (tid, state, weight) = match info.code {
        libc::SI_TIMER | libc::SI_QUEUE => {
            if info.code == libc::SI_QUEUE && info.pid_or_timer != shared.pid {
                return Outcome::Foreign;
            }
            let (generation, state, tid) = decode_value(info.value);
            if generation != shared.generation {
                return Outcome::Stale;
            }
            // Each timer expiry the kernel could not deliver separately is one more period of
            // CPU time (CPU-clock timers fire at most once per scheduler tick); each wall-clock
            // tick the sampler missed is one more period of wall time.
            (tid, state, 1 + info.extra.max(0) as u64)
        }
        libc::SI_KERNEL if shared.process_timer => {
            // SAFETY: gettid has no preconditions; one syscall per sample, not per frame.
            let tid = unsafe { libc::gettid() } as u32;
            if shared.armed.contains(tid) {
                // This thread's own timer accounts for its CPU time.
                return Outcome::Stale;
            }
            shared.catch_all.fetch_add(1, Ordering::Relaxed);
            (tid, 0, 1)
        }
        _ => return Outcome::Foreign,
    };
    let started = crate::clock::monotonic_nanos();
    let Some(mut claim) = shared.ring.claim() else {
        return Outcome::Sampled;
    };
    // SAFETY: forwarded from the handler's contract.
    let Unwound { len, truncated } = unsafe { unwind_signal_context(ucontext, claim.frames_mut()) };
    let meta = SampleMeta {
        tid,
        state,
        label_id: crate::labels::current_id(),
    };
    claim.commit(meta, weight, len, truncated, started);
    shared
        .cost
        .add(crate::clock::monotonic_nanos().saturating_sub(started));
    Outcome::Sampled
}

/// Samples the handler recorded and the nanoseconds it spent on them, so every profile can say
/// what it cost.
#[derive(Debug, Default)]
pub(crate) struct HandlerCost {
    samples: AtomicU64,
    nanos: AtomicU64,
}

impl HandlerCost {
    fn add(&self, nanos: u64) {
        self.samples.fetch_add(1, Ordering::Relaxed);
        self.nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// Samples recorded and nanoseconds spent in total.
    pub(crate) fn totals(&self) -> (u64, u64) {
        (
            self.samples.load(Ordering::Relaxed),
            self.nanos.load(Ordering::Relaxed),
        )
    }
}
