//! The profiling signal handler never allocates and never takes a lock.
//!
//! A signal can land while the interrupted thread holds the allocator's lock, a mutex, or the
//! dynamic loader's lock; a handler that then allocates or locks deadlocks or corrupts the heap,
//! and only rarely. So this binary watches every way in: a counting global allocator, and its
//! own definitions of `malloc`, `calloc`, `realloc`, `free`, `posix_memalign`,
//! `pthread_mutex_lock`, `pthread_mutex_trylock`, `pthread_rwlock_rdlock`,
//! `pthread_rwlock_wrlock`, `dl_iterate_phdr` and (x86_64) `syscall`, through which Rust's futex
//! based `Mutex`, `Once` and thread parking wait. Definitions in the executable take precedence
//! over libc's, so every call from Rust code and every interposable call from C libraries comes
//! here first; each counts whether it was made inside oxprof's handler and forwards to libc.
//! Then allocation-heavy, lock-heavy work on four threads is profiled at 1000 Hz, in CPU and in
//! wall-clock mode, and dumped with `oxprof::threads` (whose handler unwinds every thread it
//! signals), and every in-handler count must stay zero.

#![cfg(all(target_os = "linux", target_env = "gnu"))]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::mpsc;
use std::time::Duration;

use oxprof::cpu::{Mode, Profiler};
use oxprof::Profile;

#[path = "fixtures/workload.rs"]
mod workload;

/// Forwards to the system allocator, counting every call made inside the handler.
struct CountingAllocator;

// SAFETY: every method forwards to `System` with the caller's arguments unchanged; counting only
// touches atomics and a const thread-local, neither of which allocates.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        watch::count(watch::Call::RustHeap);
        // SAFETY: forwarded from the caller's contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        watch::count(watch::Call::RustHeap);
        // SAFETY: forwarded from the caller's contract.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        watch::count(watch::Call::RustHeap);
        // SAFETY: forwarded from the caller's contract.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        watch::count(watch::Call::RustHeap);
        // SAFETY: forwarded from the caller's contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Per-call counters, inside and outside the handler.
mod watch {
    use std::sync::atomic::{AtomicU64, Ordering};

