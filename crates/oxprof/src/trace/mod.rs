//! The execution tracer, Go's `runtime/trace`: what happened when, on every thread. Profiles
//! say where time went in aggregate; a trace says when: which thread ran which region of which
//! task, where it waited and who let it go, what the CPU profiler sampled at each instant.
//! `oxprof trace FILE` shows it on a timeline and analyses it; it also converts it for
//! Perfetto and Chrome.
//!
//! - Recording: [`start`] and [`stop`] stream a trace to a writer; a [`FlightRecorder`] keeps
//!   the last seconds in memory for writing out on demand.
//! - User annotations, with Go's shapes: tasks ([`new_task`], [`Task`]) whose ids cross
//!   threads and `.await`s, regions ([`with_region`], [`start_region`]) nested on a thread,
//!   and logs ([`log`], [`logf`]).
//! - `tracing`'s spans and events, with `TraceLayer` (feature `tracing`): a span is a task and
//!   each entry into it (each poll of an async span) a region; events are logs.
//! - Recorded by themselves while tracing: every wait on an [`oxprof::sync`](crate::sync)
//!   primitive, with its stack, and for locks and condition variables the release that ended
//!   it (a flow from the thread that unlocked to the thread that waited); CPU profile samples
//!   while a [CPU profile](crate::cpu) runs; threads' CPU time, resident memory and live heap
//!   bytes every 100 ms.
//!
//! Threads record into buffers of their own without locks; about every second the
//! collector thread ends a *generation*, gathers the buffers, adds the string, stack and
//! symbol tables, and writes it whole, so a trace cut short (the process killed) loses at most
//! its last second. The format is `oxprof_trace`'s.
//!
//! ```
//! use oxprof::trace;
//!
//! let path = std::env::temp_dir().join(format!("oxprof-doc-{}.trace", std::process::id()));
//! trace::start(std::fs::File::create(&path)?)?;
//! let request = trace::new_task(None, "request");
//! request.in_scope(|| {
//!     trace::with_region("parse", || trace::log("input", "42 bytes"));
//! });
//! request.end();
//! trace::stop()?;
//!
//! let parsed = oxprof_trace::parse(&std::fs::read(&path)?).expect("a trace");
//! assert!(parsed.events.iter().any(|e| matches!(e.kind, oxprof_trace::EventKind::Log { .. })));
//! # std::fs::remove_file(&path)?;
//! # Ok::<(), std::io::Error>(())
//! ```

mod annotations;
mod buffer;
mod collector;
mod counters;
mod fence;
mod flight;
pub(crate) mod hooks;
#[cfg(feature = "tracing")]
mod layer;
mod symbols;

use std::io::{self, Write};

pub use annotations::{
    current_task, log, logf, new_task, start_region, with_region, Entered, InTask, Region, Task,
    TaskId,
};
pub use flight::FlightRecorder;
#[cfg(feature = "tracing")]
pub use layer::TraceLayer;

/// Starts tracing into `w`, Go's `trace.Start`: the header now, then each generation as it
/// ends, written by oxprof's collector thread. Fails with `tracing is already enabled` while
/// a trace started this way runs (a [`FlightRecorder`] may run alongside), or with the error
/// of writing the header.
///
/// ```no_run
/// oxprof::trace::start(std::fs::File::create("app.trace")?)?;
/// // ... the work to trace ...
/// oxprof::trace::stop()?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn start(w: impl Write + Send + 'static) -> io::Result<()> {
    collector::attach_writer(Box::new(w))
}

/// Stops the trace [`start`] began: writes the generation under way, flushes the writer and
/// lets it go, then returns the first error writing met (writing stops at an error). Does
/// nothing when no such trace runs.
///
/// ```
/// oxprof::trace::stop()?; // nothing running: nothing to do
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn stop() -> io::Result<()> {
    collector::detach_writer()
}

/// In a child just forked from a tracing process: the collector thread stayed in the parent,
/// so nothing would ever empty the child's buffers; the child stops recording.
pub(crate) fn forget_in_child() {
    buffer::GENERATION.store(0, std::sync::atomic::Ordering::SeqCst);
}

/// Whether events are being recorded (by [`start`] or a [`FlightRecorder`]): one relaxed
/// load, for skipping work that only feeds the trace. Go's `trace.IsEnabled`.
///
/// ```
/// if oxprof::trace::is_enabled() {
///     oxprof::trace::log("debug", &format!("state: {:?}", (1, 2)));
/// }
/// ```
#[inline]
pub fn is_enabled() -> bool {
    buffer::enabled()
}
