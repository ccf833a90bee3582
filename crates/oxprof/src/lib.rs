//! oxprof's runtime: the profiles Go programs get from `runtime/pprof`, for any Rust program on
//! Linux, written as real `profile.proto` so `oxprof`, `go tool pprof` and every pprof-speaking
//! tool read them.
//!
//! - [`cpu`]: CPU profiles from per-thread CPU-time timers, and a wall-clock mode that also sees
//!   threads while they sleep or block.
//! - [`labels`]: key/value labels that follow work across threads and `.await`, attached to
//!   every sample taken while they are set.
//! - [`block`] and [`mutex`]: where threads wait and which critical sections make them wait,
//!   recorded by the drop-in primitives of [`sync`].
//! - [`threads`]: thread dumps, Go's goroutine profile: every thread's stack, state and labels.
//! - [`custom`]: profiles a program defines for its own resources, as Go's `pprof.NewProfile`.
//! - [`profiles`]: every named profile (heap, allocs, block, mutex, goroutine, threadcreate,
//!   custom ones) found by name and written in any of Go's forms.
//! - `http` (feature `http`): Go's live `/debug/pprof` endpoints, on a thread of their own or
//!   mounted in an axum (feature `axum`), hyper or tower server.
//! - `trace` (feature `trace`): the execution tracer, Go's `runtime/trace`: tasks, regions,
//!   logs, waits and who ended them, on a timeline per thread.
//! - [`session`]: profiles of a whole run, written when the process ends (what `oxprof record`
//!   injects into unmodified programs).
//! - `continuous` (feature `continuous`): an agent that pushes CPU, heap, block and mutex
//!   profiles every period to `oxprof serve` or Grafana Pyroscope.
//!
//! ```no_run
//! let profiler = oxprof::cpu::Profiler::builder().frequency(100).start()?;
//! // ... the work to profile ...
//! let profile = profiler.stop()?;
//! profile.write_to(std::fs::File::create("cpu.pprof")?)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

#[cfg(not(target_os = "linux"))]
compile_error!("oxprof's runtime profilers support Linux only");

pub mod block;
mod clock;
mod contention;
#[cfg(feature = "continuous")]
pub mod continuous;
mod count_profile;
pub mod cpu;
pub mod custom;
mod go_text;
pub mod heap;
#[cfg(feature = "http")]
pub mod http;
mod internal_thread;
pub mod labels;
pub mod mutex;
mod profile_build;
pub mod profiles;
mod random;
pub mod session;
mod signals;
pub mod sync;
pub mod threads;
#[cfg(feature = "trace")]
pub mod trace;
mod trace_hooks;
mod unwind;

pub use oxprof_profile::Profile;
