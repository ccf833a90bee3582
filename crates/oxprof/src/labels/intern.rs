//! The process-wide table of label sets, so that a sample carries a `u32` id instead of strings.
//!
//! Ids are handed out in order and never reused, so a sample taken inside a scope that has since
//! ended still resolves. The table is bounded: once it holds `cap` sets, every further new set
//! gets the id of [`OVERFLOW`].

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::merge::merge;

/// An interned label set: pairs sorted by key, keys unique.
pub(super) type LabelSet = Arc<[(String, String)]>;

/// The set that new sets map to once the table is full.
pub(super) const OVERFLOW: [(&str, &str); 1] = [("oxprof_labels", "overflow")];

/// Interns label sets; id 0 is the empty set, which is never stored.
pub(super) struct Interner<S = RandomState> {
    cap: usize,
    hasher: S,
    table: Mutex<Table>,
}

#[derive(Default)]
struct Table {
    /// The set with id `n` is at index `n - 1`.
    sets: Vec<LabelSet>,
    /// Ids keyed by (set hash, probe). Sets whose hashes collide take probes 0, 1, 2, … in
    /// insertion order, so a lookup walks the probes until the first missing one. Keying by hash
    /// lets a lookup hash the borrowed pairs, copying no strings when the set is already known.
    ids: HashMap<(u64, u32), u32>,
    /// How many times a new set was replaced by [`OVERFLOW`].
    n_overflowed: u64,
}

impl Interner {
    /// An interner holding at most `cap` distinct sets (plus [`OVERFLOW`]).
    pub(super) fn new(cap: usize) -> Self {
        Self::with_hasher(cap, RandomState::new())
    }
}

impl<S: BuildHasher> Interner<S> {
    fn with_hasher(cap: usize, hasher: S) -> Self {
        // 0 is taken by the empty set and one id above the cap by the overflow set.
        assert!(
            cap < u32::MAX as usize,
            "label set cap {cap} does not fit a u32 id"
        );
        Self {
            cap,
            hasher,
            table: Mutex::new(Table::default()),
        }
    }

    /// The id of the set `base` with `labels` merged over it (see [`merge`]).
    pub(super) fn intern_merged(&self, base: u32, labels: &[(&str, &str)]) -> u32 {
        let mut table = self.lock();
        let base = table.get(base);
        let merged = merge(base.as_deref().unwrap_or_default(), labels);
        self.intern(&mut table, &merged)
    }

    /// The set with id `id`; `None` for 0 (no labels) and for ids never handed out.
    pub(super) fn resolve(&self, id: u32) -> Option<LabelSet> {
        self.lock().get(id)
    }

    /// How many times a new set was replaced by [`OVERFLOW`] because the table was full.
    pub(super) fn overflow_count(&self) -> u64 {
        self.lock().n_overflowed
    }

    fn intern(&self, table: &mut Table, set: &[(&str, &str)]) -> u32 {
        if set.is_empty() {
            return 0;
        }
        if let Some(id) = self.find_or_insert(table, set, self.cap) {
            return id;
        }
        table.n_overflowed += 1;
        // The table holds at most `cap` other sets, so the overflow set always finds room below
        // `cap + 1`.
        self.find_or_insert(table, &OVERFLOW, self.cap + 1)
            .expect("the overflow set has a slot reserved above the cap")
    }

    /// The id of `set`, interning it if it is new and the table holds fewer than `limit` sets.
    fn find_or_insert(&self, table: &mut Table, set: &[(&str, &str)], limit: usize) -> Option<u32> {
        let hash = self.hasher.hash_one(set);
        let mut probe = 0;
        while let Some(&id) = table.ids.get(&(hash, probe)) {
            if same_pairs(set, &table.sets[id as usize - 1]) {
                return Some(id);
            }
            probe += 1;
        }
        if table.sets.len() >= limit {
            return None;
        }
        let owned = set
            .iter()
            .map(|&(key, value)| (key.to_owned(), value.to_owned()))
            .collect();
        table.sets.push(owned);
        let id = table.sets.len() as u32;
        table.ids.insert((hash, probe), id);
        Some(id)
    }

    fn lock(&self) -> MutexGuard<'_, Table> {
        // Nothing panics between the table's updates, so a poisoned table is still consistent.
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Table {
    fn get(&self, id: u32) -> Option<LabelSet> {
        let index = (id as usize).checked_sub(1)?;
        self.sets.get(index).cloned()
    }
}

fn same_pairs(borrowed: &[(&str, &str)], owned: &[(String, String)]) -> bool {
    borrowed.len() == owned.len()
        && borrowed
            .iter()
            .zip(owned)
            .all(|(&(key, value), (owned_key, owned_value))| {
                key == owned_key && value == owned_value
            })
}

#[cfg(test)]
mod tests {
    use std::hash::{BuildHasherDefault, Hasher};

