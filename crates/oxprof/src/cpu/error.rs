//! Why a CPU profile could not start or be written.

use std::fmt;
use std::io;

/// Why a CPU profile could not start, stop or be written.
///
/// ```
/// let err = oxprof::cpu::Profiler::builder().frequency(0).start().unwrap_err();
/// assert_eq!(err.to_string(), "cpu profile frequency must be 1 to 5000 Hz, got 0");
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// Another CPU (or wall-clock) profile is running in this process. Its text is Go's:
    /// `cpu profiling already in use`.
    AlreadyInUse,
    /// The sampling frequency is outside 1–5000 Hz.
    InvalidFrequency(u32),
    /// The stack depth is outside 1–4096 frames.
    InvalidDepth(usize),
    /// The operating system refused something the profiler needs (installing the signal
    /// handler, creating a timer, starting a thread), or writing the profile failed.
    Io {
        /// What the profiler was doing.
        context: &'static str,
        /// The error the system reported.
        source: io::Error,
    },
}

impl Error {
    pub(crate) fn io(context: &'static str) -> impl FnOnce(io::Error) -> Error {
        move |source| Error::Io { context, source }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::AlreadyInUse => f.write_str("cpu profiling already in use"),
            Error::InvalidFrequency(hz) => {
                write!(f, "cpu profile frequency must be 1 to 5000 Hz, got {hz}")
            }
            Error::InvalidDepth(depth) => {
                write!(
                    f,
                    "cpu profile stack depth must be 1 to 4096 frames, got {depth}"
                )
            }
            Error::Io { context, source } => write!(f, "cpu profile: {context}: {source}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
