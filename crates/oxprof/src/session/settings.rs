//! [`Settings`]: what a whole-run session records and where, and their form as environment
//! variables, the contract between `oxprof record` (which sets them) and `oxprof-preload`
//! (which reads them in the program it profiles).

use std::ffi::OsString;
use std::io;
use std::path::PathBuf;

const CPU_PROFILE: &str = "OXPROF_CPUPROFILE";
const MEM_PROFILE: &str = "OXPROF_MEMPROFILE";
const BLOCK_PROFILE: &str = "OXPROF_BLOCKPROFILE";
const TRACE: &str = "OXPROF_TRACE";
const WALL: &str = "OXPROF_WALL";
const CPU_RATE: &str = "OXPROF_RATE";
const MEM_PROFILE_RATE: &str = "OXPROF_MEMPROFILERATE";
const LAUNCHER_PID: &str = "OXPROF_LAUNCHER_PID";

/// The version of this engine, which a launcher and the preload library it injects must
/// share: the environment variables above are their contract.
///
/// ```
/// assert!(!oxprof::session::VERSION.is_empty());
/// ```
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The variable in which a launcher says which [`VERSION`] it expects the injected library to
/// have; a library of another version refuses to start rather than misread the settings.
///
/// ```
/// assert_eq!(oxprof::session::VERSION_VAR, "OXPROF_VERSION");
/// ```
pub const VERSION_VAR: &str = "OXPROF_VERSION";

/// Every environment variable [`Settings`] reads and writes.
///
/// ```
/// assert!(oxprof::session::ENV_VARS.contains(&"OXPROF_CPUPROFILE"));
/// ```
pub const ENV_VARS: [&str; 8] = [
    CPU_PROFILE,
    MEM_PROFILE,
    BLOCK_PROFILE,
    TRACE,
    WALL,
    CPU_RATE,
    MEM_PROFILE_RATE,
    LAUNCHER_PID,
];

/// What a session records, as `go test`'s profile flags say it: each profile requested by
/// naming its file.
///
/// ```
/// let settings = oxprof::session::Settings {
///     cpu_profile: Some("cpu.out".into()),
///     mem_profile: Some("mem.out".into()),
///     ..Default::default()
/// };
/// assert!(settings.any());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Where the CPU profile goes (`-cpuprofile`); none is taken without it.
    pub cpu_profile: Option<PathBuf>,
    /// Where the heap profile goes (`-memprofile`): Go's `allocs` profile, everything
    /// allocated during the run by allocation site (`alloc_space` first), with what was still
    /// in use at the end (`inuse_space`).
    pub mem_profile: Option<PathBuf>,
    /// Where the block profile goes (`-blockprofile`), every recorded wait (rate 1).
    pub block_profile: Option<PathBuf>,
    /// Where the execution trace goes (`-trace`, [`oxprof::trace`](crate::trace) with the
    /// `trace` feature): streamed while the process runs, a generation about every second, the
    /// last one written when it ends. A trace is one process's: each process writes its own.
    pub trace: Option<PathBuf>,
    /// Wall-clock time instead of CPU time in the CPU profile (`-wall`).
    pub wall: bool,
    /// CPU samples per second of each thread, 1 to 5000 (default 100).
    pub cpu_rate: u32,
    /// Mean bytes between sampled allocations (`-memprofilerate`; default Go's 512 KiB).
    pub mem_profile_rate: Option<usize>,
    /// The process that launched the program, for naming files: a process whose parent it is
    /// not (a child the program forked or spawned) writes `<file>.<pid>` instead of `<file>`.
    pub launcher_pid: Option<u32>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            cpu_profile: None,
            mem_profile: None,
            block_profile: None,
            trace: None,
            wall: false,
            cpu_rate: 100,
            mem_profile_rate: None,
            launcher_pid: None,
        }
    }
}

impl Settings {
    /// Whether any profile (or a trace) is requested.
    ///
    /// ```
    /// assert!(!oxprof::session::Settings::default().any());
    /// ```
    pub fn any(&self) -> bool {
        self.cpu_profile.is_some()
            || self.mem_profile.is_some()
            || self.block_profile.is_some()
            || self.trace.is_some()
    }

