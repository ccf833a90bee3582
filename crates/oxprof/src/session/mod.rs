//! Profiles of a whole run, as `go test -cpuprofile cpu.out -memprofile mem.out` takes them:
//! started at once, and written when the process ends, however it ends short of a crash: a
//! return from `main`, `exit()`, or `SIGINT`/`SIGTERM` (when the program has no handler of its
//! own for them: the profiles are written, then the signal takes its default course). A child
//! the program forks goes on profiling itself and writes `<file>.<pid>`.
//!
//! This is the engine `oxprof record` and `cargo oxprof` inject into unmodified programs
//! (`oxprof-preload` starts a session from [`Settings::from_env`] when the program loads); a
//! program can run one for itself as well:
//!
//! ```no_run
//! #[global_allocator]
//! static ALLOC: oxprof::heap::Profiled = oxprof::heap::Profiled::system();
//!
//! fn main() -> std::io::Result<()> {
//!     oxprof::session::start(oxprof::session::Settings {
//!         cpu_profile: Some("cpu.out".into()),
//!         mem_profile: Some("mem.out".into()),
//!         ..Default::default()
//!     })?;
//!     // ... the program; the profiles are written when it ends ...
//!     Ok(())
//! }
//! ```
//!
//! An execution trace (`Settings::trace`, feature `trace`) is the exception: it is streamed to
//! its file while the process runs and finished when it ends; a child forked without `exec`
//! records none (the tracer's thread stays in the parent), one that runs `exec` traces itself
//! into `<file>.<pid>`.
//!
//! Profile files are written whole or not at all: each goes to a temporary name beside its path and is
//! renamed into place, so a crash while writing leaves no torn profile.

mod ending;
mod fork;
mod settings;

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

pub use settings::{Settings, ENV_VARS, VERSION, VERSION_VAR};

use crate::cpu::{Mode, Profiler};

/// The session of this process, while one runs.
struct Running {
    settings: Settings,
    cpu: Option<Profiler>,
    /// Whether this process writes `<file>.<pid>`: it is not the process the launcher started.
    child: bool,
    /// Where this process's trace is being written, while one is.
    trace: Option<PathBuf>,
}

static RUNNING: Mutex<Option<Running>> = Mutex::new(None);

fn running() -> MutexGuard<'static, Option<Running>> {
    RUNNING.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Starts the profiles `settings` asks for, to be written when the process ends (or at
/// [`finish`]). One session runs per process at a time.
///
/// A heap profile needs the allocations to be seen: [`heap::Profiled`](crate::heap::Profiled)
/// as the global allocator, or [`heap::hooks`](crate::heap::hooks) called by an allocator.
///
/// ```no_run
/// use oxprof::session::{self, Settings};
/// session::start(Settings { cpu_profile: Some("cpu.out".into()), ..Default::default() })?;
/// let again = session::start(Settings::default()).unwrap_err();
/// assert_eq!(again.to_string(), "a profiling session is already running");
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn start(settings: Settings) -> io::Result<()> {
    let mut slot = running();
    if slot.is_some() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "a profiling session is already running",
        ));
    }
    if let Some(rate) = settings.mem_profile_rate {
        crate::heap::set_sample_rate(rate);
    }
    // The heap's fork handlers go first, so that this session's run before them at a fork
    // (prepare handlers run in the reverse order): see `fork`.
    crate::heap::register_fork_handlers();
    if settings.mem_profile.is_some() {
        crate::heap::prepare_sampling();
    }
    if settings.block_profile.is_some() {
        crate::block::set_rate(1);
    }
    // SAFETY: getppid has no preconditions.
    let parent = unsafe { libc::getppid() } as u32;
    let child = settings.launcher_pid.is_some_and(|pid| pid != parent);
    // The trace first, so that it has the CPU profile's first samples.
    let trace = match &settings.trace {
        Some(path) => Some(start_trace(&destination(path, child))?),
        None => None,
    };
    let cpu = match settings.cpu_profile {
        Some(_) => match start_cpu(&settings) {
            Ok(cpu) => Some(cpu),
            Err(e) => {
                if trace.is_some() {
                    let _ = stop_trace();
                }
                return Err(e);
            }
        },
        None => None,
    };
    *slot = Some(Running {
        settings,
        cpu,
        child,
        trace,
    });
    drop(slot);
    fork::register();
    ending::register()
}

/// Where this process writes the file asked for at `path`: `<path>.<pid>` in a child.
fn destination(path: &Path, child: bool) -> PathBuf {
    match child {
        true => {
            let mut name = path.as_os_str().to_owned();
            name.push(format!(".{}", std::process::id()));
            PathBuf::from(name)
        }
        false => path.to_owned(),
    }
}

/// Starts tracing into `path` (streamed: a trace is written as it goes, and a trace cut
/// short still reads up to its last whole generation).
#[cfg(feature = "trace")]
fn start_trace(path: &Path) -> io::Result<PathBuf> {
    let file = File::create(path)
        .map_err(|e| io::Error::new(e.kind(), format!("cannot create {}: {e}", path.display())))?;
    crate::trace::start(BufWriter::new(file))
        .map_err(|e| io::Error::new(e.kind(), format!("cannot start the trace: {e}")))?;
    Ok(path.to_owned())
}

#[cfg(not(feature = "trace"))]
fn start_trace(_path: &Path) -> io::Result<PathBuf> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "an execution trace needs oxprof's trace feature",
    ))
}

