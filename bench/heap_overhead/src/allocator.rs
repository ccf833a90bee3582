//! The global allocator of this build (one per cargo feature) and what its profiler has to
//! say after a run.

use std::time::Duration;

#[cfg(feature = "oxprof")]
#[global_allocator]
static ALLOC: oxprof::heap::Profiled = oxprof::heap::Profiled::system();

#[cfg(feature = "dhat")]
#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

/// The allocator this binary was built with, as the `MODE`s it can run.
pub const MODES: &[&str] = if cfg!(feature = "oxprof") {
    &["oxprof", "counting"]
} else if cfg!(feature = "dhat") {
    &["dhat"]
} else {
    &["system"]
};

/// What a profiler recorded, for the sanity columns of the table.
#[derive(Default)]
pub struct Recorded {
    /// Allocations the profiler counted over the run (oxprof's exact counters).
    pub allocs: u64,
    /// Bytes those allocations asked for.
    pub bytes: u64,
    /// Stack samples (buckets) in the profile built afterwards.
    pub samples: usize,
    /// Time to build that profile, symbolization included.
    pub build: Duration,
    /// The profiler's own tables, as it reports them.
    pub memory: usize,
    /// Sampled allocations the profile says it dropped for lack of table space.
    pub dropped: u64,
}

/// A profiler running for the duration of one run.
pub struct Session {
    #[cfg(feature = "dhat")]
    _dhat: dhat::Profiler,
    #[cfg(feature = "oxprof")]
    before: oxprof::heap::Counts,
}

impl Session {
    /// Starts profiling as `mode` asks; fails for a mode this build cannot run.
    pub fn start(mode: &str) -> Result<Session, String> {
        if !MODES.contains(&mode) {
            return Err(format!("this build runs {MODES:?}, not {mode:?}"));
        }
        #[cfg(feature = "oxprof")]
        {
            oxprof::heap::set_sample_rate(if mode == "counting" { 0 } else { 512 * 1024 });
            Ok(Session {
                before: oxprof::heap::stats().process,
            })
        }
        #[cfg(feature = "dhat")]
        {
            Ok(Session {
                _dhat: dhat::Profiler::builder()
                    .file_name(std::env::temp_dir().join("heap_overhead-dhat.json"))
                    .build(),
            })
        }
        #[cfg(not(any(feature = "oxprof", feature = "dhat")))]
        Ok(Session {})
    }

    /// What was recorded; for oxprof, builds the heap profile (timed) to count its samples.
    pub fn finish(self) -> Result<Recorded, String> {
        #[cfg(feature = "oxprof")]
        {
            let now = oxprof::heap::stats().process;
            let started = std::time::Instant::now();
            let profile = oxprof::heap::profile().map_err(|e| format!("heap profile: {e}"))?;
            let build = started.elapsed();
            Ok(Recorded {
                allocs: now.allocs - self.before.allocs,
                bytes: now.allocated_bytes - self.before.allocated_bytes,
                samples: profile.sample.len(),
                build,
                memory: oxprof::heap::profiler_memory(),
                dropped: dropped(&profile.comments),
            })
        }
        #[cfg(not(feature = "oxprof"))]
        Ok(Recorded::default())
    }
}

/// The sampled allocations a profile's comments say were dropped over the memory budget (the
/// numbers in its "over the memory budget" comment, summed).
#[cfg(feature = "oxprof")]
fn dropped(comments: &[String]) -> u64 {
    comments
        .iter()
        .filter(|c| c.contains("over the memory budget"))
        .flat_map(|c| c.split(|ch: char| !ch.is_ascii_digit()))
        .filter_map(|n| n.parse::<u64>().ok())
        .sum()
}
