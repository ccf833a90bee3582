//! Compaction: what is left after filters, in the smallest equivalent profile.
//!
//! As in pprof, compacting is merging a profile with nothing else: identical locations,
//! functions and mappings collapse, samples with the same stack and labels are summed, all-zero
//! samples go, unreferenced entries go, and ids become 1..n.

use crate::merge::merge_refs;
use crate::{Profile, Result};

impl Profile {
    /// Compacts the profile in place (pprof's `Compact`). On error, which only a profile referring
    /// to ids its tables lack can cause, the profile is left unchanged.
    ///
    /// ```
    /// use oxprof_profile::{Function, Profile, Sample, ValueType};
    /// let mut p = Profile {
    ///     sample_type: vec![ValueType::new("samples", "count")],
    ///     sample: vec![
    ///         Sample { location_id: vec![], value: vec![1], label: vec![] },
    ///         Sample { location_id: vec![], value: vec![0], label: vec![] },
    ///         Sample { location_id: vec![], value: vec![2], label: vec![] },
    ///     ],
    ///     function: vec![Function { id: 9, name: "unused".into(), ..Default::default() }],
    ///     ..Profile::default()
    /// };
    /// p.compact().unwrap();
    /// assert_eq!(p.sample.len(), 1);
    /// assert_eq!(p.sample[0].value, vec![3]);
    /// assert!(p.function.is_empty());
    /// ```
    pub fn compact(&mut self) -> Result<()> {
        *self = merge_refs(&[self])?;
        Ok(())
    }
}