    /// The settings the environment gives (every variable of [`ENV_VARS`] that is set and not
    /// empty). A malformed value is an error naming the variable.
    ///
    /// ```
    /// let settings = oxprof::session::Settings::from_env()?;
    /// # let _ = settings;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn from_env() -> io::Result<Settings> {
        Settings::from_vars(|name| std::env::var_os(name))
    }

    /// The settings `var` gives for each name of [`ENV_VARS`], as [`from_env`](Self::from_env)
    /// reads them from the environment.
    ///
    /// ```
    /// use oxprof::session::Settings;
    /// let settings = Settings::from_vars(|name| match name {
    ///     "OXPROF_CPUPROFILE" => Some("/tmp/cpu.out".into()),
    ///     "OXPROF_RATE" => Some("250".into()),
    ///     _ => None,
    /// })?;
    /// assert_eq!(settings.cpu_rate, 250);
    /// let err = Settings::from_vars(|name| (name == "OXPROF_RATE").then(|| "fast".into()));
    /// assert_eq!(
    ///     err.unwrap_err().to_string(),
    ///     "OXPROF_RATE=fast: not a sampling rate from 1 to 5000 (samples per second)"
    /// );
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn from_vars(var: impl Fn(&str) -> Option<OsString>) -> io::Result<Settings> {
        let get = |name: &str| var(name).filter(|v| !v.is_empty());
        let number = |name: &str, what: &str, valid: &dyn Fn(u64) -> bool| {
            get(name)
                .map(|value| {
                    value
                        .to_str()
                        .and_then(|s| s.parse::<u64>().ok())
                        .filter(|n| valid(*n))
                        .ok_or_else(|| {
                            io::Error::new(
                                io::ErrorKind::InvalidInput,
                                format!("{name}={}: not {what}", value.to_string_lossy()),
                            )
                        })
                })
                .transpose()
        };
        let defaults = Settings::default();
        Ok(Settings {
            cpu_profile: get(CPU_PROFILE).map(PathBuf::from),
            mem_profile: get(MEM_PROFILE).map(PathBuf::from),
            block_profile: get(BLOCK_PROFILE).map(PathBuf::from),
            trace: get(TRACE).map(PathBuf::from),
            wall: number(WALL, "0 or 1", &|n| n <= 1)? == Some(1),
            cpu_rate: number(
                CPU_RATE,
                "a sampling rate from 1 to 5000 (samples per second)",
                &|n| (1..=5000).contains(&n),
            )?
            .map_or(defaults.cpu_rate, |n| n as u32),
            mem_profile_rate: number(
                MEM_PROFILE_RATE,
                "a number of bytes from 1 up (mean bytes between sampled allocations)",
                &|n| n >= 1 && usize::try_from(n).is_ok(),
            )?
            .map(|n| n as usize),
            launcher_pid: number(LAUNCHER_PID, "a process id", &|n| {
                (1..=i32::MAX as u64).contains(&n)
            })?
            .map(|n| n as u32),
        })
    }

    /// The environment variables that give these settings to a program (for
    /// [`from_env`](Self::from_env) in it), defaults left out.
    ///
    /// ```
    /// use oxprof::session::Settings;
    /// let settings = Settings { cpu_profile: Some("/tmp/cpu.out".into()), wall: true, ..Default::default() };
    /// let vars = settings.to_env();
    /// assert_eq!(vars, [("OXPROF_CPUPROFILE", "/tmp/cpu.out".into()), ("OXPROF_WALL", "1".into())]);
    /// let back = Settings::from_vars(|name| {
    ///     vars.iter().find(|(n, _)| *n == name).map(|(_, v)| v.clone())
    /// })?;
    /// assert_eq!(back, settings);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn to_env(&self) -> Vec<(&'static str, OsString)> {
        let mut vars = Vec::new();
        let paths = [
            (CPU_PROFILE, &self.cpu_profile),
            (MEM_PROFILE, &self.mem_profile),
            (BLOCK_PROFILE, &self.block_profile),
            (TRACE, &self.trace),
        ];
        for (name, path) in paths {
            if let Some(path) = path {
                vars.push((name, path.clone().into_os_string()));
            }
        }
        if self.wall {
            vars.push((WALL, "1".into()));
        }
        if self.cpu_rate != Settings::default().cpu_rate {
            vars.push((CPU_RATE, self.cpu_rate.to_string().into()));
        }
        if let Some(rate) = self.mem_profile_rate {
            vars.push((MEM_PROFILE_RATE, rate.to_string().into()));
        }
        if let Some(pid) = self.launcher_pid {
            vars.push((LAUNCHER_PID, pid.to_string().into()));
        }
        vars
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(pairs: &[(&str, &str)]) -> io::Result<Settings> {
        Settings::from_vars(|name| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).into())
        })
    }

    #[test]
    fn every_setting_round_trips_through_the_environment() {
        let settings = Settings {
            cpu_profile: Some("/a/cpu.out".into()),
            mem_profile: Some("mem.out".into()),
            block_profile: Some("/b/block.out".into()),
            trace: Some("/c/app.trace".into()),
            wall: true,
            cpu_rate: 997,
            mem_profile_rate: Some(4096),
            launcher_pid: Some(4242),
        };
        let vars = settings.to_env();
        assert_eq!(vars.len(), ENV_VARS.len());
        let back = Settings::from_vars(|name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.clone())
        })
        .unwrap();
        assert_eq!(back, settings);
    }

    #[test]
    fn empty_variables_are_unset() {
        let settings = from(&[(CPU_PROFILE, ""), (CPU_RATE, "")]).unwrap();
        assert_eq!(settings, Settings::default());
        assert!(!settings.any());
    }

    #[test]
    fn malformed_values_name_their_variable() {
        for (name, value, message) in [
            (
                CPU_RATE,
                "0",
                "OXPROF_RATE=0: not a sampling rate from 1 to 5000",
            ),
            (CPU_RATE, "5001", "OXPROF_RATE=5001: not a sampling rate"),
            (WALL, "yes", "OXPROF_WALL=yes: not 0 or 1"),
            (
                MEM_PROFILE_RATE,
                "0",
                "OXPROF_MEMPROFILERATE=0: not a number of bytes",
            ),
            (
                MEM_PROFILE_RATE,
                "-5",
                "OXPROF_MEMPROFILERATE=-5: not a number of bytes",
            ),
            (LAUNCHER_PID, "0", "OXPROF_LAUNCHER_PID=0: not a process id"),
        ] {
            let err = from(&[(name, value)]).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
            assert!(err.to_string().starts_with(message), "{err}");
        }
    }
}
