//! `liboxprof_preload.so`: oxprof's profilers for programs that were not built with them.
//! `oxprof record` and `cargo oxprof` put it in a program's `LD_PRELOAD` with the settings in
//! environment variables ([`oxprof::session::Settings`]); it then does what `go test
//! -cpuprofile -memprofile` does for a Go program:
//!
//! - when the program loads, it starts an [`oxprof::session`]: the CPU profile (or wall-clock)
//!   at once, on every thread;
//! - it interposes `malloc`, `calloc`, `realloc`, `free`, `posix_memalign`, `aligned_alloc`,
//!   `memalign`, `valloc`, `pvalloc` and `reallocarray` ([`malloc`](mod@malloc)), which Rust's
//!   `System` allocator, C and C++ all go through, and feeds them to the heap profiler
//!   ([`oxprof::heap::hooks`]);
//! - it interposes `pthread_mutex_lock` ([`mutex`]) so that waits for a pthread mutex (C, C++'s
//!   `std::mutex`) make the block profile;
//! - with `OXPROF_TRACE`, it records an execution trace ([`oxprof::trace`]) into that file
//!   while the program runs: its threads, waits, CPU samples when the CPU profile runs too;
//! - the session writes every profile when the program ends, and each child the program forks
//!   writes its own `<file>.<pid>`.
//!
//! There is no profiling logic here: this crate is the glue between the C ABI and the `oxprof`
//! crate's engine. The real allocator is found with `dlsym(RTLD_NEXT)` ([`next`]); allocations
//! made while it is being looked up come from a small static arena.
//!
//! Without settings in its environment the library only forwards: nothing is started, no
//! allocation is recorded.
//!
//! ```sh
//! OXPROF_CPUPROFILE=/tmp/cpu.out LD_PRELOAD=liboxprof_preload.so ./program
//! ```

mod bootstrap;
pub mod malloc;
pub mod mutex;
mod next;
mod version;

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

use oxprof::session::{self, Settings};

/// Whether allocations are recorded for the heap profile.
static HEAP: AtomicBool = AtomicBool::new(false);
/// Whether pthread mutex waits are recorded for the block profile.
static BLOCK: AtomicBool = AtomicBool::new(false);

/// Runs when the loader has loaded the program and this library, before the program's own
/// initialisers and `main`.
#[used]
#[link_section = ".init_array"]
static INIT: extern "C" fn() = init;

extern "C" fn init() {
    // Looked up now, while the process has one thread, rather than on some thread's first
    // allocation.
    next::resolve();
    if let Some(expected) = std::env::var_os(session::VERSION_VAR) {
        if expected != session::VERSION {
            complain(&format!(
                "liboxprof_preload.so is version {} but the oxprof that injected it is version \
                 {}: nothing is profiled (install both from the same source)",
                session::VERSION,
                expected.to_string_lossy()
            ));
            return;
        }
    }
    let settings = match Settings::from_env() {
        Ok(settings) if settings.any() => settings,
        Ok(_) => return,
        Err(e) => return complain(&format!("{e}: nothing is profiled")),
    };
    let heap = settings.mem_profile.is_some();
    let block = settings.block_profile.is_some();
    if let Err(e) = session::start(settings) {
        return complain(&e.to_string());
    }
    // Only the profiles are written: exact counts would cost every free a thread-local read,
    // and a free's size is unknown here anyway.
    oxprof::heap::hooks::set_exact_counts(false);
    HEAP.store(heap, Ordering::Release);
    BLOCK.store(block, Ordering::Release);
}

/// One line on standard error, written at once so lines of processes ending together stay
/// whole.
fn complain(message: &str) {
    let _ = std::io::stderr().write_all(format!("oxprof: {message}\n").as_bytes());
}
