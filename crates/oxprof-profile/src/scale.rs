//! Scaling sample values, and what pprof builds on it: `-normalize`, `-base` (subtracting a
//! profile) and `-diff_base` (comparing against one, with its samples labelled).

use crate::{Error, Label, LabelValue, Profile, Result, Sample};

/// The label key pprof puts on the samples of a `-diff_base` profile.
pub const DIFF_BASE_LABEL: &str = "pprof::base";

impl Profile {
    /// Multiplies every sample value by `ratio`; see [`Profile::scale_n`].
    ///
    /// ```
    /// use oxprof_profile::{Profile, Sample, ValueType};
    /// let mut p = Profile {
    ///     sample_type: vec![ValueType::new("samples", "count")],
    ///     sample: vec![Sample { location_id: vec![], value: vec![3], label: vec![] }],
    ///     ..Profile::default()
    /// };
    /// p.scale(-1.0);
    /// assert_eq!(p.sample[0].value, vec![-3]);
    /// ```
    pub fn scale(&mut self, ratio: f64) {
        let ratios = vec![ratio; self.sample_type.len()];
        self.scale_n(&ratios).expect("one ratio per sample type");
    }

    /// Multiplies the `i`th value of every sample by `ratios[i]`, rounding half away from zero.
    /// As in pprof, a sample is dropped when every value whose ratio is not 1 became zero, and
    /// nothing changes when all ratios are 1.
    ///
    /// ```
    /// use oxprof_profile::{Profile, Sample, ValueType};
    /// let mut p = Profile {
    ///     sample_type: vec![ValueType::new("samples", "count"), ValueType::new("cpu", "nanoseconds")],
    ///     sample: vec![Sample { location_id: vec![], value: vec![3, 5], label: vec![] }],
    ///     ..Profile::default()
    /// };
    /// p.scale_n(&[1.0, 0.5]).unwrap();
    /// assert_eq!(p.sample[0].value, vec![3, 3]);
    /// assert!(p.scale_n(&[1.0]).is_err());
    /// ```
    pub fn scale_n(&mut self, ratios: &[f64]) -> Result<()> {
        if ratios.len() != self.sample_type.len() {
            return Err(Error::bad_option(format!(
                "mismatched scale ratios, got {}, want {}",
                ratios.len(),
                self.sample_type.len()
            )));
        }
        if ratios.iter().all(|&r| r == 1.0) {
            return Ok(());
        }
        self.sample.retain_mut(|s| {
            let mut keep = false;
            for (v, &r) in s.value.iter_mut().zip(ratios).filter(|(_, &r)| r != 1.0) {
                // `as` saturates, so absurd ratios clamp instead of wrapping.
                *v = (*v as f64 * r).round() as i64;
                keep |= *v != 0;
            }
            keep
        });
        Ok(())
    }

    /// Scales this profile so that, per sample type, its total equals the total of `base`
    /// (pprof's `-normalize`). A sample type totalling zero here is scaled by zero.
    ///
    /// ```
    /// use oxprof_profile::{Profile, Sample, ValueType};
    /// let with = |v: i64| Profile {
    ///     sample_type: vec![ValueType::new("samples", "count")],
    ///     sample: vec![Sample { location_id: vec![], value: vec![v], label: vec![] }],
    ///     ..Profile::default()
    /// };
    /// let mut p = with(10);
    /// p.normalize(&with(40)).unwrap();
    /// assert_eq!(p.sample[0].value, vec![40]);
    /// ```
    pub fn normalize(&mut self, base: &Profile) -> Result<()> {
        self.compatible(base)?;
        let base_totals = totals(base, self.sample_type.len());
        let own_totals = totals(self, self.sample_type.len());
        let ratios: Vec<f64> = base_totals
            .iter()
            .zip(&own_totals)
            .map(|(&b, &s)| if s == 0 { 0.0 } else { b as f64 / s as f64 })
            .collect();
        self.scale_n(&ratios)
    }

