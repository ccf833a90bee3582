//! The profile flags: each profile covers the whole run, started before the first benchmark and
//! written after the last, as `go test` does.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::flags::Config;

/// The profiles a run is recording, and where they go.
pub(crate) struct Profiles {
    cpu: Option<PathBuf>,
    mem: Option<PathBuf>,
    block: Option<PathBuf>,
    mutex: Option<PathBuf>,
    trace: Option<PathBuf>,
}

/// Sets the sampling rates and starts the CPU profile. Errors are one line.
pub(crate) fn start(config: &Config) -> Result<Profiles, String> {
    let path = |p: &Option<PathBuf>| p.as_ref().map(|p| config.output_path(p));
    let profiles = Profiles {
        cpu: path(&config.cpuprofile),
        mem: path(&config.memprofile),
        block: path(&config.blockprofile),
        mutex: path(&config.mutexprofile),
        trace: path(&config.trace),
    };
    if config.memprofilerate > 0 {
        oxprof::heap::set_sample_rate(config.memprofilerate as usize);
    }
    if profiles.mem.is_some() && !oxprof::heap::is_installed() {
        return Err("-memprofile needs oxprof::heap::Profiled as the global allocator (oxprof_bench::main! installs it)".into());
    }
    if profiles.block.is_some() && config.blockprofilerate >= 0 {
        oxprof::block::set_rate(config.blockprofilerate as u64);
    }
    if profiles.mutex.is_some() && config.mutexprofilefraction >= 0 {
        oxprof::mutex::set_fraction(config.mutexprofilefraction as u64);
    }
    if let Some(path) = &profiles.cpu {
        let file = create(path)?;
        oxprof::cpu::start(BufWriter::new(file))
            .map_err(|e| format!("can't start cpu profile: {e}"))?;
    }
    if let Some(path) = &profiles.trace {
        let file = create(path)?;
        oxprof::trace::start(BufWriter::new(file))
            .map_err(|e| format!("can't start tracing: {e}"))?;
    }
    Ok(profiles)
}

impl Profiles {
    /// Stops the trace and the CPU profile and writes every profile. Errors are one line.
    pub(crate) fn finish(self) -> Result<(), String> {
        if let Some(path) = &self.trace {
            oxprof::trace::stop().map_err(|e| cant_write(path, e))?;
        }
        if let Some(path) = &self.cpu {
            oxprof::cpu::stop().map_err(|e| cant_write(path, e))?;
        }
        if let Some(path) = &self.mem {
            write(path, |w| oxprof::heap::write_allocs(w))?;
        }
        if let Some(path) = &self.block {
            write(path, |w| oxprof::block::profile()?.write_to(w))?;
        }
        if let Some(path) = &self.mutex {
            write(path, |w| oxprof::mutex::profile()?.write_to(w))?;
        }
        Ok(())
    }
}

fn create(path: &Path) -> Result<File, String> {
    File::create(path).map_err(|e| format!("can't create {}: {e}", path.display()))
}

fn write(path: &Path, body: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<(), String> {
    let mut w = BufWriter::new(create(path)?);
    body(&mut w)
        .and_then(|()| w.flush())
        .map_err(|e| cant_write(path, e))
}

fn cant_write(path: &Path, e: impl std::fmt::Display) -> String {
    format!("can't write {}: {e}", path.display())
}
