//! Turning what a profile sampled into `profile.proto`: Go's CPU (or wall) sample types,
//! synthetic frames for truncated stacks and lost samples, labels, and comments that say how the
//! profile was taken.

use std::time::Duration;

use oxprof_profile::{Label, Profile, ValueType};

use super::aggregate::Aggregate;
use super::profiler::{Builder, Mode, LOST_SAMPLES_FRAME, TRUNCATED_FRAME};
use super::sampler::Finished;
use super::threads::{ThreadSet, ThreadState};
use crate::profile_build::{BuildOptions, Frame, StackProfile};

/// How a finished profile was taken.
pub(super) struct Recording<'a> {
    pub(super) config: &'a Builder,
    /// Which timer sampled, from [`clock_comment`].
    pub(super) clock_comment: String,
    pub(super) time_nanos: i64,
    pub(super) duration: Duration,
}

impl Recording<'_> {
    /// The profile of everything the sampler collected.
    pub(super) fn build(&self, mut finished: Finished) -> Profile {
        let period = Duration::from_nanos(1_000_000_000 / u64::from(self.config.frequency));
        let period_ns = period.as_nanos() as i64;
        let time_type = match self.config.mode {
            Mode::Cpu => ValueType::new("cpu", "nanoseconds"),
            Mode::Wall => ValueType::new("wall", "nanoseconds"),
        };
        let mut stacks = StackProfile::new(
            vec![ValueType::new("samples", "count"), time_type.clone()],
            time_type,
            period_ns,
        );
        let names = thread_names(&mut finished.threads, &finished.aggregate, self.config);
        let mut frames = Vec::with_capacity(self.config.depth + 1);
        for (key, &weight) in &finished.aggregate.stacks {
            frames.clear();
            frames.extend(key.frames.iter().map(|&a| Frame::Address(a)));
            if key.truncated {
                frames.push(Frame::Synthetic(TRUNCATED_FRAME));
            }
            let mut labels = Vec::new();
            if let Some(set) = crate::labels::resolve(key.label_id) {
                labels.extend(set.iter().map(|(k, v)| Label::str(k.clone(), v.clone())));
            }
            if self.config.thread_labels {
                let name = names
                    .get(&key.tid)
                    .cloned()
                    .unwrap_or_else(|| key.tid.to_string());
                labels.push(Label::str("thread", name));
            }
            if let Some(state) = ThreadState::from_byte(key.state).label() {
                labels.push(Label::str("state", state));
            }
            let weight = weight as i64;
            stacks.add(&frames, &[weight, weight * period_ns], labels);
        }
        let lost = finished.lost + finished.aggregate.dropped;
        if lost > 0 {
            let lost = lost as i64;
            stacks.add(
                &[Frame::Synthetic(LOST_SAMPLES_FRAME)],
                &[lost, lost * period_ns],
                Vec::new(),
            );
        }
        let comments = self.comments(&finished);
        stacks.build(&BuildOptions {
            time_nanos: self.time_nanos,
            duration_nanos: self.duration.as_nanos() as i64,
            comments,
            symbolize: self.config.symbolize,
        })
    }

    fn comments(&self, finished: &Finished) -> Vec<String> {
        let mut comments = vec![self.clock_comment.clone()];
        let stats = &finished.stats;
        comments.push(format!(
            "threads sampled: {}; samples: {}",
            stats.threads_sampled, finished.aggregate.total
        ));
        let (handled, handler_nanos) = finished.handler_cost;
        comments.push(format!(
            "profiler cost: {:.3} ms inside the signal handler for {handled} samples ({:.2} µs each), \
             sampler thread {:.3} ms of CPU",
            handler_nanos as f64 / 1e6,
            handler_nanos as f64 / 1e3 / handled.max(1) as f64,
            finished.sampler_cpu.as_secs_f64() * 1e3
        ));
        if finished.catch_all > 0 && !self.config.process_timer {
            comments.push(format!(
                "{} samples from the process timer, on threads not yet (or never) given a timer \
                 of their own",
                finished.catch_all
            ));
        }
        if finished.lost > 0 {
            comments.push(format!(
                "{} samples lost: the sample buffer was full",
                finished.lost
            ));
        }
        if finished.aggregate.dropped > 0 {
            comments.push(format!(
                "{} samples dropped: more than {} distinct stacks",
                finished.aggregate.dropped,
                super::aggregate::MAX_DISTINCT_STACKS
            ));
        }
        if stats.timer_failures > 0 {
            comments.push(format!(
                "{} threads not sampled: timer_create failed: {}",
                stats.timer_failures,
                stats.last_timer_error.as_deref().unwrap_or("unknown error")
            ));
        }
        if stats.late_ticks > 0 {
            comments.push(format!(
                "{} wall-clock ticks late (the sampler was not scheduled in time); \
                 their time is charged to the next samples",
                stats.late_ticks
            ));
        }
        comments
    }
}

