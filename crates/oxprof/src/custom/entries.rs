//! One custom profile's live entries: the stack each key was added with, stacks shared by the
//! keys that have the same, so a million entries added from three call sites keep three stacks.

use std::collections::HashMap;
use std::sync::Arc;

use super::key::Key;

/// A stack as captured (leaf first, the profiler's own frames included) and the number of the
/// caller's frames to skip above those.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct Recorded {
    pub(super) frames: Arc<[u64]>,
    pub(super) skip: usize,
}

#[derive(Default)]
pub(super) struct Entries {
    by_key: HashMap<Box<dyn Key>, Recorded>,
    /// Each distinct stack once, with the number of entries using it.
    stacks: HashMap<Arc<[u64]>, usize>,
}

impl Entries {
    /// Adds `key` with its stack; `false` (and nothing changes) when the key is there already.
    pub(super) fn insert(&mut self, key: Box<dyn Key>, frames: &[u64], skip: usize) -> bool {
        if self.by_key.contains_key(&*key) {
            return false;
        }
        let frames = match self.stacks.get_key_value(frames) {
            Some((shared, _)) => shared.clone(),
            None => Arc::from(frames),
        };
        *self.stacks.entry(frames.clone()).or_insert(0) += 1;
        self.by_key.insert(key, Recorded { frames, skip });
        true
    }

    /// Removes `key`; `false` when it was not there.
    pub(super) fn remove(&mut self, key: &dyn Key) -> bool {
        let Some(recorded) = self.by_key.remove(key) else {
            return false;
        };
        if let Some(users) = self.stacks.get_mut(&recorded.frames) {
            *users -= 1;
            if *users == 0 {
                self.stacks.remove(&recorded.frames);
            }
        }
        true
    }

    pub(super) fn len(&self) -> usize {
        self.by_key.len()
    }

    /// How many entries have each distinct stack and skip.
    pub(super) fn tally(&self) -> HashMap<Recorded, i64> {
        let mut counts = HashMap::new();
        for recorded in self.by_key.values() {
            *counts.entry(recorded.clone()).or_insert(0) += 1;
        }
        counts
    }

    #[cfg(test)]
    fn distinct_stacks(&self) -> usize {
        self.stacks.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_stacks_shared_until_their_last_user_goes() {
        let mut entries = Entries::default();
        assert!(entries.insert(Box::new(1u32), &[0x10, 0x20], 0));
        assert!(entries.insert(Box::new(2u32), &[0x10, 0x20], 0));
        assert!(entries.insert(Box::new(3u32), &[0x30], 1));
        assert!(!entries.insert(Box::new(1u32), &[0x99], 0), "duplicate key");
        assert_eq!(entries.len(), 3);
        assert_eq!(entries.distinct_stacks(), 2);

        let tally = entries.tally();
        let shared = Recorded {
            frames: Arc::from(&[0x10, 0x20][..]),
            skip: 0,
        };
        assert_eq!(tally[&shared], 2);

        assert!(entries.remove(&1u32 as &dyn Key));
        assert!(!entries.remove(&1u32 as &dyn Key));
        assert_eq!(entries.distinct_stacks(), 2);
        assert!(entries.remove(&2u32 as &dyn Key));
        assert_eq!(entries.distinct_stacks(), 1);
        assert_eq!(entries.len(), 1);
    }
}
