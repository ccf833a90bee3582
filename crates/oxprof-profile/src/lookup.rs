//! Id → position lookups for the tables of a [`Profile`](crate::Profile).
//!
//! Samples, locations and lines refer to other entries by id. Profiles written by pprof, Go and
//! oxprof number every table 1..n in order, so the common case needs no hash map at all: the
//! position is `id - 1`. Anything else falls back to a map.

use std::collections::HashMap;

/// Finds the position of an entry from its id.
pub(crate) enum IdIndex {
    /// Entry `i` has id `i + 1` for all `i < len`.
    Dense(usize),
    /// Arbitrary ids.
    Sparse(HashMap<u64, usize>),
}

impl IdIndex {
    /// Indexes `ids`, given in table order. On duplicate ids the first entry wins.
    pub(crate) fn new(ids: impl ExactSizeIterator<Item = u64> + Clone) -> Self {
        let len = ids.len();
        if ids.clone().enumerate().all(|(i, id)| id == i as u64 + 1) {
            return IdIndex::Dense(len);
        }
        let mut map = HashMap::with_capacity(len);
        for (i, id) in ids.enumerate() {
            map.entry(id).or_insert(i);
        }
        IdIndex::Sparse(map)
    }

    /// The position of the entry with this id, if there is one.
    pub(crate) fn get(&self, id: u64) -> Option<usize> {
        match self {
            IdIndex::Dense(len) => {
                let pos = usize::try_from(id.checked_sub(1)?).ok()?;
                (pos < *len).then_some(pos)
            }
            IdIndex::Sparse(map) => map.get(&id).copied(),
        }
    }
}

/// Lookups for the three id-bearing tables of one profile.
pub(crate) struct Lookup {
    pub(crate) location: IdIndex,
    pub(crate) function: IdIndex,
    pub(crate) mapping: IdIndex,
}

impl Lookup {
    pub(crate) fn new(p: &crate::Profile) -> Self {
        Lookup {
            location: IdIndex::new(p.location.iter().map(|l| l.id)),
            function: IdIndex::new(p.function.iter().map(|f| f.id)),
            mapping: IdIndex::new(p.mapping.iter().map(|m| m.id)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::IdIndex;

    #[test]
    fn dense_and_sparse_agree() {
        let dense = IdIndex::new([1u64, 2, 3].into_iter());
        assert!(matches!(dense, IdIndex::Dense(3)));
        assert_eq!(dense.get(2), Some(1));
        assert_eq!(dense.get(0), None);
        assert_eq!(dense.get(4), None);
        let sparse = IdIndex::new([7u64, 3, 7].into_iter());
        assert_eq!(sparse.get(7), Some(0));
        assert_eq!(sparse.get(3), Some(1));
        assert_eq!(sparse.get(1), None);
    }
}
