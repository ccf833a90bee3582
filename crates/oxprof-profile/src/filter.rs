//! Name filters: `focus`, `ignore`, `hide`, `show` and `show_from`, as pprof applies them.
//!
//! A frame matches a regex when the name or file name of the function of one of its lines does,
//! or when the file name of its mapping does. `focus` keeps samples with a matching frame,
//! `ignore` drops samples with one, `hide` removes matching lines (and frames left without
//! lines) from stacks, `show` keeps only matching lines, and `show_from` cuts every stack above
//! (rootward of) its rootmost matching frame. Hide and show work line by line, so hiding an
//! inlined callee keeps its caller in the same frame.

use regex::Regex;

use crate::lookup::Lookup;
use crate::{Error, Function, Line, Location, Mapping, Profile, Result};

/// Which of the regexes given to [`Profile::filter_samples_by_name`] matched anything, so that a
/// caller can warn about a filter that matched nothing (pprof prints
/// `Focus expression matched no samples`).
///
/// ```
/// let m = oxprof_profile::NameMatches::default();
/// assert!(!m.focus && !m.ignore && !m.hide && !m.show);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NameMatches {
    /// Some frame matched `focus` (always true without `focus` if there is any frame).
    pub focus: bool,
    /// Some frame matched `ignore`.
    pub ignore: bool,
    /// Some frame matched `hide`.
    pub hide: bool,
    /// Some frame kept a line under `show`.
    pub show: bool,
}

/// Compiles the regex given to the option `option`; an empty value means "no filter".
///
/// ```
/// use oxprof_profile::compile_regex_option;
/// assert!(compile_regex_option("focus", "").unwrap().is_none());
/// assert!(compile_regex_option("focus", "main\\.").unwrap().is_some());
/// let err = compile_regex_option("focus", "(").unwrap_err();
/// assert_eq!(err.to_string(), "parsing focus regexp \"(\": unclosed group");
/// ```
pub fn compile_regex_option(option: &str, value: &str) -> Result<Option<Regex>> {
    if value.is_empty() {
        return Ok(None);
    }
    Regex::new(value).map(Some).map_err(|err| {
        Error::bad_option(format!(
            "parsing {option} regexp {value:?}: {}",
            regex_error_summary(&err)
        ))
    })
}

/// The one line of a regex error that says what is wrong: the crate's syntax errors span
/// several lines (pattern, caret, message) and error messages here are one line.
pub(crate) fn regex_error_summary(err: &regex::Error) -> String {
    let text = err.to_string();
    text.lines()
        .rev()
        .find_map(|line| line.strip_prefix("error: "))
        .unwrap_or_else(|| text.lines().last().unwrap_or_default())
        .trim()
        .to_string()
}

/// Resolves the functions and mappings of frames for name matching.
pub(crate) struct Names<'a> {
    functions: &'a [Function],
    mappings: &'a [Mapping],
    lookup: &'a Lookup,
}

impl<'a> Names<'a> {
    pub(crate) fn new(
        functions: &'a [Function],
        mappings: &'a [Mapping],
        lookup: &'a Lookup,
    ) -> Self {
        Names {
            functions,
            mappings,
            lookup,
        }
    }

    /// The function of a line, if it has one.
    pub(crate) fn function(&self, line: &Line) -> Option<&'a Function> {
        self.lookup
            .function
            .get(line.function_id)
            .map(|i| &self.functions[i])
    }

    /// Whether the line has a function whose name or file name matches; `None` without one.
    fn line_matches(&self, line: &Line, re: &Regex) -> Option<bool> {
        self.function(line)
            .map(|f| re.is_match(&f.name) || re.is_match(&f.filename))
    }

    fn mapping_matches(&self, loc: &Location, re: &Regex) -> bool {
        self.lookup
            .mapping
            .get(loc.mapping_id)
            .is_some_and(|i| re.is_match(&self.mappings[i].filename))
    }

    fn location_matches(&self, loc: &Location, re: &Regex) -> bool {
        loc.line
            .iter()
            .any(|l| self.line_matches(l, re) == Some(true))
            || self.mapping_matches(loc, re)
    }

    /// The lines `hide` leaves: none if the mapping matches, else those without a matching function.
    fn unmatched_lines(&self, loc: &Location, re: &Regex) -> Vec<Line> {
        if self.mapping_matches(loc, re) {
            return Vec::new();
        }
        loc.line
            .iter()
            .filter(|l| self.line_matches(l, re) != Some(true))
            .cloned()
            .collect()
    }

    /// The lines `show` keeps: all if the mapping matches, else the matching ones and those
    /// without a function.
    fn matched_lines(&self, loc: &Location, re: &Regex) -> Vec<Line> {
        if self.mapping_matches(loc, re) {
            return loc.line.clone();
        }
        loc.line
            .iter()
            .filter(|l| self.line_matches(l, re) != Some(false))
            .cloned()
            .collect()
    }
}

