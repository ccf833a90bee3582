//! One period's profiles: the CPU profile of the period (the profiler is stopped and started
//! again), the heap profile with its allocation counts as deltas and its in-use figures as they
//! are, and the block and mutex profiles as deltas, each against the snapshot the previous
//! period kept; then the push that carries them.

use std::io;

use oxprof_profile::Profile;
use oxprof_push::labels::{NAME, SERVICE_NAME};
use oxprof_push::proto::{LabelPair, PushRequest, RawProfileSeries, RawSample};
use prost::Message;

use super::Config;
use crate::cpu::Profiler;
use crate::profile_build::unix_nanos_now;
use crate::profiles;

/// A push ready to send: the gzipped `PushRequest`, how many profiles it carries, and their
/// totals by profile type id.
pub(super) struct Batch {
    pub body: Vec<u8>,
    pub profiles: u32,
    pub totals: Vec<(String, i64)>,
}

/// The profilers the agent runs and the snapshots deltas are taken against.
pub(super) struct Collector {
    cpu: Option<Profiler>,
    heap: Option<Profile>,
    block: Option<Profile>,
    mutex: Option<Profile>,
}

impl Collector {
    /// Starts the CPU profiler and takes the first snapshots; what cannot be started is
    /// reported and left out.
    pub(super) fn start(config: &Config, errors: &mut Vec<String>) -> Collector {
        let mut collector = Collector {
            cpu: None,
            heap: None,
            block: None,
            mutex: None,
        };
        if config.cpu {
            collector.start_cpu(config, errors);
        }
        if config.heap && crate::heap::is_installed() {
            collector.heap = snapshot(crate::heap::profile(), "heap", errors);
        }
        if config.block {
            collector.block = snapshot(crate::block::profile(), "block", errors);
        }
        if config.mutex {
            collector.mutex = snapshot(crate::mutex::profile(), "mutex", errors);
        }
        collector
    }

    fn start_cpu(&mut self, config: &Config, errors: &mut Vec<String>) {
        match Profiler::builder().frequency(config.cpu_frequency).start() {
            Ok(profiler) => self.cpu = Some(profiler),
            Err(e) => errors.push(format!("cpu: {e}")),
        }
    }

    /// The profiles of the period just ended, named as Pyroscope files them. The CPU profiler
    /// starts again unless `last`.
    pub(super) fn collect(
        &mut self,
        config: &Config,
        last: bool,
        errors: &mut Vec<String>,
    ) -> Vec<(&'static str, Profile)> {
        let mut out = Vec::new();
        if let Some(profiler) = self.cpu.take() {
            match profiler.stop() {
                Ok(profile) => out.push(("process_cpu", profile)),
                Err(e) => errors.push(format!("cpu: {e}")),
            }
        }
        // Started again after a failure too: the program's own CPU profile may have ended.
        if config.cpu && !last {
            self.start_cpu(config, errors);
        }
        if let Some(before) = self.heap.take() {
            self.heap = snapshot(crate::heap::profile(), "heap", errors);
            if let Some(after) = &self.heap {
                match heap_delta(before, after.clone()) {
                    Ok(delta) => out.push(("memory", delta)),
                    Err(e) => errors.push(format!("heap: {e}")),
                }
            }
        }
        for (name, kept, take) in [
            (
                "block",
                &mut self.block,
                crate::block::profile as fn() -> io::Result<Profile>,
            ),
            ("mutex", &mut self.mutex, crate::mutex::profile),
        ] {
            if let Some(before) = kept.take() {
                *kept = snapshot(take(), name, errors);
                if let Some(after) = kept {
                    match profiles::delta(before, after.clone()) {
                        Ok(delta) => out.push((name, delta)),
                        Err(e) => errors.push(format!("{name}: {e}")),
                    }
                }
            }
        }
        out.retain(|(_, p)| !p.sample.is_empty());
        out
    }
}

/// A profile stamped with the time it was taken, or the error noted.
fn snapshot(taken: io::Result<Profile>, name: &str, errors: &mut Vec<String>) -> Option<Profile> {
    match taken {
        Ok(mut profile) => {
            profile.time_nanos = unix_nanos_now();
            Some(profile)
        }
        Err(e) => {
            errors.push(format!("{name}: {e}"));
            None
        }
    }
}

/// The heap profile as continuous profilers send it: what was allocated during the period
/// (`alloc_*`, a delta) and what is in use at its end (`inuse_*`, as it is).
fn heap_delta(mut before: Profile, after: Profile) -> io::Result<Profile> {
    let gauges: Vec<bool> = before
        .sample_type
        .iter()
        .map(|t| t.ty.starts_with("inuse_"))
        .collect();
    for sample in &mut before.sample {
        for (value, gauge) in sample.value.iter_mut().zip(&gauges) {
            if *gauge {
                *value = 0;
            }
        }
    }
    profiles::delta(before, after)
}

/// The push of `profiles`: one series each, with the agent's labels and a random id.
pub(super) fn batch(
    config: &Config,
    profiles: &[(&'static str, Profile)],
    random: &mut crate::random::Xorshift,
) -> Batch {
    let mut totals = Vec::new();
    let series = profiles
        .iter()
        .map(|(name, profile)| {
            type_totals(name, profile, &mut totals);
            let mut labels = vec![
                LabelPair::new(NAME, *name),
                LabelPair::new(SERVICE_NAME, config.service_name.as_str()),
            ];
            labels.extend(config.labels.iter().map(|(k, v)| LabelPair::new(k, v)));
            RawProfileSeries {
                labels,
                samples: vec![RawSample {
                    // The whole request is gzipped, so the profile is not.
                    raw_profile: profile.encode(),
                    // Lets the server store a push retried after a lost answer only once.
                    id: format!("{:016x}{:016x}", random.next(), random.next()),
                }],
            }
        })
        .collect();
    let request = PushRequest { series }.encode_to_vec();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    io::Write::write_all(&mut gz, &request).expect("writing to a Vec cannot fail");
    Batch {
        body: gz.finish().expect("writing to a Vec cannot fail"),
        profiles: profiles.len() as u32,
        totals,
    }
}

/// The totals of a push read back from its body (a spooled one, after a restart).
pub(super) fn totals_of(body: &[u8]) -> Option<(u32, Vec<(String, i64)>)> {
    let plain = inflate(body)?;
    let request = PushRequest::decode(plain.as_slice()).ok()?;
    let mut profiles = Vec::new();
    for series in &request.series {
        let name = series.labels.iter().find(|l| l.name == NAME)?.value.clone();
        for sample in &series.samples {
            profiles.push((name.clone(), Profile::decode(&sample.raw_profile).ok()?));
        }
    }
    let mut totals = Vec::new();
    for (name, profile) in &profiles {
        type_totals(name, profile, &mut totals);
    }
    Some((profiles.len() as u32, totals))
}

/// Appends the profile's total per sample type, by profile type id.
fn type_totals(name: &str, profile: &Profile, out: &mut Vec<(String, i64)>) {
    let period = profile
        .period_type
        .as_ref()
        .map(|p| (p.ty.as_str(), p.unit.as_str()));
    for (i, t) in profile.sample_type.iter().enumerate() {
        let total = profile.sample.iter().map(|s| s.value[i]).sum::<i64>();
        out.push((
            oxprof_push::profile_type_id(name, (&t.ty, &t.unit), period),
            total,
        ));
    }
}

fn inflate(body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    io::Read::read_to_end(&mut flate2::read::GzDecoder::new(body), &mut out).ok()?;
    Some(out)
}
