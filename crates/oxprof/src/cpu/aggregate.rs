//! Samples drained from the ring, counted per distinct stack, with a cap on how many distinct
//! stacks are kept so a long profile of a program with endless stack variety stays bounded.

use std::collections::HashMap;

use super::ring::Sample;

/// Distinct stacks kept before further new stacks are counted as dropped. At the default depth a
/// stack averages well under 1 KiB, so the table stays within a few hundred MiB at worst.
pub(crate) const MAX_DISTINCT_STACKS: usize = 200_000;

/// What distinguishes one aggregated sample from another.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct StackKey {
    pub(crate) frames: Box<[u64]>,
    pub(crate) truncated: bool,
    /// 0 unless samples are split by thread.
    pub(crate) tid: u32,
    pub(crate) state: u8,
    pub(crate) label_id: u32,
}

/// Counts per distinct stack.
#[derive(Debug, Default)]
pub(crate) struct Aggregate {
    pub(crate) stacks: HashMap<StackKey, u64>,
    /// Samples whose stack arrived after the table was full.
    pub(crate) dropped: u64,
    /// Every sample taken, in periods (timer overruns included).
    pub(crate) total: u64,
    split_by_thread: bool,
    cap: usize,
}

impl Aggregate {
    pub(crate) fn new(split_by_thread: bool) -> Aggregate {
        Aggregate::with_cap(split_by_thread, MAX_DISTINCT_STACKS)
    }

    fn with_cap(split_by_thread: bool, cap: usize) -> Aggregate {
        Aggregate {
            split_by_thread,
            cap,
            ..Aggregate::default()
        }
    }

    pub(crate) fn add(&mut self, sample: Sample<'_>) {
        self.total += sample.weight;
        let key = StackKey {
            frames: sample.frames.into(),
            truncated: sample.truncated,
            tid: if self.split_by_thread {
                sample.meta.tid
            } else {
                0
            },
            state: sample.meta.state,
            label_id: sample.meta.label_id,
        };
        if let Some(weight) = self.stacks.get_mut(&key) {
            *weight += sample.weight;
        } else if self.stacks.len() < self.cap {
            self.stacks.insert(key, sample.weight);
        } else {
            self.dropped += sample.weight;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::ring::{Sample, SampleMeta};
    use super::*;

    fn sample(tid: u32, frames: &[u64]) -> Sample<'_> {
        Sample {
            meta: SampleMeta {
                tid,
                state: 0,
                label_id: 0,
            },
            weight: 2,
            frames,
            truncated: false,
            time: 0,
        }
    }

    #[test]
    fn equal_stacks_add_up_and_threads_split_only_when_asked() {
        let mut merged = Aggregate::new(false);
        let mut split = Aggregate::new(true);
        for tid in [1, 2, 1] {
            merged.add(sample(tid, &[1, 2]));
            split.add(sample(tid, &[1, 2]));
        }
        assert_eq!(merged.stacks.len(), 1);
        assert_eq!(merged.stacks.values().sum::<u64>(), 6);
        assert_eq!(split.stacks.len(), 2);
        assert_eq!(split.total, 6);
    }

    #[test]
    fn stacks_past_the_cap_are_counted_not_kept() {
        let mut agg = Aggregate::with_cap(false, 2);
        for leaf in 0..5u64 {
            agg.add(sample(1, &[leaf]));
        }
        agg.add(sample(1, &[0]));
        assert_eq!(agg.stacks.len(), 2);
        assert_eq!(agg.dropped, 6);
        assert_eq!(
            agg.stacks[&StackKey {
                frames: vec![0].into(),
                truncated: false,
                tid: 0,
                state: 0,
                label_id: 0
            }],
            4
        );
    }
}