impl Profile {
    /// Applies `focus`, `ignore`, `hide` and `show` at once, as pprof's `FilterSamplesByName`.
    ///
    /// Keeps the samples with at least one frame matching `focus` (any frame when `focus` is
    /// `None`) and none matching `ignore`, so samples with empty stacks are always dropped. Then
    /// removes from each location the lines matching `hide`, and those not matching `show`, and
    /// drops frames left without lines from the stacks, and samples left without frames.
    ///
    /// ```
    /// use oxprof_profile::{Function, Line, Location, Profile, Sample, ValueType};
    /// let mut p = Profile {
    ///     sample_type: vec![ValueType::new("samples", "count")],
    ///     function: vec![
    ///         Function { id: 1, name: "main.main".into(), ..Default::default() },
    ///         Function { id: 2, name: "runtime.mallocgc".into(), ..Default::default() },
    ///     ],
    ///     location: vec![
    ///         Location { id: 1, line: vec![Line { function_id: 1, line: 3, column: 0 }], ..Default::default() },
    ///         Location { id: 2, line: vec![Line { function_id: 2, line: 9, column: 0 }], ..Default::default() },
    ///     ],
    ///     sample: vec![
    ///         Sample { location_id: vec![2, 1], value: vec![5], label: vec![] },
    ///         Sample { location_id: vec![1], value: vec![7], label: vec![] },
    ///     ],
    ///     ..Profile::default()
    /// };
    /// let ignore = regex::Regex::new("malloc").unwrap();
    /// let matched = p.filter_samples_by_name(None, Some(&ignore), None, None);
    /// assert!(matched.ignore);
    /// assert_eq!(p.sample.len(), 1);
    /// assert_eq!(p.sample[0].value, vec![7]);
    /// ```
    pub fn filter_samples_by_name(
        &mut self,
        focus: Option<&Regex>,
        ignore: Option<&Regex>,
        hide: Option<&Regex>,
        show: Option<&Regex>,
    ) -> NameMatches {
        let lookup = Lookup::new(self);
        let names = Names::new(&self.function, &self.mapping, &lookup);
        let mut matches = NameMatches::default();
        // Per location position: Some(true) focused, Some(false) ignored, None neither.
        let mut verdict = vec![None; self.location.len()];
        let mut hidden = vec![false; self.location.len()];
        let mut any_hidden = false;
        for (i, loc) in self.location.iter_mut().enumerate() {
            if ignore.is_some_and(|re| names.location_matches(loc, re)) {
                matches.ignore = true;
                verdict[i] = Some(false);
            } else if focus.map_or(true, |re| names.location_matches(loc, re)) {
                matches.focus = true;
                verdict[i] = Some(true);
            }
            if let Some(re) = hide.filter(|re| names.location_matches(loc, re)) {
                matches.hide = true;
                loc.line = names.unmatched_lines(loc, re);
                hidden[i] |= loc.line.is_empty();
            }
            if let Some(re) = show {
                loc.line = names.matched_lines(loc, re);
                if loc.line.is_empty() {
                    hidden[i] = true;
                } else {
                    matches.show = true;
                }
            }
            any_hidden |= hidden[i];
        }

        let loc_pos = |id: u64| lookup.location.get(id);
        self.sample.retain_mut(|s| {
            let mut focused = false;
            for pos in s.location_id.iter().filter_map(|&id| loc_pos(id)) {
                match verdict[pos] {
                    Some(false) => return false,
                    Some(true) => focused = true,
                    None => {}
                }
            }
            if !focused {
                return false;
            }
            if any_hidden {
                s.location_id
                    .retain(|&id| !loc_pos(id).is_some_and(|pos| hidden[pos]));
                return !s.location_id.is_empty();
            }
            true
        });
        matches
    }

    /// Drops every frame rootward of the rootmost frame matching `re`, and the samples without
    /// such a frame; returns whether any frame matched. Within a location, the lines (inlined
    /// callers) above the rootmost matching line go too, unless the mapping's file name matches.
    ///
    /// ```
    /// use oxprof_profile::{Function, Line, Location, Profile, Sample};
    /// let f = |id: u64, name: &str| Function { id, name: name.into(), ..Default::default() };
    /// let loc = |id: u64| Location { id, line: vec![Line { function_id: id, line: 1, column: 0 }], ..Default::default() };
    /// let mut p = Profile {
    ///     function: vec![f(1, "a"), f(2, "b"), f(3, "c")],
    ///     location: vec![loc(1), loc(2), loc(3)],
    ///     sample: vec![Sample { location_id: vec![3, 2, 1], value: vec![1], label: vec![] }],
    ///     ..Profile::default()
    /// };
    /// assert!(p.show_from(&regex::Regex::new("^b$").unwrap()));
    /// assert_eq!(p.sample[0].location_id, vec![3, 2]);
    /// ```
    pub fn show_from(&mut self, re: &Regex) -> bool {
        let lookup = Lookup::new(self);
        let names = Names::new(&self.function, &self.mapping, &lookup);
        let mut matched_locs = vec![false; self.location.len()];
        for (i, loc) in self.location.iter_mut().enumerate() {
            if names.mapping_matches(loc, re) {
                matched_locs[i] = true;
            } else if let Some(last) = loc
                .line
                .iter()
                .rposition(|l| names.line_matches(l, re) == Some(true))
            {
                loc.line.truncate(last + 1);
                matched_locs[i] = true;
            }
        }
        self.sample.retain_mut(|s| {
            let rootmost = s
                .location_id
                .iter()
                .rposition(|&id| lookup.location.get(id).is_some_and(|pos| matched_locs[pos]));
            rootmost.map(|i| s.location_id.truncate(i + 1)).is_some()
        });
        matched_locs.contains(&true)
    }
}
