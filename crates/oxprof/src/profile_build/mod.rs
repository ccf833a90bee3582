//! Profiles of this process from raw address stacks: samples are merged as they arrive, and
//! [`StackProfile::build`] turns them into a `profile.proto` profile as Go's `runtime/pprof`
//! writes it, with the process's executable mappings (main binary first, GNU build ids), one
//! location per unique address, and, when asked, functions, files, lines and inline chains.
//!
//! Symbolization happens once per unique address, at build time, never while sampling.

mod loaded_objects;
mod locations;
mod mappings;
mod maps;
mod samples;
mod symbolize;
mod vdso;

#[cfg(test)]
mod tests;

use oxprof_profile::{Label, Profile, Sample, ValueType};

use locations::LocationTable;
use mappings::ProcessMappings;
use samples::SampleTable;

/// One frame of a raw stack, leaf first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Frame {
    /// A code address to look up: the pc of the leaf, or a return address minus one.
    Address(u64),
    /// A frame oxprof adds itself, such as `oxprof::truncated`.
    Synthetic(&'static str),
}

/// Accumulates samples of raw stacks and turns them into a symbolized profile of this process.
pub(crate) struct StackProfile {
    sample_types: Vec<ValueType>,
    period_type: ValueType,
    period: i64,
    samples: SampleTable,
}

impl StackProfile {
    /// An empty profile whose samples carry one value per entry of `sample_types`.
    pub(crate) fn new(sample_types: Vec<ValueType>, period_type: ValueType, period: i64) -> Self {
        let samples = SampleTable::new(sample_types.len());
        StackProfile {
            sample_types,
            period_type,
            period,
            samples,
        }
    }

    /// Adds `values` to the sample with these frames (leaf first) and labels, creating it if
    /// new. `values` holds one entry per sample type; missing entries count as 0.
    pub(crate) fn add(&mut self, frames: &[Frame], values: &[i64], labels: Vec<Label>) {
        self.samples.add(frames, values, labels);
    }

    /// The profile: mappings read from `/proc/self/maps` now, locations for every unique frame,
    /// symbolized when `options.symbolize` is set. Never fails: what cannot be symbolized keeps
    /// its address and is explained in the profile's comments.
    pub(crate) fn build(self, options: &BuildOptions) -> Profile {
        let process = ProcessMappings::read();
        let mut locations = LocationTable::new(&process);
        let sample = self
            .samples
            .into_ordered()
            .map(|s| Sample {
                location_id: s.frames.iter().map(|&f| locations.intern(f)).collect(),
                value: s.values,
                label: s.labels,
            })
            .collect();
        let (location, function) = locations.finish();
        let main_is_executable = process.main_is_executable();
        let mut profile = Profile {
            sample_type: self.sample_types,
            sample,
            mapping: process.into_mappings(),
            location,
            function,
            time_nanos: options.time_nanos,
            duration_nanos: options.duration_nanos,
            period_type: Some(self.period_type),
            period: self.period,
            comments: options.comments.clone(),
            ..Profile::default()
        };
        if options.symbolize {
            let warnings = symbolize::symbolize(&mut profile, main_is_executable);
            profile.comments.extend(warnings);
        }
        profile
    }
}

/// What goes into a built profile besides its samples.
#[derive(Debug, Clone, Default)]
pub(crate) struct BuildOptions {
    /// When collection started, nanoseconds since the Unix epoch.
    pub(crate) time_nanos: i64,
    /// How long collection lasted, in nanoseconds.
    pub(crate) duration_nanos: i64,
    /// Comments for humans, written before any symbolization warnings.
    pub(crate) comments: Vec<String>,
    /// Fill in functions, files and lines; without it locations keep only addresses, for
    /// symbolization elsewhere by build id.
    pub(crate) symbolize: bool,
}

impl BuildOptions {
    /// A symbolized profile of the state now, which covers no period of collection.
    pub(crate) fn snapshot(comments: Vec<String>) -> Self {
        BuildOptions {
            time_nanos: unix_nanos_now(),
            duration_nanos: 0,
            comments,
            symbolize: true,
        }
    }
}

/// Now, in nanoseconds since the Unix epoch (0 for a clock set before it).
pub(crate) fn unix_nanos_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64)
}
