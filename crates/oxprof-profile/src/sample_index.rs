//! Choosing which sample value a report shows: `sample_index` by type name or position, and the
//! legacy flags (`-inuse_space`, `-total_delay`...) that stand for a type name.

use crate::{Error, Profile, Result};

/// The legacy flags that select a sample type: flag name (without dashes), the sample type it
/// selects, and whether it also asks for the mean (`-mean_delay`).
const LEGACY_FLAGS: [(&str, &str, bool); 7] = [
    ("total_delay", "delay", false),
    ("mean_delay", "delay", true),
    ("contentions", "contentions", false),
    ("inuse_space", "inuse_space", false),
    ("inuse_objects", "inuse_objects", false),
    ("alloc_space", "alloc_space", false),
    ("alloc_objects", "alloc_objects", false),
];

/// What a legacy sample-selection flag means: `(sample type, mean)`, or `None` for other flags.
/// pprof checks these flags in the order `total_delay`, `mean_delay`, `contentions`,
/// `inuse_space`, `inuse_objects`, `alloc_space`, `alloc_objects`; the first one given wins.
///
/// ```
/// use oxprof_profile::legacy_sample_index_flag;
/// assert_eq!(legacy_sample_index_flag("inuse_space"), Some(("inuse_space", false)));
/// assert_eq!(legacy_sample_index_flag("mean_delay"), Some(("delay", true)));
/// assert_eq!(legacy_sample_index_flag("cum"), None);
/// ```
pub fn legacy_sample_index_flag(flag: &str) -> Option<(&'static str, bool)> {
    LEGACY_FLAGS
        .iter()
        .find(|(name, ..)| *name == flag)
        .map(|&(_, ty, mean)| (ty, mean))
}

impl Profile {
    /// The position in [`Profile::sample_type`] that `sample_index` selects (pprof's
    /// `SampleIndexByName`): empty means the default sample type, else the last one; a number
    /// is a position; a name is a sample type, where `inuse_space` also finds a legacy `space`.
    ///
    /// ```
    /// use oxprof_profile::{Profile, ValueType};
    /// let p = Profile {
    ///     sample_type: vec![ValueType::new("alloc_objects", "count"), ValueType::new("alloc_space", "bytes")],
    ///     ..Profile::default()
    /// };
    /// assert_eq!(p.sample_index("alloc_objects").unwrap(), 0);
    /// assert_eq!(p.sample_index("1").unwrap(), 1);
    /// assert_eq!(p.sample_index("").unwrap(), 1);
    /// assert_eq!(
    ///     p.sample_index("foo").unwrap_err().to_string(),
    ///     "sample_index \"foo\" not found; choose one of alloc_objects, alloc_space"
    /// );
    /// ```
    pub fn sample_index(&self, name_or_number: &str) -> Result<usize> {
        let types = &self.sample_type;
        if types.is_empty() {
            return Err(Error::bad_option(
                "profile has no sample types to choose from",
            ));
        }
        if name_or_number.is_empty() {
            let default = &self.default_sample_type;
            let chosen = types
                .iter()
                .position(|t| !default.is_empty() && t.ty == *default);
            return Ok(chosen.unwrap_or(types.len() - 1));
        }
        if let Ok(n) = name_or_number.parse::<i64>() {
            return usize::try_from(n)
                .ok()
                .filter(|&i| i < types.len())
                .ok_or_else(|| {
                    Error::bad_option(format!(
                        "sample_index {name_or_number} is outside the range [0..{}]",
                        types.len() - 1
                    ))
                });
        }
        let without_inuse = name_or_number
            .strip_prefix("inuse_")
            .unwrap_or(name_or_number);
        types
            .iter()
            .position(|t| t.ty == name_or_number || t.ty == without_inuse)
            .ok_or_else(|| {
                let names: Vec<&str> = types.iter().map(|t| t.ty.as_str()).collect();
                Error::bad_option(format!(
                    "sample_index {name_or_number:?} not found; choose one of {}",
                    names.join(", ")
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use crate::{Profile, ValueType};

    fn heap() -> Profile {
        Profile {
            sample_type: [
                "alloc_objects",
                "alloc_space",
                "inuse_objects",
                "inuse_space",
            ]
            .iter()
            .map(|t| ValueType::new(*t, "x"))
            .collect(),
            default_sample_type: "alloc_space".into(),
            ..Profile::default()
        }
    }

    #[test]
    fn default_type_is_chosen_when_empty() {
        assert_eq!(heap().sample_index("").unwrap(), 1);
    }

    #[test]
    fn legacy_space_types_are_found_by_inuse_names() {
        let p = Profile {
            sample_type: vec![
                ValueType::new("objects", "count"),
                ValueType::new("space", "bytes"),
            ],
            ..Profile::default()
        };
        assert_eq!(p.sample_index("inuse_space").unwrap(), 1);
        assert_eq!(p.sample_index("inuse_objects").unwrap(), 0);
    }

    #[test]
    fn bad_numbers_and_empty_profiles_are_errors() {
        let err = heap().sample_index("4").unwrap_err();
        assert_eq!(
            err.to_string(),
            "sample_index 4 is outside the range [0..3]"
        );
        assert!(heap().sample_index("-1").is_err());
        assert_eq!(heap().sample_index("+2").unwrap(), 2);
        assert!(Profile::default().sample_index("").is_err());
    }
}
