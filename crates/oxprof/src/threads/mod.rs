//! Thread dumps, Go's `goroutine` profile for threads: what every thread of the process is
//! doing right now, with its stack, its name, its scheduler state, the kernel function it waits
//! in, and its [labels](crate::labels).
//!
//! ```no_run
//! // Go's three forms: profile.proto, counted text, and one block per thread.
//! oxprof::threads::dump(0, std::fs::File::create("threads.pprof")?)?;
//! oxprof::threads::dump(2, std::io::stderr())?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! With the `tokio-taskdump` feature, and built with `RUSTFLAGS="--cfg tokio_unstable"` as
//! tokio's own task dumps need, `dump_tasks`, `write_tasks` and `tasks_profile` do the same for
//! the tasks of a tokio runtime: where each idle task waits, from tokio's `Handle::dump`.
//!
//! # How stacks are taken
//!
//! Each thread is sent a real-time signal ([`signal_number`]); its handler unwinds the
//! interrupted thread in place, with the same signal-safe DWARF unwinder as the CPU profiler,
//! into a slot set aside for it, and records the thread's label set. The calling thread unwinds
//! its own stack. Threads are read from `/proc/self/task` first, so a thread's state is the one
//! it was in before the signal woke it. The dump waits at most [`ANSWER_TIMEOUT`] for the
//! answers; a thread that gives none is listed as not answering, with the reason when it is
//! known beforehand: its signal mask blocks the dump signal, or it is stopped. One dump runs at
//! a time; concurrent calls wait their turn.
//!
//! The signal interrupts system calls. Those `SA_RESTART` restarts (reads, writes, futex waits,
//! most blocking calls) carry on unnoticed; `nanosleep`, `epoll_wait`, `poll` and a few others
//! return `EINTR`, which std and tokio retry but hand-written code may not. The handler needs
//! about 20 KiB of the thread's stack.

mod collect;
mod full_text;
mod proc_info;
mod report;
mod signal;
#[cfg(all(feature = "tokio-taskdump", tokio_unstable))]
mod tasks;

use std::io::{self, Write};
use std::time::Duration;

use oxprof_profile::Profile;

pub(crate) use proc_info::{read_name, stat_state};
#[cfg(all(feature = "tokio-taskdump", tokio_unstable))]
pub use tasks::{dump_tasks, tasks_profile, write_tasks};

/// How long a dump waits for threads to answer its signal before listing the rest as not
/// answering. Only a thread that cannot take the signal costs this wait: answers come in
/// microseconds.
///
/// ```
/// assert_eq!(oxprof::threads::ANSWER_TIMEOUT.as_millis(), 500);
/// ```
pub const ANSWER_TIMEOUT: Duration = Duration::from_millis(500);

/// The real-time signal a dump sends to every thread: `SIGRTMIN + 5`. A program that blocks
/// signals in its threads can leave this one open to have them in dumps. One that uses this
/// signal itself keeps it: signals that are not a dump's go on to the handler installed before
/// oxprof's (installed at the first dump). A handler installed after that without passing
/// foreign signals on leaves every other thread not answering.
///
/// ```
/// assert_eq!(oxprof::threads::signal_number(), libc::SIGRTMIN() + 5);
/// ```
pub fn signal_number() -> i32 {
    signal::signal_number()
}

/// Writes a dump of every thread to `w` in one of Go's three forms of the goroutine profile:
///
/// - `debug = 0`: gzipped `profile.proto`, sample type `goroutine/count`, one sample per
///   distinct stack and label set, counting the threads that share it, symbolized.
/// - `debug = 1`: Go's counted text, `goroutine profile: total N`, then each distinct stack
///   with its count, return addresses, labels and frames (`go tool pprof` reads it too).
/// - `debug = 2` (and above): one block per thread, as Go's full goroutine dump: thread id,
///   name, state and wait channel, labels, then its frames.
///
/// Threads that did not answer appear with the one frame `oxprof::threads::not_answering` in
/// the first two forms (and in the comments of the first), and with the reason in the third.
///
/// ```
/// let mut text = Vec::new();
/// oxprof::threads::dump(2, &mut text)?;
/// let text = String::from_utf8(text).unwrap();
/// assert!(text.starts_with("thread "), "{text}");
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn dump(debug: u8, mut w: impl Write) -> io::Result<()> {
    let dump = collect::take(ANSWER_TIMEOUT)?;
    let per_thread = report::per_thread(&dump, GOROUTINE);
    match debug {
        0 => report::aggregated(per_thread).write_to(w),
        1 => crate::count_profile::write_text(&report::aggregated(per_thread), w),
        _ => w.write_all(full_text::render(&dump, &per_thread).as_bytes()),
    }
}

/// A dump as a profile: what [`dump`] writes with `debug = 0`.
///
/// ```
/// let profile = oxprof::threads::profile()?;
/// assert_eq!(profile.sample_type[0].ty, "goroutine");
/// let threads: i64 = profile.sample.iter().map(|s| s.value[0]).sum();
/// assert!(threads >= 1);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn profile() -> io::Result<Profile> {
    let dump = collect::take(ANSWER_TIMEOUT)?;
    Ok(report::aggregated(report::per_thread(&dump, GOROUTINE)))
}

/// The `threadcreate` profile: the live threads, counted by how each started (see
/// [`report::by_start`]). Takes a dump.
pub(crate) fn creation_profile() -> io::Result<Profile> {
    let dump = collect::take(ANSWER_TIMEOUT)?;
    Ok(report::by_start(report::per_thread(&dump, THREADCREATE)))
}

/// The number of threads of the process now.
pub(crate) fn count() -> usize {
    collect::thread_count()
}

/// The sample type of thread dumps, Go's, so tools treat them as goroutine profiles.
const GOROUTINE: &str = "goroutine";
/// The sample type of the profile of thread starts.
const THREADCREATE: &str = "threadcreate";

/// The one frame of threads that gave no stack, as Go's `lostProfileEvent` stands for lost
/// samples: a real function, so every tool that reads addresses shows it by name.
#[inline(never)]
fn not_answering() -> u64 {
    std::hint::black_box(0x6e6f_745f_616e_7377)
}
