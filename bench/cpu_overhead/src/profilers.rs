//! The profilers under test, started and stopped the way their documentation shows, and what
//! each one recorded.

use std::collections::HashMap;
use std::fmt;

use crate::workload::ROOT_FUNCTION;

/// Which profiler a run uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// No profiler: the baseline.
    None,
    /// `oxprof::cpu::Profiler` with its defaults apart from the rate.
    Oxprof,
    /// pprof-rs's `ProfilerGuard`, with whichever unwinder this binary was built with.
    PprofRs,
}

/// The pprof-rs unwinder compiled into this binary: pprof-rs chooses it with Cargo features,
/// so each one needs its own build (see `Cargo.toml`).
pub const PPROF_VARIANT: &str = if cfg!(feature = "pprof-frame-pointer") {
    "pprof-rs-fp"
} else if cfg!(feature = "pprof-framehop") {
    "pprof-rs-framehop"
} else {
    "pprof-rs"
};

impl Mode {
    /// Parses `none`, `oxprof` or this build's pprof-rs variant name.
    pub fn parse(name: &str) -> Result<Mode, String> {
        match name {
            "none" => Ok(Mode::None),
            "oxprof" => Ok(Mode::Oxprof),
            _ if name == PPROF_VARIANT => Ok(Mode::PprofRs),
            _ if name.starts_with("pprof-rs") => Err(format!(
                "this binary was built with {PPROF_VARIANT}, not {name}: \
                 build with the matching feature (see Cargo.toml)"
            )),
            _ => Err(format!(
                "unknown mode {name:?}: want none, oxprof or {PPROF_VARIANT}"
            )),
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::None => "none",
            Mode::Oxprof => "oxprof",
            Mode::PprofRs => PPROF_VARIANT,
        })
    }
}

/// A profiler that is sampling.
pub enum Running {
    None,
    Oxprof(oxprof::cpu::Profiler),
    PprofRs(pprof::ProfilerGuard<'static>),
}

/// What a profiler handed back when stopped: a symbolized profile.
pub enum Stopped {
    None,
    Oxprof(Box<oxprof::Profile>),
    PprofRs(pprof::Report),
}

/// Counts over what a profiler recorded.
#[derive(Debug, Default)]
pub struct Recorded {
    /// Samples kept, the synthetic lost-samples entry excluded.
    pub samples: u64,
    /// Samples the profiler counted as lost (oxprof's `oxprof::lost_samples` entry).
    pub lost: u64,
    /// Samples whose stack reaches the workload's outermost function.
    pub complete: u64,
    /// Function frames, inlined ones included, summed over samples.
    pub frames: u64,
}

impl Running {
    pub fn start(mode: Mode, hz: u32) -> Result<Running, String> {
        match mode {
            Mode::None => Ok(Running::None),
            Mode::Oxprof => oxprof::cpu::Profiler::builder()
                .frequency(hz)
                .start()
                .map(Running::Oxprof)
                .map_err(|e| format!("oxprof: {e}")),
            Mode::PprofRs => pprof::ProfilerGuardBuilder::default()
                .frequency(hz as i32)
                .build()
                .map(Running::PprofRs)
                .map_err(|e| format!("pprof-rs: {e}")),
        }
    }

    /// Stops sampling and builds the symbolized profile.
    pub fn stop(self) -> Result<Stopped, String> {
        match self {
            Running::None => Ok(Stopped::None),
            Running::Oxprof(p) => p
                .stop()
                .map(|p| Stopped::Oxprof(Box::new(p)))
                .map_err(|e| format!("oxprof: {e}")),
            Running::PprofRs(guard) => {
                let report = guard.report().build().map_err(|e| format!("pprof-rs: {e}"));
                drop(guard);
                report.map(Stopped::PprofRs)
            }
        }
    }
}

impl Stopped {
    pub fn recorded(&self) -> Recorded {
        let mut r = Recorded::default();
        match self {
            Stopped::None => {}
            Stopped::Oxprof(profile) => {
                let stacks = OxprofStacks::new(profile);
                for sample in &profile.sample {
                    let n = sample.value[0] as u64;
                    let names = stacks.names(&sample.location_id);
                    if names.contains(&oxprof::cpu::LOST_SAMPLES_FRAME) {
                        r.lost += n;
                        continue;
                    }
                    r.add(n, names.iter().copied());
                }
            }
            Stopped::PprofRs(report) => {
                for (frames, &n) in &report.data {
                    let names: Vec<String> =
                        frames.frames.iter().flatten().map(|s| s.name()).collect();
                    r.add(n as u64, names.iter().map(String::as_str));
                }
            }
        }
        r
    }
}

impl Recorded {
    fn add<'a>(&mut self, n: u64, names: impl Iterator<Item = &'a str>) {
        let mut depth = 0;
        let mut complete = false;
        let dump = std::env::var_os("CPU_OVERHEAD_DUMP").is_some() && self.samples == 0;
        for name in names {
            if dump {
                eprintln!("  {name}");
            }
            depth += 1;
            complete |= is_root(name);
        }
        self.samples += n;
        self.frames += n * depth;
        if complete {
            self.complete += n;
        }
    }
}

/// Whether a symbolized name is the workload's root. Built with line tables only, both
/// profilers name functions without their module path (`worker`), and a full symbol table name
/// would read `cpu_overhead::workload::worker`: accept both.
fn is_root(name: &str) -> bool {
    name.rsplit("::").next() == Some(ROOT_FUNCTION)
}

/// Looks up the function names behind an oxprof profile's location ids.
struct OxprofStacks<'p> {
    locations: HashMap<u64, &'p oxprof_profile::Location>,
    functions: HashMap<u64, &'p str>,
}

impl<'p> OxprofStacks<'p> {
    fn new(profile: &'p oxprof::Profile) -> Self {
        OxprofStacks {
            locations: profile.location.iter().map(|l| (l.id, l)).collect(),
            functions: profile
                .function
                .iter()
                .map(|f| (f.id, f.name.as_str()))
                .collect(),
        }
    }

    /// Function names on one sample's stack, leaf first, inlined frames included.
    fn names(&self, location_ids: &[u64]) -> Vec<&'p str> {
        location_ids
            .iter()
            .filter_map(|id| self.locations.get(id))
            .flat_map(|loc| &loc.line)
            .filter_map(|line| self.functions.get(&line.function_id).copied())
            .collect()
    }
}
