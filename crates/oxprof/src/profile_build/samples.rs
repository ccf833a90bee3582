//! Samples merged by stack and labels, as Go's `profMap` does: one entry per distinct
//! (frames, labels) pair, whose values are the sums of everything added under it.

use std::collections::HashMap;

use oxprof_profile::Label;

use super::Frame;

/// What identifies a merged sample.
#[derive(PartialEq, Eq, Hash)]
struct Key {
    frames: Box<[Frame]>,
    labels: Vec<Label>,
}

/// Merged samples, remembering the order in which each was first seen so that built profiles
/// are deterministic.
pub(super) struct SampleTable {
    n_values: usize,
    entries: HashMap<Key, Entry>,
}

struct Entry {
    first_seen: usize,
    values: Vec<i64>,
}

/// One merged sample.
pub(super) struct MergedSample {
    pub(super) frames: Box<[Frame]>,
    pub(super) labels: Vec<Label>,
    pub(super) values: Vec<i64>,
}

impl SampleTable {
    /// An empty table whose samples have `n_values` values each.
    pub(super) fn new(n_values: usize) -> Self {
        SampleTable {
            n_values,
            entries: HashMap::new(),
        }
    }

    /// Adds `values` element-wise to the sample keyed by `frames` and `labels`. Values beyond
    /// `n_values` are ignored and missing ones count as 0, so every sample stays valid.
    pub(super) fn add(&mut self, frames: &[Frame], values: &[i64], labels: Vec<Label>) {
        let first_seen = self.entries.len();
        let key = Key {
            frames: frames.into(),
            labels,
        };
        let n_values = self.n_values;
        let entry = self.entries.entry(key).or_insert_with(|| Entry {
            first_seen,
            values: vec![0; n_values],
        });
        for (sum, value) in entry.values.iter_mut().zip(values) {
            *sum = sum.saturating_add(*value);
        }
    }

    /// The merged samples in the order they were first added.
    pub(super) fn into_ordered(self) -> impl Iterator<Item = MergedSample> {
        let mut entries: Vec<(Key, Entry)> = self.entries.into_iter().collect();
        entries.sort_unstable_by_key(|(_, entry)| entry.first_seen);
        entries.into_iter().map(|(key, entry)| MergedSample {
            frames: key.frames,
            labels: key.labels,
            values: entry.values,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(table: SampleTable) -> Vec<(Vec<Frame>, Vec<Label>, Vec<i64>)> {
        table
            .into_ordered()
            .map(|s| (s.frames.into_vec(), s.labels, s.values))
            .collect()
    }

    #[test]
    fn identical_frames_and_labels_merge_by_adding_values() {
        let mut table = SampleTable::new(2);
        let stack = [Frame::Address(0x10), Frame::Address(0x20)];
        table.add(&stack, &[1, 10], vec![Label::str("k", "v")]);
        table.add(&stack, &[2, 20], vec![Label::str("k", "v")]);
        assert_eq!(
            collect(table),
            vec![(stack.to_vec(), vec![Label::str("k", "v")], vec![3, 30])]
        );
    }

    #[test]
    fn different_labels_or_frames_stay_apart_in_first_seen_order() {
        let mut table = SampleTable::new(1);
        let a = [Frame::Address(0x10)];
        let b = [Frame::Address(0x10), Frame::Synthetic("oxprof::truncated")];
        table.add(&a, &[1], vec![]);
        table.add(&b, &[1], vec![]);
        table.add(&a, &[1], vec![Label::str("k", "v")]);
        table.add(&a, &[5], vec![]);
        let got = collect(table);
        let shapes: Vec<(usize, usize, i64)> = got
            .iter()
            .map(|(f, l, v)| (f.len(), l.len(), v[0]))
            .collect();
        assert_eq!(shapes, vec![(1, 0, 6), (2, 0, 1), (1, 1, 1)]);
    }

    #[test]
    fn values_are_fitted_to_the_sample_types() {
        let mut table = SampleTable::new(2);
        table.add(&[Frame::Address(1)], &[4], vec![]);
        table.add(&[Frame::Address(1)], &[1, 2, 3], vec![]);
        assert_eq!(collect(table)[0].2, vec![5, 2]);
    }

    #[test]
    fn label_order_is_part_of_the_key() {
        // Callers hand labels sorted by key; the table does not reorder them.
        let mut table = SampleTable::new(1);
        let stack = [Frame::Address(1)];
        table.add(
            &stack,
            &[1],
            vec![Label::str("a", "1"), Label::str("b", "2")],
        );
        table.add(
            &stack,
            &[1],
            vec![Label::str("b", "2"), Label::str("a", "1")],
        );
        assert_eq!(collect(table).len(), 2);
    }
}