    /// Sets the string label `key` to `values` on every sample, replacing its previous values.
    ///
    /// ```
    /// use oxprof_profile::{Label, Profile, Sample};
    /// let mut p = Profile {
    ///     sample: vec![Sample { location_id: vec![], value: vec![1], label: vec![Label::str("k", "old")] }],
    ///     ..Profile::default()
    /// };
    /// p.set_label("k", &["new"]);
    /// assert_eq!(p.sample[0].label, vec![Label::str("k", "new")]);
    /// ```
    pub fn set_label(&mut self, key: &str, values: &[&str]) {
        for s in &mut self.sample {
            s.label
                .retain(|l| !(l.key == key && matches!(l.value, LabelValue::Str(_))));
            s.label.extend(values.iter().map(|v| Label::str(key, *v)));
        }
    }

    /// Removes the string label `key` from every sample.
    ///
    /// ```
    /// use oxprof_profile::{Label, Profile, Sample};
    /// let mut p = Profile {
    ///     sample: vec![Sample { location_id: vec![], value: vec![1], label: vec![Label::str("k", "v")] }],
    ///     ..Profile::default()
    /// };
    /// p.remove_label("k");
    /// assert!(p.sample[0].label.is_empty());
    /// ```
    pub fn remove_label(&mut self, key: &str) {
        for s in &mut self.sample {
            s.label
                .retain(|l| !(l.key == key && matches!(l.value, LabelValue::Str(_))));
        }
    }

    /// Combines this profile with a base profile as pprof's `-base` and `-diff_base` do:
    /// with `diff_base`, the base's samples are labelled [`DIFF_BASE_LABEL`]` = true` so that
    /// reports can tell them apart; with `normalize`, this profile is first scaled so its totals
    /// match the base's; then the base is negated and both are merged after unit conversion
    /// ([`Profile::combine`]).
    ///
    /// ```
    /// use oxprof_profile::{Profile, Sample, ValueType};
    /// let with = |v: i64| Profile {
    ///     sample_type: vec![ValueType::new("samples", "count")],
    ///     sample: vec![Sample { location_id: vec![], value: vec![v], label: vec![] }],
    ///     ..Profile::default()
    /// };
    /// let delta = with(10).with_base(with(4), false, false).unwrap();
    /// assert_eq!(delta.sample[0].value, vec![6]);
    /// let diff = with(10).with_base(with(4), true, false).unwrap();
    /// assert_eq!(diff.sample.len(), 2);
    /// assert!(diff.sample[1].is_diff_base());
    /// ```
    pub fn with_base(
        mut self,
        mut base: Profile,
        diff_base: bool,
        normalize: bool,
    ) -> Result<Profile> {
        if diff_base {
            base.set_label(DIFF_BASE_LABEL, &["true"]);
        }
        if normalize {
            self.normalize(&base)?;
        }
        base.scale(-1.0);
        Profile::combine(vec![self, base])
    }
}

/// Per sample type, the sum of all sample values.
fn totals(p: &Profile, n: usize) -> Vec<i64> {
    let mut sums = vec![0i64; n];
    for s in &p.sample {
        for (sum, v) in sums.iter_mut().zip(&s.value) {
            *sum = sum.wrapping_add(*v);
        }
    }
    sums
}

impl Sample {
    /// Whether the sample has the string label `key` with value `value`.
    ///
    /// ```
    /// let s = oxprof_profile::Sample { label: vec![oxprof_profile::Label::str("k", "v")], ..Default::default() };
    /// assert!(s.has_label("k", "v"));
    /// assert!(!s.has_label("k", "w"));
    /// ```
    pub fn has_label(&self, key: &str, value: &str) -> bool {
        self.label
            .iter()
            .any(|l| l.key == key && matches!(&l.value, LabelValue::Str(v) if v == value))
    }

    /// Whether the sample comes from a `-diff_base` profile (labelled [`DIFF_BASE_LABEL`]` = true`).
    ///
    /// ```
    /// let s = oxprof_profile::Sample { label: vec![oxprof_profile::Label::str("pprof::base", "true")], ..Default::default() };
    /// assert!(s.is_diff_base());
    /// ```
    pub fn is_diff_base(&self) -> bool {
        self.has_label(DIFF_BASE_LABEL, "true")
    }
}