    /// What a counter watches.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Call {
        /// Rust's global allocator (alloc, dealloc, realloc).
        RustHeap,
        Malloc,
        Calloc,
        Realloc,
        Free,
        PosixMemalign,
        MutexLock,
        MutexTrylock,
        RwlockRdlock,
        RwlockWrlock,
        DlIteratePhdr,
        /// `syscall(SYS_futex, ...)`: how std's locks, `Once` and parking wait.
        Futex,
        /// Any other `syscall(...)`: allowed, reported.
        OtherSyscall,
        /// `gettid`: async-signal-safe and allowed; seeing it inside the handler proves the
        /// in-handler flag is visible to these counters.
        Gettid,
    }

    pub const ALL: [Call; 14] = [
        Call::RustHeap,
        Call::Malloc,
        Call::Calloc,
        Call::Realloc,
        Call::Free,
        Call::PosixMemalign,
        Call::MutexLock,
        Call::MutexTrylock,
        Call::RwlockRdlock,
        Call::RwlockWrlock,
        Call::DlIteratePhdr,
        Call::Futex,
        Call::OtherSyscall,
        Call::Gettid,
    ];

    impl Call {
        /// Whether a call inside the handler breaks its contract.
        pub fn forbidden_in_handler(self) -> bool {
            !matches!(self, Call::OtherSyscall | Call::Gettid)
        }
    }

    static INSIDE: [AtomicU64; ALL.len()] = [const { AtomicU64::new(0) }; ALL.len()];
    static OUTSIDE: [AtomicU64; ALL.len()] = [const { AtomicU64::new(0) }; ALL.len()];

    /// Counts one call, inside or outside the handler.
    #[inline(always)]
    pub fn count(call: Call) {
        let counters = if oxprof::cpu::in_signal_handler() {
            &INSIDE
        } else {
            &OUTSIDE
        };
        counters[call as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Calls counted so far: (outside, inside).
    pub fn counts(call: Call) -> (u64, u64) {
        (
            OUTSIDE[call as usize].load(Ordering::Relaxed),
            INSIDE[call as usize].load(Ordering::Relaxed),
        )
    }

    /// Every counter, for before/after comparisons.
    pub fn snapshot() -> Vec<(Call, u64, u64)> {
        ALL.iter()
            .map(|&call| {
                let (outside, inside) = counts(call);
                (call, outside, inside)
            })
            .collect()
    }
}

/// The interposed libc functions. Each is defined in this executable, counts, and forwards to
/// libc: the allocator through glibc's exported `__libc_*` entry points (looking `malloc` up with
/// `dlsym` could itself allocate), the rest through `dlsym(RTLD_NEXT, ...)`, resolved by
/// [`resolve_all`] before any profile starts.
mod interpose {
    use std::ffi::{c_int, c_long, c_void, CStr};
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::watch::{count, Call};

    extern "C" {
        fn __libc_malloc(size: usize) -> *mut c_void;
        fn __libc_calloc(n: usize, size: usize) -> *mut c_void;
        fn __libc_realloc(ptr: *mut c_void, size: usize) -> *mut c_void;
        fn __libc_free(ptr: *mut c_void);
        fn __libc_memalign(align: usize, size: usize) -> *mut c_void;
    }

    /// One libc function found with `dlsym(RTLD_NEXT, name)`.
    struct Next {
        name: &'static CStr,
        address: AtomicUsize,
    }

    impl Next {
        const fn new(name: &'static CStr) -> Next {
            Next {
                name,
                address: AtomicUsize::new(0),
            }
        }

        /// The real function's address; looked up on first use if [`resolve_all`] has not run.
        fn get(&self) -> usize {
            let mut address = self.address.load(Ordering::Acquire);
            if address == 0 {
                // SAFETY: `name` is a NUL-terminated symbol name; RTLD_NEXT searches the objects
                // loaded after this executable, i.e. libc.
                address = unsafe { libc::dlsym(libc::RTLD_NEXT, self.name.as_ptr()) } as usize;
                assert_ne!(
                    address, 0,
                    "dlsym(RTLD_NEXT, {:?}) found nothing",
                    self.name
                );
                self.address.store(address, Ordering::Release);
            }
            address
        }
    }

    static MUTEX_LOCK: Next = Next::new(c"pthread_mutex_lock");
    static MUTEX_TRYLOCK: Next = Next::new(c"pthread_mutex_trylock");
    static RWLOCK_RDLOCK: Next = Next::new(c"pthread_rwlock_rdlock");
    static RWLOCK_WRLOCK: Next = Next::new(c"pthread_rwlock_wrlock");
    static DL_ITERATE_PHDR: Next = Next::new(c"dl_iterate_phdr");
    static GETTID: Next = Next::new(c"gettid");
    #[cfg(target_arch = "x86_64")]
    static SYSCALL: Next = Next::new(c"syscall");

    /// Looks every forwarded function up now, so no lookup happens while a profile runs.
    pub fn resolve_all() {
        for next in [
            &MUTEX_LOCK,
            &MUTEX_TRYLOCK,
            &RWLOCK_RDLOCK,
            &RWLOCK_WRLOCK,
            &DL_ITERATE_PHDR,
            &GETTID,
            #[cfg(target_arch = "x86_64")]
            &SYSCALL,
        ] {
            next.get();
        }
    }

    /// Whether `name` resolves, for every object in the process, to this executable's
    /// definition: then even calls from C libraries are watched, not only calls from Rust code.
    pub fn exported(name: &CStr, ours: usize) -> bool {
        // SAFETY: `name` is a NUL-terminated symbol name.
        unsafe { libc::dlsym(libc::RTLD_DEFAULT, name.as_ptr()) as usize == ours }
    }

    /// The addresses of this executable's definitions, by name.
    pub fn ours() -> [(&'static CStr, usize); 11] {
        [
            (c"malloc", malloc as *const () as usize),
            (c"calloc", calloc as *const () as usize),
            (c"realloc", realloc as *const () as usize),
            (c"free", free as *const () as usize),
            (c"posix_memalign", posix_memalign as *const () as usize),
            (
                c"pthread_mutex_lock",
                pthread_mutex_lock as *const () as usize,
            ),
            (
                c"pthread_mutex_trylock",
                pthread_mutex_trylock as *const () as usize,
            ),
            (
                c"pthread_rwlock_rdlock",
                pthread_rwlock_rdlock as *const () as usize,
            ),
            (
                c"pthread_rwlock_wrlock",
                pthread_rwlock_wrlock as *const () as usize,
            ),
            (c"dl_iterate_phdr", dl_iterate_phdr as *const () as usize),
            (c"gettid", gettid as *const () as usize),
        ]
    }

    /// # Safety
    /// As libc's `malloc`.
    #[no_mangle]
    pub unsafe extern "C" fn malloc(size: usize) -> *mut c_void {
        count(Call::Malloc);
        // SAFETY: same contract as the function being defined.
        unsafe { __libc_malloc(size) }
    }

    /// # Safety
    /// As libc's `calloc`.
    #[no_mangle]
    pub unsafe extern "C" fn calloc(n: usize, size: usize) -> *mut c_void {
        count(Call::Calloc);
        // SAFETY: same contract as the function being defined.
        unsafe { __libc_calloc(n, size) }
    }

    /// # Safety
    /// As libc's `realloc`.
    #[no_mangle]
    pub unsafe extern "C" fn realloc(ptr: *mut c_void, size: usize) -> *mut c_void {
        count(Call::Realloc);
        // SAFETY: same contract as the function being defined.
        unsafe { __libc_realloc(ptr, size) }
    }

    /// # Safety
    /// As libc's `free`.
    #[no_mangle]
    pub unsafe extern "C" fn free(ptr: *mut c_void) {
        count(Call::Free);
        // SAFETY: same contract as the function being defined.
        unsafe { __libc_free(ptr) }
    }

    /// Rust's `System` allocator takes this path for over-aligned layouts.
    ///
    /// # Safety
    /// As libc's `posix_memalign`.
    #[no_mangle]
    pub unsafe extern "C" fn posix_memalign(
        out: *mut *mut c_void,
        align: usize,
        size: usize,
    ) -> c_int {
        count(Call::PosixMemalign);
        if !align.is_power_of_two() || !align.is_multiple_of(std::mem::size_of::<usize>()) {
            return libc::EINVAL;
        }
        // SAFETY: `align` is a power of two multiple of the pointer size, as memalign needs.
        let p = unsafe { __libc_memalign(align, size) };
        if p.is_null() {
            return libc::ENOMEM;
        }
        // SAFETY: the caller passes a valid `out`, as posix_memalign requires.
        unsafe { *out = p };
        0
    }

    /// # Safety
    /// As libc's `pthread_mutex_lock`.
    #[no_mangle]
    pub unsafe extern "C" fn pthread_mutex_lock(m: *mut libc::pthread_mutex_t) -> c_int {
        count(Call::MutexLock);
        // SAFETY: the address is libc's pthread_mutex_lock, which has this signature.
        let real: unsafe extern "C" fn(*mut libc::pthread_mutex_t) -> c_int =
            unsafe { std::mem::transmute(MUTEX_LOCK.get()) };
        // SAFETY: forwarded from the caller's contract.
        unsafe { real(m) }
    }

    /// # Safety
    /// As libc's `pthread_mutex_trylock`.
    #[no_mangle]
    pub unsafe extern "C" fn pthread_mutex_trylock(m: *mut libc::pthread_mutex_t) -> c_int {
        count(Call::MutexTrylock);
        // SAFETY: the address is libc's pthread_mutex_trylock, which has this signature.
        let real: unsafe extern "C" fn(*mut libc::pthread_mutex_t) -> c_int =
            unsafe { std::mem::transmute(MUTEX_TRYLOCK.get()) };
        // SAFETY: forwarded from the caller's contract.
        unsafe { real(m) }
    }

    /// # Safety
    /// As libc's `pthread_rwlock_rdlock`.
    #[no_mangle]
    pub unsafe extern "C" fn pthread_rwlock_rdlock(l: *mut libc::pthread_rwlock_t) -> c_int {
        count(Call::RwlockRdlock);
        // SAFETY: the address is libc's pthread_rwlock_rdlock, which has this signature.
        let real: unsafe extern "C" fn(*mut libc::pthread_rwlock_t) -> c_int =
            unsafe { std::mem::transmute(RWLOCK_RDLOCK.get()) };
        // SAFETY: forwarded from the caller's contract.
        unsafe { real(l) }
    }

    /// # Safety
    /// As libc's `pthread_rwlock_wrlock`.
    #[no_mangle]
    pub unsafe extern "C" fn pthread_rwlock_wrlock(l: *mut libc::pthread_rwlock_t) -> c_int {
        count(Call::RwlockWrlock);
        // SAFETY: the address is libc's pthread_rwlock_wrlock, which has this signature.
        let real: unsafe extern "C" fn(*mut libc::pthread_rwlock_t) -> c_int =
            unsafe { std::mem::transmute(RWLOCK_WRLOCK.get()) };
        // SAFETY: forwarded from the caller's contract.
        unsafe { real(l) }
    }

    /// The callback type `dl_iterate_phdr` takes.
    pub type PhdrCallback =
        Option<unsafe extern "C" fn(*mut libc::dl_phdr_info, usize, *mut c_void) -> c_int>;

    /// # Safety
    /// As libc's `dl_iterate_phdr`.
    #[no_mangle]
    pub unsafe extern "C" fn dl_iterate_phdr(callback: PhdrCallback, data: *mut c_void) -> c_int {
        count(Call::DlIteratePhdr);
        // SAFETY: the address is libc's dl_iterate_phdr, which has this signature.
        let real: unsafe extern "C" fn(PhdrCallback, *mut c_void) -> c_int =
            unsafe { std::mem::transmute(DL_ITERATE_PHDR.get()) };
        // SAFETY: forwarded from the caller's contract.
        unsafe { real(callback, data) }
    }

    /// # Safety
    /// None beyond libc's: `gettid` has no preconditions.
    #[no_mangle]
    pub unsafe extern "C" fn gettid() -> libc::pid_t {
        count(Call::Gettid);
        // SAFETY: the address is libc's gettid, which has this signature.
        let real: unsafe extern "C" fn() -> libc::pid_t =
            unsafe { std::mem::transmute(GETTID.get()) };
        // SAFETY: gettid has no preconditions.
        unsafe { real() }
    }

    /// libc's `syscall` is variadic; on x86_64 System V a variadic callee receives its
    /// arguments in the same registers (and the seventh on the stack) as this fixed-arity
    /// definition, so it sees every call, including std's `syscall(SYS_futex, ...)`. Arguments
    /// a caller did not pass are garbage and are forwarded unread by the kernel.
    ///
    /// # Safety
    /// As libc's `syscall`.
    #[cfg(target_arch = "x86_64")]
    #[no_mangle]
    pub unsafe extern "C" fn syscall(
        number: c_long,
        a1: c_long,
        a2: c_long,
        a3: c_long,
        a4: c_long,
        a5: c_long,
        a6: c_long,
    ) -> c_long {
        count(if number == libc::SYS_futex {
            Call::Futex
        } else {
            Call::OtherSyscall
        });
        // SAFETY: the address is libc's syscall, which is variadic with this leading argument.
        let real: unsafe extern "C" fn(c_long, ...) -> c_long =
            unsafe { std::mem::transmute(SYSCALL.get()) };
        // SAFETY: forwarded from the caller's contract with the same six argument words.
        unsafe { real(number, a1, a2, a3, a4, a5, a6) }
    }

    /// Calls the watched pthread and loader functions once each, outside any handler.
    pub fn exercise_locks_and_loader() {
        let mut mutex = libc::PTHREAD_MUTEX_INITIALIZER;
        let mut rwlock = libc::PTHREAD_RWLOCK_INITIALIZER;
        unsafe extern "C" fn visit(_: *mut libc::dl_phdr_info, _: usize, _: *mut c_void) -> c_int {
            0
        }
        // SAFETY: both locks are statically initialised locals, each locked then unlocked by
        // this thread; `visit` matches dl_iterate_phdr's callback type and ignores its data.
        unsafe {
            libc::pthread_mutex_lock(&mut mutex);
            libc::pthread_mutex_unlock(&mut mutex);
            assert_eq!(libc::pthread_mutex_trylock(&mut mutex), 0);
            libc::pthread_mutex_unlock(&mut mutex);
            libc::pthread_rwlock_rdlock(&mut rwlock);
            libc::pthread_rwlock_unlock(&mut rwlock);
            libc::pthread_rwlock_wrlock(&mut rwlock);
            libc::pthread_rwlock_unlock(&mut rwlock);
            libc::dl_iterate_phdr(Some(visit), std::ptr::null_mut());
            libc::gettid();
        }
    }

    /// A name for messages.
    pub fn name_of(name: &CStr) -> &str {
        name.to_str().unwrap_or("?")
    }
}

/// Aborts the process if the test has not finished in time: a handler that takes a lock the
/// interrupted thread holds hangs rather than fails.
struct Watchdog {
    _done: mpsc::Sender<()>,
}

impl Watchdog {
    fn start(limit: Duration) -> Watchdog {
        let (done, wait) = mpsc::channel::<()>();
        std::thread::spawn(move || {
            if let Err(mpsc::RecvTimeoutError::Timeout) = wait.recv_timeout(limit) {
                eprintln!(
                    "handler_safety: not finished after {} s: the profiler deadlocked \
                     (a handler waiting on a lock?); counts so far: {:?}",
                    limit.as_secs(),
                    watch::snapshot()
                );
                std::process::abort();
            }
        });
        Watchdog { _done: done }
    }
}

/// Every watched call is really routed through this binary: calls made now, outside any
/// handler, show up in the outside counters.
fn assert_detectors_are_live() {
    let before = watch::snapshot();
    interpose::exercise_locks_and_loader();
    // Rust's allocator goes through `malloc`/`free`; std's thread parking (and contention on a
    // std Mutex) through `syscall(SYS_futex, ...)`.
    std::thread::park_timeout(Duration::from_millis(1));
    run_workload(Duration::from_millis(200));
    let after = watch::snapshot();
    for ((call, outside_before, _), (_, outside_after, _)) in before.iter().zip(&after) {
        use watch::Call::*;
        let required = match call {
            Calloc | Realloc | PosixMemalign | OtherSyscall => false,
            Futex => cfg!(target_arch = "x86_64"),
            _ => true,
        };
        if required {
            assert!(
                outside_after > outside_before,
                "{call:?} is not interposed: no calls counted while exercising it"
            );
        }
    }
    for (name, ours) in interpose::ours() {
        println!(
            "{:<22} {}",
            interpose::name_of(name),
            if interpose::exported(name, ours) {
                "interposed process-wide"
            } else {
                "interposed for Rust code only"
            }
        );
    }
}

/// Runs the allocation-heavy workload on four threads for `run`; returns the rounds done.
fn run_workload(run: Duration) -> u64 {
    let workers = workload::Workers::start(4, |_| {});
    std::thread::sleep(run);
    workers.stop()
}

/// Samples in a profile, the lost-samples sample included, and how many of them carry a stack
/// of at least `depth` frames.
fn sample_counts(profile: &Profile, depth: usize) -> (i64, i64) {
    let total = profile.sample.iter().map(|s| s.value[0]).sum();
    let deep = profile
        .sample
        .iter()
        .filter(|s| s.location_id.len() >= depth)
        .map(|s| s.value[0])
        .sum();
    (total, deep)
}

/// Profiles the workload for `seconds` in `mode` and returns the profile.
fn profile_workload(mode: Mode, process_timer: bool, run: Duration) -> Profile {
    let profiler = Profiler::builder()
        .frequency(1000)
        .mode(mode)
        .process_timer(process_timer)
        .symbolize(false)
        .start()
        .expect("starting the profiler");
    let rounds = run_workload(run);
    let profile = profiler.stop().expect("stopping the profiler");
    let (samples, deep) = sample_counts(&profile, 4);
    for comment in &profile.comments {
        println!("profile comment: {comment}");
    }
    println!(
        "{mode:?}{} for {} ms: {rounds} rounds of work, {samples} samples, {deep} of them with 4+ frames",
        if process_timer { " (process timer)" } else { "" },
        run.as_millis()
    );
    profile
}

/// Dumps every thread `dumps` times while the workload runs; returns the threads dumped and how
/// many of them had stacks of 4 or more frames.
fn dump_workload(dumps: usize) -> (i64, i64) {
    let workers = workload::Workers::start(4, |_| {});
    let (mut threads, mut deep) = (0, 0);
    for _ in 0..dumps {
        let profile = oxprof::threads::profile().expect("a thread dump");
        let (n, d) = sample_counts(&profile, 4);
        threads += n;
        deep += d;
    }
    let rounds = workers.stop();
    println!("{dumps} thread dumps: {rounds} rounds of work, {threads} threads, {deep} of them with 4+ frames");
    (threads, deep)
}

#[test]
fn the_signal_handler_never_allocates_or_locks() {
    let _watchdog = Watchdog::start(Duration::from_secs(60));
    interpose::resolve_all();
    assert_detectors_are_live();

    let start = watch::snapshot();
    let cpu = profile_workload(Mode::Cpu, false, Duration::from_millis(3000));
    let wall = profile_workload(Mode::Wall, false, Duration::from_millis(3000));
    let gettid_before = watch::counts(watch::Call::Gettid).1;
    // The process-timer path asks the kernel for the thread id from inside the handler, an
    // allowed call that shows the counters see the handler's calls at all.
    profile_workload(Mode::Cpu, true, Duration::from_millis(500));
    let gettid_in_handler = watch::counts(watch::Call::Gettid).1 - gettid_before;
    let dumps = dump_workload(8);
    let end = watch::snapshot();

    println!("{:<16} {:>12} {:>14}", "call", "outside", "inside handler");
    let mut violations = Vec::new();
    for ((call, outside_start, inside_start), (_, outside_end, inside_end)) in
        start.iter().zip(&end)
    {
        let inside = inside_end - inside_start;
        println!(
            "{:<16} {:>12} {:>14}",
            format!("{call:?}"),
            outside_end - outside_start,
            inside
        );
        if call.forbidden_in_handler() && inside > 0 {
            violations.push(format!("{call:?}: {inside}"));
        }
    }
    println!("in_signal_handler seen true by gettid: {gettid_in_handler} times");

    for (name, profile) in [("cpu", &cpu), ("wall", &wall)] {
        let (samples, deep) = sample_counts(profile, 4);
        assert!(
            samples >= 300,
            "{name} profile: only {samples} samples at 1000 Hz on 4 busy threads: did the handler run?"
        );
        assert!(
            deep * 2 >= samples,
            "{name} profile: only {deep} of {samples} samples have 4 or more frames: \
             a handler that does not unwind proves nothing"
        );
    }
    let (threads, deep) = dumps;
    assert!(
        deep * 2 >= threads,
        "thread dumps: only {deep} of {threads} threads have 4 or more frames"
    );
    assert!(
        violations.is_empty(),
        "the signal handler allocated or locked: {}",
        violations.join(", ")
    );
}