/// Writes the trace's last generation and closes its file.
fn stop_trace() -> io::Result<()> {
    #[cfg(feature = "trace")]
    crate::trace::stop()?;
    Ok(())
}

fn start_cpu(settings: &Settings) -> io::Result<Profiler> {
    let mode = if settings.wall { Mode::Wall } else { Mode::Cpu };
    Profiler::builder()
        .frequency(settings.cpu_rate)
        .mode(mode)
        .start()
        .map_err(|e| io::Error::other(format!("cannot start the cpu profile: {e}")))
}

/// Ends the session now and writes its profiles; returns each file written, or why it could
/// not be. Does nothing (an empty list) when no session runs. What the end of the process
/// does by itself.
///
/// ```no_run
/// for written in oxprof::session::finish() {
///     match written {
///         Ok(path) => println!("wrote {}", path.display()),
///         Err(e) => eprintln!("{e}"),
///     }
/// }
/// ```
pub fn finish() -> Vec<io::Result<PathBuf>> {
    // Held while writing: an `exit` on another thread meanwhile waits here rather than end the
    // process under the writer.
    let mut slot = running();
    match slot.take() {
        Some(running) => crate::heap::hooks::untracked(|| write_all(running)),
        None => Vec::new(),
    }
}

/// [`finish`], with every error printed on standard error: for the ends of the process, where
/// no caller is left to tell.
fn finish_and_report() {
    for written in finish() {
        if let Err(e) = written {
            // One write: lines from several processes ending at once stay whole.
            let _ = io::stderr().write_all(format!("oxprof: {e}\n").as_bytes());
        }
    }
}

fn write_all(running: Running) -> Vec<io::Result<PathBuf>> {
    let Running {
        settings,
        cpu,
        child,
        trace,
    } = running;
    let destination = |path: &Path| destination(path, child);
    let mut results = Vec::new();
    if let Some(path) = &settings.cpu_profile {
        results.push(write_file(&destination(path), |w| match cpu {
            Some(profiler) => profiler.stop().map_err(io::Error::other)?.write_to(w),
            None => Err(io::Error::other(
                "the cpu profile did not start in this process",
            )),
        }));
    }
    if let Some(path) = &settings.mem_profile {
        results.push(write_file(&destination(path), |w| {
            crate::heap::write_allocs(w)
        }));
    }
    if let Some(path) = &settings.block_profile {
        results.push(write_file(&destination(path), |w| {
            crate::block::profile()?.write_to(w)
        }));
    }
    // Last: the CPU profile has stopped, so the trace has all of its samples.
    if let Some(path) = trace {
        results.push(stop_trace().map(|()| path.clone()).map_err(|e| {
            io::Error::new(e.kind(), format!("cannot write {}: {e}", path.display()))
        }));
    }
    results
}

/// Writes `path` whole or not at all: to a temporary file beside it, renamed into place.
fn write_file(
    path: &Path,
    body: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<PathBuf> {
    let name = path
        .file_name()
        .unwrap_or(path.as_os_str())
        .to_string_lossy();
    let temporary = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let written = File::create(&temporary).and_then(|file| {
        let mut w = BufWriter::new(file);
        body(&mut w)?;
        w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        std::fs::rename(&temporary, path)
    });
    match written {
        Ok(()) => Ok(path.to_owned()),
        Err(e) => {
            let _ = std::fs::remove_file(&temporary);
            Err(io::Error::new(
                e.kind(),
                format!("cannot write {}: {e}", path.display()),
            ))
        }
    }
}

/// In a child just forked, after the locks are released (see `fork`): it writes files of its
/// own, and profiles itself from now on with a CPU profile of its own (the parent's sampler
/// thread and timers are not inherited, so the parent's profile is forgotten, not stopped).
fn restart_in_child() {
    let mut slot = running();
    let Some(running) = slot.as_mut() else {
        return;
    };
    running.child = true;
    std::mem::forget(running.cpu.take());
    // The tracer's thread stayed in the parent, and its file is the parent's: the child
    // records nothing (a child that runs `exec` traces itself anew).
    if running.trace.take().is_some() {
        #[cfg(feature = "trace")]
        crate::trace::forget_in_child();
    }
    if running.settings.cpu_profile.is_some() {
        running.cpu = start_cpu(&running.settings)
            .map_err(|e| eprintln!("oxprof: in child {}: {e}", std::process::id()))
            .ok();
    }
    drop(slot);
    if let Err(e) = ending::after_fork_in_child() {
        eprintln!(
            "oxprof: in child {}: SIGINT and SIGTERM will not write profiles: {e}",
            std::process::id()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_written_whole_or_not_at_all() {
        let dir = std::env::temp_dir().join(format!("oxprof-session-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good.out");
        assert_eq!(
            write_file(&good, |w| w.write_all(b"profile")).unwrap(),
            good
        );
        assert_eq!(std::fs::read(&good).unwrap(), b"profile");

        let bad = dir.join("bad.out");
        let err = write_file(&bad, |w| {
            w.write_all(b"half")?;
            Err(io::Error::other("the profile failed"))
        })
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("cannot write {}: the profile failed", bad.display())
        );
        assert!(!bad.exists());
        let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert_eq!(left.len(), 1, "no temporary file stays: {left:?}");

        let nowhere = dir.join("missing-dir/x.out");
        let err = write_file(&nowhere, |w| w.write_all(b"x")).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
