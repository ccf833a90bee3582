//! Tag (label) filters: `tagfocus`/`tagignore` select samples by their labels, `tagshow`/`taghide`
//! remove labels from samples.
//!
//! A `tagfocus`/`tagignore` value is, as in pprof, optionally prefixed by `key=`, then either a
//! numeric range or a comma-separated list of regexes. Ranges are `32kb` (equal), `:64kb` (at
//! most), `4mb:` (at least) or `12kb:64mb` (between, inclusive), with any unit pprof knows (see
//! [`units`](crate::units)); they compare against numeric labels converted from their key's unit
//! (see [`Profile::num_label_units`]). Anything else is a regex list: without a key every regex
//! must match some `key:value` of the sample's string labels; with a key any regex must match a
//! value of that key.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use regex::Regex;

use crate::filter::compile_regex_option;
use crate::units::scale;
use crate::{Error, LabelValue, Profile, Result, Sample};

/// The unit of each numeric label key of a profile, as pprof infers it.
///
/// ```
/// use oxprof_profile::{Label, Profile, Sample};
/// let p = Profile {
///     sample: vec![Sample { location_id: vec![], value: vec![1], label: vec![Label::num("bytes", 64, "")] }],
///     ..Profile::default()
/// };
/// assert_eq!(p.num_label_units().units["bytes"], "bytes");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NumLabelUnits {
    /// Key → unit: the first unit given for the key, else `bytes` for `request` and `alignment`,
    /// else the key itself.
    pub units: BTreeMap<String, String>,
    /// Key → the other units also given for it, sorted; pprof warns about these.
    pub ignored: BTreeMap<String, Vec<String>>,
}

impl Profile {
    /// Infers the unit of every numeric label key, in sample order (pprof's `NumLabelUnits`).
    ///
    /// ```
    /// use oxprof_profile::{Label, Profile, Sample};
    /// let s = |unit: &str| Sample { location_id: vec![], value: vec![1], label: vec![Label::num("t", 1, unit)] };
    /// let p = Profile { sample: vec![s("ms"), s("ns"), s("")], ..Profile::default() };
    /// let units = p.num_label_units();
    /// assert_eq!(units.units["t"], "ms");
    /// assert_eq!(units.ignored["t"], vec!["ns".to_string()]);
    /// ```
    pub fn num_label_units(&self) -> NumLabelUnits {
        let mut found = NumLabelUnits::default();
        let mut keys = Vec::new();
        for label in self.sample.iter().flat_map(|s| &s.label) {
            let LabelValue::Num { unit, .. } = &label.value else {
                continue;
            };
            keys.push(label.key.as_str());
            if unit.is_empty() {
                continue;
            }
            match found.units.get(&label.key) {
                None => {
                    found.units.insert(label.key.clone(), unit.clone());
                }
                Some(first) if first != unit => {
                    let others = found.ignored.entry(label.key.clone()).or_default();
                    if let Err(at) = others.binary_search(unit) {
                        others.insert(at, unit.clone());
                    }
                }
                Some(_) => {}
            }
        }
        for key in keys {
            if !found.units.contains_key(key) {
                let unit = if key == "request" || key == "alignment" {
                    "bytes"
                } else {
                    key
                };
                found.units.insert(key.to_string(), unit.to_string());
            }
        }
        found
    }
}

/// An inclusive numeric range in one unit; an open end is `None`.
#[derive(Debug, Clone)]
struct NumRange {
    low: Option<f64>,
    high: Option<f64>,
    unit: String,
}

impl NumRange {
    fn contains(&self, value: i64, value_unit: &str) -> bool {
        let (v, unit) = scale(value, value_unit, &self.unit);
        unit == self.unit
            && self.low.map_or(true, |lo| v >= lo)
            && self.high.map_or(true, |hi| v <= hi)
    }
}

#[derive(Debug, Clone)]
enum Test {
    Range(NumRange),
    Regexes(Vec<Regex>),
}

/// A compiled `tagfocus` or `tagignore` value.
///
/// ```
/// use oxprof_profile::{Label, Profile, Sample, TagFilter};
/// let s = |n: i64| Sample { location_id: vec![], value: vec![1], label: vec![Label::num("bytes", n, "bytes")] };
/// let p = Profile { sample: vec![s(512), s(2048)], ..Profile::default() };
/// let f = TagFilter::compile("tagfocus", "bytes=1kb:4kb", &p.num_label_units()).unwrap().unwrap();
/// assert!(f.is_range());
/// assert!(!f.matches(&p.sample[0]));
/// assert!(f.matches(&p.sample[1]));
/// ```
#[derive(Debug, Clone)]
pub struct TagFilter {
    key: Option<String>,
    test: Test,
    units: BTreeMap<String, String>,
}

/// Finds the numbers of a range, each with its optional unit.
fn range_number_regex() -> &'static Regex {
    static RX: OnceLock<Regex> = OnceLock::new();
    RX.get_or_init(|| Regex::new("([+-]?[[:digit:]]+)([[:alpha:]]+)?").expect("valid regex"))
}

