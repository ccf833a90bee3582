//! The consistency rules of `profile.proto` that the types alone do not enforce: non-zero,
//! unique ids, links that lead somewhere, one value per sample type.
//!
//! [`Profile::decode`](crate::Profile::decode) applies the same rules, so a profile that decodes
//! also validates.

use std::collections::hash_map::{Entry, HashMap};

use crate::{Error, Profile, Result};

/// Where each id of one kind (mapping, location or function) sits in its vector.
///
/// Profiles written by pprof and Go number ids 1..n, so ids up to the count are looked up in a
/// plain vector and only the others go through a hash map: this keeps the per-reference cost of
/// decoding and encoding a million-sample profile to an array access.
pub(crate) struct IdIndex {
    dense: Vec<usize>,
    sparse: HashMap<u64, usize>,
}

/// A broken id rule found while building an [`IdIndex`].
pub(crate) enum IdProblem {
    /// The entity at this vector index has id 0.
    Zero(usize),
    /// This id occurs more than once.
    Duplicate(u64),
}

impl IdIndex {
    /// Indexes `ids` by position. The first occurrence of a duplicated id wins; the first
    /// problem met is returned alongside so callers can decide whether it matters.
    pub(crate) fn build(ids: impl ExactSizeIterator<Item = u64>) -> (Self, Option<IdProblem>) {
        const ABSENT: usize = usize::MAX;
        let mut dense = vec![ABSENT; ids.len() + 1];
        let mut sparse = HashMap::new();
        let mut problem = None;
        for (pos, id) in ids.enumerate() {
            if id == 0 {
                problem.get_or_insert(IdProblem::Zero(pos));
                continue;
            }
            let fresh = match usize::try_from(id).ok().and_then(|i| dense.get_mut(i)) {
                Some(slot) => {
                    let fresh = *slot == ABSENT;
                    if fresh {
                        *slot = pos;
                    }
                    fresh
                }
                None => match sparse.entry(id) {
                    Entry::Vacant(e) => {
                        e.insert(pos);
                        true
                    }
                    Entry::Occupied(_) => false,
                },
            };
            if !fresh {
                problem.get_or_insert(IdProblem::Duplicate(id));
            }
        }
        (IdIndex { dense, sparse }, problem)
    }

    /// The vector index of the entity with this id.
    #[inline]
    pub(crate) fn get(&self, id: u64) -> Option<usize> {
        match usize::try_from(id).ok().and_then(|i| self.dense.get(i)) {
            Some(&pos) if pos != usize::MAX => Some(pos),
            Some(_) => None,
            None => self.sparse.get(&id).copied(),
        }
    }
}

/// Indexes the ids of one kind, failing on the first zero or duplicate id.
fn index(kind: &str, ids: impl ExactSizeIterator<Item = u64>) -> Result<IdIndex> {
    match IdIndex::build(ids) {
        (index, None) => Ok(index),
        (_, Some(IdProblem::Zero(pos))) => Err(Error::invalid(format!(
            "{kind} at index {pos} has the reserved id 0"
        ))),
        (_, Some(IdProblem::Duplicate(id))) => {
            Err(Error::invalid(format!("duplicate {kind} id {id}")))
        }
    }
}

impl Profile {
    /// Checks the rules of `profile.proto`: ids are non-zero and unique per kind, every sample
    /// location, location mapping and line function id refers to an existing entity (0 means
    /// "none" for mappings and functions), every sample has one value per sample type, and
    /// samples come with sample types.
    ///
    /// ```
    /// use oxprof_profile::{Profile, Sample, ValueType};
    /// let mut p = Profile {
    ///     sample_type: vec![ValueType::new("samples", "count")],
    ///     sample: vec![Sample { value: vec![1], ..Sample::default() }],
    ///     ..Profile::default()
    /// };
    /// assert!(p.validate().is_ok());
    /// p.sample[0].value.push(2);
    /// assert_eq!(
    ///     p.validate().unwrap_err().to_string(),
    ///     "invalid profile: sample 0 has 2 values but there are 1 sample types"
    /// );
    /// ```
    pub fn validate(&self) -> Result<()> {
        let types = self.sample_type.len();
        if types == 0 && !self.sample.is_empty() {
            return Err(Error::invalid(format!(
                "{} samples but no sample types",
                self.sample.len()
            )));
        }
        let mappings = index("mapping", self.mapping.iter().map(|m| m.id))?;
        let functions = index("function", self.function.iter().map(|f| f.id))?;
        let locations = index("location", self.location.iter().map(|l| l.id))?;
        for loc in &self.location {
            if loc.mapping_id != 0 && mappings.get(loc.mapping_id).is_none() {
                return Err(Error::invalid(format!(
                    "location {} refers to missing mapping {}",
                    loc.id, loc.mapping_id
                )));
            }
            for line in &loc.line {
                if line.function_id != 0 && functions.get(line.function_id).is_none() {
                    return Err(Error::invalid(format!(
                        "location {} refers to missing function {}",
                        loc.id, line.function_id
                    )));
                }
            }
        }
        for (i, s) in self.sample.iter().enumerate() {
            if s.value.len() != types {
                return Err(Error::invalid(format!(
                    "sample {i} has {} values but there are {types} sample types",
                    s.value.len()
                )));
            }
            if let Some(id) = s
                .location_id
                .iter()
                .find(|&&id| locations.get(id).is_none())
            {
                return Err(Error::invalid(format!(
                    "sample {i} refers to missing location {id}"
                )));
            }
        }
        Ok(())
    }
}
