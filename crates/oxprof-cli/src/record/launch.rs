//! Running a program under the preload library and finding the profiles it left: each
//! requested file, and `<file>.<pid>` from every child process that wrote its own.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::time::SystemTime;

use anyhow::{Context, Result};
use oxprof::session::{Settings, VERSION, VERSION_VAR};

use super::signals::Forwarding;

/// The kinds of profile, in the order they are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Kind {
    Cpu,
    Heap,
    Block,
    /// An execution trace: one process's, never merged.
    Trace,
}

impl Kind {
    pub(crate) const ALL: [Kind; 4] = [Kind::Cpu, Kind::Heap, Kind::Block, Kind::Trace];

    /// The profile's name in messages.
    pub(crate) fn describe(self, wall: bool) -> &'static str {
        match self {
            Kind::Cpu if wall => "wall-clock profile",
            Kind::Cpu => "CPU profile",
            Kind::Heap => "heap profile",
            Kind::Block => "block profile",
            Kind::Trace => "execution trace",
        }
    }

    /// Where the settings send this kind, if it is requested.
    pub(crate) fn path(self, settings: &Settings) -> Option<&Path> {
        match self {
            Kind::Cpu => settings.cpu_profile.as_deref(),
            Kind::Heap => settings.mem_profile.as_deref(),
            Kind::Block => settings.block_profile.as_deref(),
            Kind::Trace => settings.trace.as_deref(),
        }
    }

    /// The settings' path for this kind, to change it.
    pub(crate) fn path_mut(self, settings: &mut Settings) -> &mut Option<PathBuf> {
        match self {
            Kind::Cpu => &mut settings.cpu_profile,
            Kind::Heap => &mut settings.mem_profile,
            Kind::Block => &mut settings.block_profile,
            Kind::Trace => &mut settings.trace,
        }
    }

    /// The command that opens a file of this kind.
    pub(crate) fn viewer(self) -> &'static str {
        match self {
            Kind::Trace => "oxprof trace",
            _ => "oxprof -top",
        }
    }
}

/// A profile a recorded process wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Written {
    pub(crate) kind: Kind,
    pub(crate) path: PathBuf,
    /// The child process that wrote it (`<file>.<pid>`); `None` for the program itself.
    pub(crate) child: Option<u32>,
}

/// Programs run under the preload with the same settings.
pub(crate) struct Recorder {
    library: PathBuf,
    settings: Settings,
}

impl Recorder {
    /// `settings` with its paths absolute (the program may change directory).
    pub(crate) fn new(library: PathBuf, mut settings: Settings) -> Result<Recorder> {
        for kind in Kind::ALL {
            if let Some(path) = kind.path_mut(&mut settings) {
                *path = std::path::absolute(&*path)
                    .with_context(|| format!("{}: cannot make it absolute", path.display()))?;
            }
        }
        // The preload compares it with each process's parent to tell the program from the
        // children it starts.
        settings.launcher_pid = Some(std::process::id());
        Ok(Recorder { library, settings })
    }

    pub(crate) fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Runs `command` under the preload until it ends, passing `SIGINT`, `SIGTERM` and
    /// `SIGHUP` on to it, and returns how it ended with the profiles it and its children wrote.
    pub(crate) fn run(&self, command: &mut Command) -> Result<(ExitStatus, Vec<Written>)> {
        let before = self.existing();
        let mut preload = OsString::from(&self.library);
        if let Some(other) = std::env::var_os("LD_PRELOAD").filter(|p| !p.is_empty()) {
            preload.push(" ");
            preload.push(other);
        }
        command
            .env("LD_PRELOAD", preload)
            .env(VERSION_VAR, VERSION)
            .envs(self.settings.to_env());
        let forwarding = Forwarding::install();
        let mut child = command
            .spawn()
            .with_context(|| format!("cannot run {:?}", command.get_program()))?;
        forwarding.target(child.id());
        let status = child.wait().context("waiting for the program")?;
        drop(forwarding);
        let after = self.existing();
        let written = after
            .into_iter()
            .filter(|(key, modified)| before.get(key) != Some(modified))
            .map(|((kind, path, child), _)| Written { kind, path, child })
            .collect();
        Ok((status, written))
    }

    /// Every profile file there is now, with its modification time: each requested path and
    /// each `<path>.<pid>` beside it.
    fn existing(&self) -> BTreeMap<(Kind, PathBuf, Option<u32>), SystemTime> {
        let mut found = BTreeMap::new();
        for kind in Kind::ALL {
            let Some(path) = kind.path(&self.settings) else {
                continue;
            };
            let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
                continue;
            };
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            let name = name.to_string_lossy();
            for entry in entries.flatten() {
                let file = entry.file_name();
                let file = file.to_string_lossy();
                let child = match file.strip_prefix(&*name) {
                    Some("") => None,
                    Some(rest) => match rest.strip_prefix('.').and_then(|p| p.parse().ok()) {
                        Some(pid) => Some(pid),
                        None => continue,
                    },
                    None => continue,
                };
                if let Ok(modified) = entry.metadata().and_then(|m| m.modified()) {
                    found.insert((kind, entry.path(), child), modified);
                }
            }
        }
        found
    }
}