/// Reads `value` as a numeric range, as pprof's `parseTagFilterRange`; `Ok(None)` when it is
/// not one (and so is a regex).
fn parse_range(option: &str, value: &str) -> Result<Option<NumRange>> {
    let found: Vec<regex::Captures<'_>> =
        range_number_regex().captures_iter(value).take(2).collect();
    let number = |caps: &regex::Captures<'_>| -> Result<(i64, String)> {
        let digits = &caps[1];
        let n = digits.parse::<i64>().map_err(|_| {
            Error::bad_option(format!(
                "{option}: number {digits} in range {value:?} is out of range"
            ))
        })?;
        Ok((n, caps.get(2).map_or("", |m| m.as_str()).to_string()))
    };
    let Some(first) = found.first() else {
        return Ok(None);
    };
    let whole = &first[0];
    let (low_open, high_open) = match found.get(1) {
        None if value == whole => (false, false),
        None if value.strip_suffix(':') == Some(whole) => (false, true),
        None if value.strip_prefix(':') == Some(whole) => (true, false),
        None => return Ok(None),
        Some(second) if value == format!("{whole}:{}", &second[0]) => {
            let (n, unit) = number(first)?;
            let (low, unit) = scale(n, &unit, &unit);
            let (n2, unit2) = number(second)?;
            let (high, unit2) = scale(n2, &unit2, &unit);
            if unit != unit2 {
                return Ok(None);
            }
            return Ok(Some(NumRange {
                low: Some(low),
                high: Some(high),
                unit,
            }));
        }
        Some(_) => return Ok(None),
    };
    let (n, unit) = number(first)?;
    let (v, unit) = scale(n, &unit, &unit);
    Ok(Some(NumRange {
        low: (!low_open).then_some(v),
        high: (!high_open).then_some(v),
        unit,
    }))
}

impl TagFilter {
    /// Compiles the value given to option `option` (`tagfocus` or `tagignore`, named in errors);
    /// `Ok(None)` for an empty value. `units` are the profile's [`NumLabelUnits`], taken before
    /// any filtering as pprof does.
    ///
    /// ```
    /// use oxprof_profile::{NumLabelUnits, TagFilter};
    /// let units = NumLabelUnits::default();
    /// assert!(TagFilter::compile("tagfocus", "", &units).unwrap().is_none());
    /// assert!(!TagFilter::compile("tagfocus", "thread=main", &units).unwrap().unwrap().is_range());
    /// let err = TagFilter::compile("tagignore", "thread=(", &units).unwrap_err();
    /// assert_eq!(err.to_string(), "parsing tagignore regexp \"(\": unclosed group");
    /// ```
    pub fn compile(option: &str, value: &str, units: &NumLabelUnits) -> Result<Option<TagFilter>> {
        if value.is_empty() {
            return Ok(None);
        }
        let (key, value) = match value.split_once('=') {
            Some((key, value)) => (Some(key.to_string()), value),
            None => (None, value),
        };
        let test = match parse_range(option, value)? {
            Some(range) => Test::Range(range),
            None => {
                let mut regexes = Vec::new();
                for part in value.split(',') {
                    regexes.push(compile_regex_option(option, part)?.unwrap_or_else(match_all));
                }
                Test::Regexes(regexes)
            }
        };
        Ok(Some(TagFilter {
            key,
            test,
            units: units.units.clone(),
        }))
    }

    /// Whether the value was read as a numeric range rather than regexes (pprof tells the user:
    /// `tagfocus:Interpreted '1kb:' as range, not regexp`).
    ///
    /// ```
    /// let units = oxprof_profile::NumLabelUnits::default();
    /// let f = oxprof_profile::TagFilter::compile("tagfocus", "2mb:", &units).unwrap().unwrap();
    /// assert!(f.is_range());
    /// ```
    pub fn is_range(&self) -> bool {
        matches!(self.test, Test::Range(_))
    }

    /// Whether the sample passes the filter.
    ///
    /// ```
    /// use oxprof_profile::{Label, NumLabelUnits, Sample, TagFilter};
    /// let f = TagFilter::compile("tagfocus", "thread:main,op:read", &NumLabelUnits::default()).unwrap().unwrap();
    /// let s = |labels| Sample { label: labels, ..Default::default() };
    /// assert!(f.matches(&s(vec![Label::str("thread", "main"), Label::str("op", "read")])));
    /// assert!(!f.matches(&s(vec![Label::str("thread", "main")])));
    /// ```
    pub fn matches(&self, sample: &Sample) -> bool {
        let wanted = |key: &str| self.key.as_deref().map_or(true, |k| k == key);
        match &self.test {
            Test::Range(range) => sample.label.iter().any(|l| match &l.value {
                LabelValue::Num { num, .. } if wanted(&l.key) => {
                    range.contains(*num, self.units.get(&l.key).map_or("", String::as_str))
                }
                _ => false,
            }),
            Test::Regexes(regexes) => {
                let strings = || {
                    sample.label.iter().filter_map(|l| match &l.value {
                        LabelValue::Str(v) => Some((l.key.as_str(), v.as_str())),
                        LabelValue::Num { .. } => None,
                    })
                };
                match &self.key {
                    None => regexes
                        .iter()
                        .all(|rx| strings().any(|(k, v)| rx.is_match(&format!("{k}:{v}")))),
                    Some(key) => {
                        strings().any(|(k, v)| k == key && regexes.iter().any(|rx| rx.is_match(v)))
                    }
                }
            }
        }
    }
}