/// The comment that says which timer sampled the profile.
pub(super) fn clock_comment(config: &Builder, fallback: Option<&std::io::Error>) -> String {
    let hz = config.frequency;
    match (config.mode, config.process_timer, fallback) {
        (Mode::Wall, ..) => {
            format!("oxprof wall-clock profile: every thread signalled at {hz} Hz, state from /proc")
        }
        (Mode::Cpu, false, None) => format!(
            "oxprof cpu profile: per-thread CPU-time timers (timer_create, SIGEV_THREAD_ID) at {hz} Hz"
        ),
        (Mode::Cpu, true, _) => {
            format!("oxprof cpu profile: process CPU timer (setitimer ITIMER_PROF) at {hz} Hz")
        }
        (Mode::Cpu, false, Some(e)) => format!(
            "oxprof cpu profile: process CPU timer (setitimer ITIMER_PROF) at {hz} Hz, \
             fallback because timer_create failed: {e}"
        ),
    }
}

/// Thread names for the `thread` label, read again at the end because threads often name
/// themselves just after they start.
fn thread_names(
    threads: &mut ThreadSet,
    aggregate: &Aggregate,
    config: &Builder,
) -> std::collections::BTreeMap<u32, String> {
    if !config.thread_labels {
        return Default::default();
    }
    let tids: std::collections::BTreeSet<u32> = aggregate.stacks.keys().map(|k| k.tid).collect();
    threads.names_of(tids)
}

#[cfg(test)]
mod tests {
    use super::super::aggregate::StackKey;
    use super::super::sampler::Stats;
    use super::*;

    fn finished(lost: u64) -> Finished {
        let mut aggregate = Aggregate::new(true);
        let key = |truncated, state| StackKey {
            frames: vec![0x1000, 0x2000].into(),
            truncated,
            tid: 7,
            state,
            label_id: 0,
        };
        aggregate.stacks.insert(key(true, 0), 3);
        aggregate
            .stacks
            .insert(key(false, ThreadState::Sleeping as u8), 2);
        aggregate.total = 5;
        Finished {
            aggregate,
            threads: ThreadSet::default(),
            stats: Stats {
                late_ticks: 4,
                ..Stats::default()
            },
            lost,
            handler_cost: (5, 5_000),
            catch_all: 2,
            sampler_cpu: Duration::from_millis(3),
        }
    }

    fn build(config: &Builder, lost: u64) -> Profile {
        Recording {
            config,
            clock_comment: clock_comment(config, None),
            time_nanos: 1,
            duration: Duration::from_secs(1),
        }
        .build(finished(lost))
    }

    fn root_function<'p>(profile: &'p Profile, sample: &oxprof_profile::Sample) -> &'p str {
        let loc = profile
            .location
            .iter()
            .find(|l| l.id == *sample.location_id.last().unwrap())
            .unwrap();
        let line = loc.line.last().map(|l| l.function_id);
        line.and_then(|id| profile.function.iter().find(|f| f.id == id))
            .map(|f| f.name.as_str())
            .unwrap_or("")
    }

    #[test]
    fn lost_samples_become_a_synthetic_sample_with_their_time() {
        let config = Builder::default().symbolize(false);
        let profile = build(&config, 6);
        let lost: Vec<_> = profile
            .sample
            .iter()
            .filter(|s| root_function(&profile, s) == LOST_SAMPLES_FRAME)
            .collect();
        assert_eq!(lost.len(), 1);
        assert_eq!(lost[0].value, vec![6, 6 * 10_000_000]);
        assert!(profile
            .comments
            .iter()
            .any(|c| c == "6 samples lost: the sample buffer was full"));
        let none = build(&config, 0);
        assert!(none
            .sample
            .iter()
            .all(|s| root_function(&none, s) != LOST_SAMPLES_FRAME));
    }

    #[test]
    fn truncated_stacks_end_in_the_synthetic_frame_and_states_become_labels() {
        let config = Builder::default().symbolize(false).thread_labels(true);
        let profile = build(&config, 0);
        assert_eq!(profile.sample.len(), 2);
        for s in &profile.sample {
            let truncated = root_function(&profile, s) == TRUNCATED_FRAME;
            assert_eq!(s.location_id.len(), if truncated { 3 } else { 2 });
            let state = s.label.iter().find(|l| l.key == "state");
            assert_eq!(state.is_some(), !truncated, "{s:?}");
            assert!(s.label.iter().any(|l| l.key == "thread"), "{s:?}");
        }
    }

    #[test]
    fn comments_name_the_clock_and_what_was_late() {
        let config = Builder::default().symbolize(false);
        let profile = build(&config, 0);
        assert!(profile.comments[0].contains("timer_create"));
        assert!(profile
            .comments
            .iter()
            .any(|c| c.starts_with("4 wall-clock ticks late")));
        let wall = Builder::default().mode(Mode::Wall);
        assert!(clock_comment(&wall, None).contains("wall-clock"));
        let refused = std::io::Error::from_raw_os_error(libc::EPERM);
        let fallback = clock_comment(&Builder::default(), Some(&refused));
        assert!(
            fallback.contains("setitimer") && fallback.contains("timer_create failed"),
            "{fallback}"
        );
    }
}
