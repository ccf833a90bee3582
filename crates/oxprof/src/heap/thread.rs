//! This thread's heap-profiler state, in one thread-local: the allocation path reads it once.
//! In a shared library (the `LD_PRELOAD` library is one) a `thread_local!` is reached through a
//! call to `__tls_get_addr`, so five of them would cost five calls per allocation; one costs
//! one. With the `initial-exec-tls` feature on x86-64 Linux, even that call goes: see
//! [`initial_exec`].

use std::cell::Cell;

/// What the allocation path keeps per thread. All zeroes is the state of a thread that has not
/// allocated yet, so the initial-exec block can live in `.tbss`.
#[repr(C)]
pub(super) struct ThreadState {
    /// Inside the profiler's own bookkeeping: allocations are neither counted nor sampled, so
    /// the sampled path cannot recurse. Changed only through [`ThreadState::set_busy`].
    busy: Cell<bool>,
    /// Whether this thread has drawn its first budget yet.
    pub(super) drawn: Cell<bool>,
    /// The slot this thread counts into (see `counters`).
    pub(super) slot: Cell<usize>,
    /// Bytes left before this thread's next sample. Starts at 0 so a thread's first
    /// allocation draws its first budget (see `sampling`).
    pub(super) countdown: Cell<i64>,
    /// The state of the generator that draws budgets; 0 until seeded.
    pub(super) random: Cell<u64>,
    /// Where `countdown` was when the thread became busy.
    parked: Cell<i64>,
    /// Whether the thread counts in the shared slot (see `counters`).
    pub(super) counts_shared: Cell<bool>,
}

/// A busy thread's countdown: no run of allocations spends it, so the sampling path need not
/// ask whether the thread is busy (the counting path does).
const PARKED: i64 = i64::MAX / 2;

impl ThreadState {
    /// Whether the thread is doing the profiler's own work.
    #[inline(always)]
    pub(super) fn busy(&self) -> bool {
        self.busy.get()
    }

    /// Marks the thread busy or not; returns whether it was. A busy thread's sampling budget
    /// is parked out of reach, and given back when it is no longer busy.
    pub(super) fn set_busy(&self, busy: bool) -> bool {
        let was = self.busy.replace(busy);
        match (was, busy) {
            (false, true) => self.parked.set(self.countdown.replace(PARKED)),
            (true, false) => self.countdown.set(self.parked.get()),
            _ => {}
        }
        was
    }
}

/// Runs `f` with this thread's state; `None` once the thread's thread-locals are gone (in its
/// last destructors).
#[cfg(not(all(
    feature = "initial-exec-tls",
    target_arch = "x86_64",
    target_os = "linux"
)))]
#[inline(always)]
pub(super) fn with<R>(f: impl FnOnce(&ThreadState) -> R) -> Option<R> {
    thread_local! {
        // `const` and without Drop: reading it never allocates or registers a destructor, so it
        // can be read inside `malloc`.
        static STATE: ThreadState = const {
            ThreadState {
                busy: Cell::new(false),
                drawn: Cell::new(false),
                slot: Cell::new(super::counters::UNASSIGNED),
                countdown: Cell::new(0),
                random: Cell::new(0),
                parked: Cell::new(0),
                counts_shared: Cell::new(false),
            }
        };
    }
    STATE.try_with(f).ok()
}

#[cfg(all(
    feature = "initial-exec-tls",
    target_arch = "x86_64",
    target_os = "linux"
))]
pub(super) use initial_exec::with;

/// The state as an initial-exec thread-local: its offset from the thread pointer is fixed when
/// the library is loaded, so reaching it is two instructions instead of a call to
/// `__tls_get_addr` (about a tenth of the instructions `oxprof record` adds to a
/// `malloc`/`free` pair). Stable Rust cannot choose a thread-local's TLS model, hence the
/// assembly. Sound for a library loaded with the program, as an `LD_PRELOAD` library is: the
/// loader reserves its static TLS before the first thread starts. A library `dlopen`ed later
/// draws on glibc's surplus of static TLS (512 bytes by default), which this block's
/// `size_of::<ThreadState>()` bytes (48 on x86-64) fit.
#[cfg(all(
    feature = "initial-exec-tls",
    target_arch = "x86_64",
    target_os = "linux"
))]
mod initial_exec {
    use super::ThreadState;

    // All zeroes is a new thread's state only if a new thread's slot is zero.
    const _: () = assert!(super::super::counters::UNASSIGNED == 0);
    const _: () = assert!(std::mem::align_of::<ThreadState>() <= 8);

    // The block: `.tbss` is zeroed per thread, and all zeroes is a new thread's state. Global,
    // for the code generation units that read it, and hidden, so it is never exported.
    std::arch::global_asm!(
        ".pushsection .tbss,\"awT\",@nobits",
        ".globl oxprof_heap_thread_state",
        ".hidden oxprof_heap_thread_state",
        ".type oxprof_heap_thread_state, @object",
        ".size oxprof_heap_thread_state, {size}",
        ".p2align 3",
        "oxprof_heap_thread_state:",
        ".zero {size}",
        ".popsection",
        size = const std::mem::size_of::<ThreadState>(),
    );

    /// Runs `f` with this thread's state. The block lives as long as its thread, so this
    /// always runs `f`.
    #[inline(always)]
    pub(in super::super) fn with<R>(f: impl FnOnce(&ThreadState) -> R) -> Option<R> {
        Some(f(state()))
    }

    /// This thread's block.
    #[inline(always)]
    fn state() -> &'static ThreadState {
        let address: usize;
        // SAFETY: reads the block's offset from the thread pointer (the GOT entry the loader
        // filled in) and the thread pointer itself (at %fs:0 on x86-64 Linux); writes only
        // the output register and flags.
        unsafe {
            std::arch::asm!(
                "mov {address}, qword ptr [rip + oxprof_heap_thread_state@GOTTPOFF]",
                "add {address}, qword ptr fs:[0]",
                address = out(reg) address,
                options(pure, readonly, nostack),
            );
        }
        // SAFETY: the address is this thread's zero-initialised block of a `ThreadState`'s
        // size and alignment, valid while the thread runs. The reference never leaves the
        // thread: `ThreadState` holds `Cell`s, so it is not `Sync` and `with` hands it only
        // to a closure run here.
        unsafe { &*(address as *const ThreadState) }
    }
}
