//! What a profile's mappings say about its symbols: whether reports can show function names,
//! file names and lines, and which mappings no symbolizer could ever resolve.

use crate::lookup::IdIndex;
use crate::{Mapping, Profile};

impl Profile {
    /// Whether every location in a mapping has function names (pprof's `HasFunctions`);
    /// locations without a mapping count as symbolized.
    ///
    /// ```
    /// use oxprof_profile::{Location, Mapping, Profile};
    /// let mut p = Profile {
    ///     mapping: vec![Mapping { id: 1, has_functions: true, ..Default::default() }],
    ///     location: vec![Location { id: 1, mapping_id: 1, ..Default::default() }],
    ///     ..Profile::default()
    /// };
    /// assert!(p.has_functions());
    /// p.mapping[0].has_functions = false;
    /// assert!(!p.has_functions());
    /// ```
    pub fn has_functions(&self) -> bool {
        self.all_mapped_locations(|m| m.has_functions)
    }

    /// Whether every location in a mapping has file names and line numbers (pprof's
    /// `HasFileLines`).
    ///
    /// ```
    /// use oxprof_profile::{Location, Mapping, Profile};
    /// let p = Profile {
    ///     mapping: vec![Mapping { id: 1, has_filenames: true, ..Default::default() }],
    ///     location: vec![Location { id: 1, mapping_id: 1, ..Default::default() }],
    ///     ..Profile::default()
    /// };
    /// assert!(!p.has_file_lines());
    /// ```
    pub fn has_file_lines(&self) -> bool {
        self.all_mapped_locations(|m| m.has_filenames && m.has_line_numbers)
    }

    fn all_mapped_locations(&self, symbolized: impl Fn(&Mapping) -> bool) -> bool {
        let mappings = IdIndex::new(self.mapping.iter().map(|m| m.id));
        self.location
            .iter()
            .filter_map(|l| mappings.get(l.mapping_id))
            .all(|i| symbolized(&self.mapping[i]))
    }
}

impl Mapping {
    /// Whether no symbolizer can resolve addresses in this mapping: pseudo files such as
    /// `[vdso]`, `linux-vdso.so.1`, `/dev/dri/...` and `//anon` (pprof's `Unsymbolizable`).
    ///
    /// ```
    /// let m = |f: &str| oxprof_profile::Mapping { filename: f.into(), ..Default::default() };
    /// assert!(m("[vdso]").unsymbolizable());
    /// assert!(m("/usr/lib/[weird]").unsymbolizable());
    /// assert!(!m("/bin/app").unsymbolizable());
    /// ```
    pub fn unsymbolizable(&self) -> bool {
        let file = self.filename.as_str();
        let base = file
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or_default();
        base.starts_with('[')
            || base.starts_with("linux-vdso")
            || file.starts_with("/dev/dri/")
            || file == "//anon"
    }
}