    use super::{Interner, OVERFLOW};

    fn pairs(set: &[(String, String)]) -> Vec<(&str, &str)> {
        set.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
    }

    #[test]
    fn equal_sets_get_equal_ids_whatever_the_order_given() {
        let interner = Interner::new(16);
        let a = interner.intern_merged(0, &[("x", "1"), ("y", "2")]);
        let b = interner.intern_merged(0, &[("y", "2"), ("x", "1")]);
        let other = interner.intern_merged(0, &[("x", "1"), ("y", "3")]);
        assert_ne!(a, 0);
        assert_eq!(a, b);
        assert_ne!(a, other);
    }

    #[test]
    fn merging_over_a_base_reaches_the_same_id_as_the_whole_set() {
        let interner = Interner::new(16);
        let base = interner.intern_merged(0, &[("route", "/a"), ("tenant", "t1")]);
        let merged = interner.intern_merged(base, &[("tenant", "t2"), ("job", "j")]);
        let direct = interner.intern_merged(0, &[("job", "j"), ("route", "/a"), ("tenant", "t2")]);
        assert_eq!(merged, direct);
        assert_eq!(interner.intern_merged(base, &[]), base);
    }

    #[test]
    fn resolves_sorted_sets_and_rejects_unknown_ids() {
        let interner = Interner::new(16);
        let id = interner.intern_merged(0, &[("b", "2"), ("a", "1")]);
        let set = interner.resolve(id).unwrap();
        assert_eq!(pairs(&set), [("a", "1"), ("b", "2")]);
        assert!(interner.resolve(0).is_none());
        assert!(interner.resolve(id + 1).is_none());
        assert!(interner.resolve(u32::MAX).is_none());
    }

    #[test]
    fn the_empty_set_is_id_zero() {
        let interner = Interner::new(16);
        assert_eq!(interner.intern_merged(0, &[]), 0);
        assert_eq!(interner.overflow_count(), 0);
    }

    #[test]
    fn sets_past_the_cap_map_to_the_overflow_set_and_are_counted() {
        let interner = Interner::new(2);
        let first = interner.intern_merged(0, &[("n", "1")]);
        let second = interner.intern_merged(0, &[("n", "2")]);
        assert_eq!(interner.overflow_count(), 0);

        let third = interner.intern_merged(0, &[("n", "3")]);
        let fourth = interner.intern_merged(first, &[("m", "x")]);
        assert_eq!(third, fourth);
        assert_eq!(pairs(&interner.resolve(third).unwrap()), OVERFLOW);
        assert_eq!(interner.overflow_count(), 2);

        // Sets interned before the cap keep their ids, and finding them is not an overflow.
        assert_eq!(interner.intern_merged(0, &[("n", "1")]), first);
        assert_eq!(interner.intern_merged(0, &[("n", "2")]), second);
        assert_eq!(pairs(&interner.resolve(first).unwrap()), [("n", "1")]);
        assert_eq!(interner.overflow_count(), 2);
        // Asking for the overflow set by name finds it without counting an overflow.
        assert_eq!(interner.intern_merged(0, &OVERFLOW), third);
        assert_eq!(interner.overflow_count(), 2);
        assert!(interner.resolve(third + 1).is_none());
    }

    #[test]
    fn an_overflow_set_interned_before_the_cap_is_reused() {
        let interner = Interner::new(1);
        let named = interner.intern_merged(0, &OVERFLOW);
        assert_eq!(interner.intern_merged(0, &[("n", "1")]), named);
        assert_eq!(interner.overflow_count(), 1);
    }

    #[test]
    fn a_cap_of_zero_sends_every_set_to_overflow() {
        let interner = Interner::new(0);
        let id = interner.intern_merged(0, &[("n", "1")]);
        assert_eq!(pairs(&interner.resolve(id).unwrap()), OVERFLOW);
        assert_eq!(interner.intern_merged(0, &[]), 0);
    }

    /// Hashes everything to 0, so every set collides.
    #[derive(Default)]
    struct Colliding;

    impl Hasher for Colliding {
        fn finish(&self) -> u64 {
            0
        }
        fn write(&mut self, _bytes: &[u8]) {}
    }

    #[test]
    fn colliding_hashes_keep_sets_apart() {
        let interner = Interner::with_hasher(16, BuildHasherDefault::<Colliding>::default());
        let ids: Vec<u32> = ["1", "2", "3"]
            .iter()
            .map(|n| interner.intern_merged(0, &[("n", n)]))
            .collect();
        assert_eq!(ids, [1, 2, 3]);
        for (id, n) in ids.iter().zip(["1", "2", "3"]) {
            assert_eq!(interner.intern_merged(0, &[("n", n)]), *id);
            assert_eq!(pairs(&interner.resolve(*id).unwrap()), [("n", n)]);
        }
    }
}
