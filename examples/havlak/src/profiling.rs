//! The profiles and the trace the flags ask for: started before the work, written after it, as
//! Go's `pprof.StartCPUProfile`, `trace.Start` and `pprof.WriteHeapProfile` bracket a
//! program's `main`.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::flags::Options;

/// The profiles being taken, each with the file it goes to (created at the start, so a path
/// that cannot be written fails before the work).
pub struct Profiling {
    cpu: Option<(oxprof::cpu::Profiler, File, PathBuf)>,
    heap: Mutex<Option<(File, PathBuf)>>,
    block: Option<(File, PathBuf)>,
    trace: Option<PathBuf>,
}

impl Profiling {
    /// Sets the sampling rates and starts the CPU profile. Without `-memprofile` nothing is
    /// sampled: the allocator only counts, so timings are not paid for a profile not asked for.
    pub fn start(options: &Options) -> Result<Profiling, String> {
        let heap = options.mem_profile.as_deref().map(create).transpose()?;
        oxprof::heap::set_sample_rate(if heap.is_some() {
            options.mem_profile_rate
        } else {
            0
        });
        let block = options.block_profile.as_deref().map(create).transpose()?;
        if block.is_some() {
            oxprof::block::set_rate(options.block_profile_rate);
        }
        if let Some(path) = options.trace.as_deref() {
            let (file, _) = create(path)?;
            oxprof::trace::start(file).map_err(|e| format!("cannot start the trace: {e}"))?;
        }
        let cpu = match options.cpu_profile.as_deref() {
            Some(path) => {
                let (file, path) = create(path)?;
                let profiler = oxprof::cpu::Profiler::builder()
                    .frequency(options.cpu_profile_rate)
                    .start()
                    .map_err(|e| format!("cannot start the CPU profile: {e}"))?;
                Some((profiler, file, path))
            }
            None => None,
        };
        Ok(Profiling {
            cpu,
            heap: Mutex::new(heap),
            block,
            trace: options.trace.clone(),
        })
    }

    /// Writes the heap profile, if asked for: call it while the program holds what it keeps,
    /// as the in-use figures are those of the moment. A second call writes nothing.
    pub fn write_heap_profile(&self) -> Result<(), String> {
        let taken = self.heap.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some((file, path)) = taken {
            let profile = oxprof::heap::profile().map_err(|e| written(&path, e))?;
            profile.write_to(file).map_err(|e| written(&path, e))?;
        }
        Ok(())
    }

    /// Stops the CPU profile and the trace, and writes the CPU and block profiles.
    pub fn finish(self) -> Result<(), String> {
        if let Some(path) = &self.trace {
            oxprof::trace::stop().map_err(|e| written(path, e))?;
        }
        if let Some((profiler, file, path)) = self.cpu {
            let profile = profiler
                .stop()
                .map_err(|e| format!("cannot stop the CPU profile: {e}"))?;
            profile.write_to(file).map_err(|e| written(&path, e))?;
        }
        if let Some((file, path)) = self.block {
            let profile = oxprof::block::profile().map_err(|e| written(&path, e))?;
            profile.write_to(file).map_err(|e| written(&path, e))?;
        }
        Ok(())
    }
}

fn create(path: &Path) -> Result<(File, PathBuf), String> {
    let file = File::create(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    Ok((file, path.to_path_buf()))
}

fn written(path: &Path, e: impl std::fmt::Display) -> String {
    format!("cannot write {}: {e}", path.display())
}
