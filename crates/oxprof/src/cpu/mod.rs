//! CPU and wall-clock profiles of the whole process, as Go's `pprof.StartCPUProfile` gives Go
//! programs.
//!
//! Every thread, including threads started after the profile, gets a timer on its own CPU-time
//! clock (`timer_create` with `SIGEV_THREAD_ID`), so busy multi-threaded programs are sampled in
//! full; where the kernel refuses, the process-wide `setitimer` is the fallback and the profile's
//! comments say so. The signal handler unwinds the interrupted thread with DWARF call-frame
//! information, so release builds without frame pointers give complete stacks, and it never
//! allocates or locks. The profile has Go's sample types (`samples/count`, `cpu/nanoseconds`),
//! mappings with build ids, and symbolized locations with inline chains.
//!
//! ```no_run
//! let profiler = oxprof::cpu::Profiler::builder().frequency(100).start()?;
//! // ... the work to profile ...
//! let profile = profiler.stop()?;
//! profile.write_to(std::fs::File::create("cpu.pprof")?)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Go's pair works too:
//!
//! ```no_run
//! oxprof::cpu::start(std::fs::File::create("cpu.pprof")?)?;
//! // ... the work to profile ...
//! oxprof::cpu::stop()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod aggregate;
mod armed;
mod assemble;
mod error;
mod profiler;
mod ring;
mod sampler;
mod signal;
mod threads;
mod timers;

use std::io::Write;
use std::sync::Mutex;

pub use error::Error;
pub(crate) use profiler::after_fork_in_child;
pub use profiler::{Builder, Mode, Profiler, LOST_SAMPLES_FRAME, TRUNCATED_FRAME};

/// The profile started by [`start`], with where [`stop`] writes it.
type GoStyle = (Profiler, Box<dyn Write + Send>);

static GO_STYLE: Mutex<Option<GoStyle>> = Mutex::new(None);

/// Starts a CPU profile at 100 Hz that [`stop`] writes to `w` as gzipped `profile.proto`,
/// like Go's `pprof.StartCPUProfile`.
///
/// Fails with `cpu profiling already in use` while another CPU profile runs.
///
/// ```no_run
/// oxprof::cpu::start(std::fs::File::create("cpu.pprof")?)?;
/// // ... the work to profile ...
/// oxprof::cpu::stop()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn start(w: impl Write + Send + 'static) -> Result<(), Error> {
    let profiler = Profiler::builder().start()?;
    *GO_STYLE.lock().unwrap_or_else(|e| e.into_inner()) = Some((profiler, Box::new(w)));
    Ok(())
}

/// Stops the profile [`start`] began and writes it; returns once the whole profile is written.
/// Does nothing when no such profile runs, like Go's `pprof.StopCPUProfile`.
///
/// ```no_run
/// oxprof::cpu::stop()?; // nothing running: nothing to do
/// # Ok::<(), oxprof::cpu::Error>(())
/// ```
pub fn stop() -> Result<(), Error> {
    let running = GO_STYLE.lock().unwrap_or_else(|e| e.into_inner()).take();
    let Some((profiler, mut w)) = running else {
        return Ok(());
    };
    let profile = profiler.stop()?;
    profile
        .write_to(&mut w)
        .and_then(|()| w.flush())
        .map_err(Error::io("writing the profile"))
}

/// Whether the calling thread is running oxprof's profiling-signal handler right now. Tests use
/// it to check that the handler never allocates or locks; it is not part of the stable API.
#[doc(hidden)]
pub fn in_signal_handler() -> bool {
    crate::signals::in_handler()
}