/// The regex an empty item of a regex list stands for.
fn match_all() -> Regex {
    Regex::new("").expect("the empty regex is valid")
}

impl Profile {
    /// Keeps the samples passing `focus` (all when `None`) and not passing `ignore`; returns
    /// whether any sample passed `focus` and whether any passed `ignore`.
    ///
    /// ```
    /// use oxprof_profile::{Label, NumLabelUnits, Profile, Sample, TagFilter};
    /// let s = |t: &str| Sample { location_id: vec![], value: vec![1], label: vec![Label::str("thread", t)] };
    /// let mut p = Profile { sample: vec![s("main"), s("worker")], ..Profile::default() };
    /// let ignore = TagFilter::compile("tagignore", "thread=work", &NumLabelUnits::default()).unwrap();
    /// assert_eq!(p.filter_samples_by_tag(None, ignore.as_ref()), (true, true));
    /// assert_eq!(p.sample.len(), 1);
    /// ```
    pub fn filter_samples_by_tag(
        &mut self,
        focus: Option<&TagFilter>,
        ignore: Option<&TagFilter>,
    ) -> (bool, bool) {
        let (mut focus_matched, mut ignore_matched) = (false, false);
        self.sample.retain(|s| {
            let focused = focus.map_or(true, |f| f.matches(s));
            let ignored = ignore.is_some_and(|f| f.matches(s));
            focus_matched |= focused;
            ignore_matched |= ignored;
            focused && !ignored
        });
        (focus_matched, ignore_matched)
    }

    /// Removes from every sample the labels whose key does not match `show` (when given) or
    /// matches `hide` (`tagshow`/`taghide`); returns whether any key matched `show` (always
    /// true without `show` if there is any label) and whether any matched `hide`.
    ///
    /// ```
    /// use oxprof_profile::{Label, Profile, Sample};
    /// let mut p = Profile {
    ///     sample: vec![Sample { location_id: vec![], value: vec![1], label: vec![Label::str("a", "1"), Label::num("b", 2, "")] }],
    ///     ..Profile::default()
    /// };
    /// let hide = regex::Regex::new("^b$").unwrap();
    /// assert_eq!(p.filter_tags_by_name(None, Some(&hide)), (true, true));
    /// assert_eq!(p.sample[0].label, vec![Label::str("a", "1")]);
    /// ```
    pub fn filter_tags_by_name(
        &mut self,
        show: Option<&regex::Regex>,
        hide: Option<&regex::Regex>,
    ) -> (bool, bool) {
        let (mut shown, mut hidden) = (false, false);
        for s in &mut self.sample {
            s.label.retain(|l| {
                let show_match = show.map_or(true, |re| re.is_match(&l.key));
                let hide_match = hide.is_some_and(|re| re.is_match(&l.key));
                shown |= show_match;
                hidden |= hide_match;
                show_match && !hide_match
            });
        }
        (shown, hidden)
    }
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    fn bounds(value: &str) -> Option<(Option<f64>, Option<f64>, String)> {
        parse_range("tagfocus", value)
            .unwrap()
            .map(|r| (r.low, r.high, r.unit))
    }

    #[test]
    fn ranges_parse_like_pprof() {
        assert_eq!(bounds("32kb"), Some((Some(32.0), Some(32.0), "kB".into())));
        assert_eq!(bounds(":64kb"), Some((None, Some(64.0), "kB".into())));
        assert_eq!(bounds("2mb:"), Some((Some(2.0), None, "MB".into())));
        assert_eq!(
            bounds("1kb:10kb"),
            Some((Some(1.0), Some(10.0), "kB".into()))
        );
        assert_eq!(
            bounds("1kb:2mb"),
            Some((Some(1.0), Some(2048.0), "kB".into()))
        );
        assert_eq!(bounds("-5:5"), Some((Some(-5.0), Some(5.0), String::new())));
        // Not ranges, so regexes, exactly as pprof reads them.
        assert_eq!(bounds("1kb:xyz"), None);
        assert_eq!(bounds("1kb:10ms"), None);
        assert_eq!(bounds("main"), None);
        assert_eq!(bounds("thread1"), None);
        assert_eq!(bounds("1:2:3"), None);
    }

    #[test]
    fn out_of_range_numbers_are_errors() {
        let err = parse_range("tagfocus", "99999999999999999999kb:").unwrap_err();
        assert_eq!(
            err.to_string(),
            "tagfocus: number 99999999999999999999 in range \"99999999999999999999kb:\" is out of range"
        );
        // Not range-shaped: a regex, however large its digits.
        assert!(parse_range("tagfocus", "t99999999999999999999")
            .unwrap()
            .is_none());
    }
}
