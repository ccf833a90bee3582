//! Every filter option at once, in the order pprof applies them: `focus`/`ignore`/`hide`/`show`,
//! then `show_from`, then `tagfocus`/`tagignore`, then `tagshow`/`taghide`, then `prune_from`.

use crate::filter::compile_regex_option;
use crate::{NumLabelUnits, Profile, Result, TagFilter};

/// The filter options of a report, as the user wrote them; an empty string is an unset option.
///
/// ```
/// let opts = oxprof_profile::FilterOptions { focus: "main\\.".into(), ..Default::default() };
/// assert!(opts.ignore.is_empty());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FilterOptions {
    /// Keep samples with a frame matching this regex.
    pub focus: String,
    /// Drop samples with a frame matching this regex.
    pub ignore: String,
    /// Remove frames matching this regex.
    pub hide: String,
    /// Keep only frames matching this regex.
    pub show: String,
    /// Drop frames rootward of the rootmost frame matching this regex.
    pub show_from: String,
    /// Keep samples whose labels match (see [`TagFilter`]).
    pub tagfocus: String,
    /// Drop samples whose labels match (see [`TagFilter`]).
    pub tagignore: String,
    /// Keep only labels whose key matches this regex.
    pub tagshow: String,
    /// Remove labels whose key matches this regex.
    pub taghide: String,
    /// Drop frames leafward of the leafmost frame matching this regex.
    pub prune_from: String,
}

impl Profile {
    /// Applies all filter options in pprof's order and returns the notes pprof prints on stderr
    /// meanwhile (`tagfocus:Interpreted '1kb:' as range, not regexp`, `Focus expression matched
    /// no samples`...). Every option is compiled first, so a bad one leaves the profile as it
    /// was. `units` are the profile's [`NumLabelUnits`] from before any filtering.
    ///
    /// ```
    /// use oxprof_profile::{FilterOptions, Profile};
    /// let mut p = Profile::default();
    /// let units = p.num_label_units();
    /// let opts = FilterOptions { focus: "nothing".into(), tagfocus: "1kb:".into(), ..Default::default() };
    /// let notes = p.apply_filters(&opts, &units).unwrap();
    /// assert_eq!(notes, vec![
    ///     "tagfocus:Interpreted '1kb:' as range, not regexp".to_string(),
    ///     "Focus expression matched no samples".to_string(),
    ///     "TagFocus expression matched no samples".to_string(),
    /// ]);
    /// let bad = FilterOptions { hide: "[".into(), ..Default::default() };
    /// assert!(p.apply_filters(&bad, &units).is_err());
    /// ```
    pub fn apply_filters(
        &mut self,
        opts: &FilterOptions,
        units: &NumLabelUnits,
    ) -> Result<Vec<String>> {
        let focus = compile_regex_option("focus", &opts.focus)?;
        let ignore = compile_regex_option("ignore", &opts.ignore)?;
        let hide = compile_regex_option("hide", &opts.hide)?;
        let show = compile_regex_option("show", &opts.show)?;
        let show_from = compile_regex_option("show_from", &opts.show_from)?;
        let tagfocus = TagFilter::compile("tagfocus", &opts.tagfocus, units)?;
        let tagignore = TagFilter::compile("tagignore", &opts.tagignore, units)?;
        let prune_from = compile_regex_option("prune_from", &opts.prune_from)?;
        let tagshow = compile_regex_option("tagshow", &opts.tagshow)?;
        let taghide = compile_regex_option("taghide", &opts.taghide)?;

        let mut notes = Vec::new();
        for (option, value, filter) in [
            ("tagfocus", &opts.tagfocus, &tagfocus),
            ("tagignore", &opts.tagignore, &tagignore),
        ] {
            if filter.as_ref().is_some_and(TagFilter::is_range) {
                let value = value.split_once('=').map_or(value.as_str(), |(_, v)| v);
                notes.push(format!(
                    "{option}:Interpreted '{value}' as range, not regexp"
                ));
            }
        }
        let mut warn = |set: bool, matched: bool, what: &str| {
            if set && !matched {
                notes.push(format!("{what} expression matched no samples"));
            }
        };

        let m = self.filter_samples_by_name(
            focus.as_ref(),
            ignore.as_ref(),
            hide.as_ref(),
            show.as_ref(),
        );
        warn(focus.is_some(), m.focus, "Focus");
        warn(ignore.is_some(), m.ignore, "Ignore");
        warn(hide.is_some(), m.hide, "Hide");
        warn(show.is_some(), m.show, "Show");
        if let Some(re) = &show_from {
            let matched = self.show_from(re);
            warn(true, matched, "ShowFrom");
        }
        let (tf, ti) = self.filter_samples_by_tag(tagfocus.as_ref(), tagignore.as_ref());
        warn(tagfocus.is_some(), tf, "TagFocus");
        warn(tagignore.is_some(), ti, "TagIgnore");
        let (ts, th) = self.filter_tags_by_name(tagshow.as_ref(), taghide.as_ref());
        warn(tagshow.is_some(), ts, "TagShow");
        warn(taghide.is_some(), th, "TagHide");
        if let Some(re) = &prune_from {
            self.prune_from(re);
        }
        Ok(notes)
    }
}
