//! Granularity: collapsing locations that differ only in what a report does not show.
//!
//! pprof's `Aggregate` forgets function names, file names, line and column numbers, addresses or
//! inlined callees, so that locations left identical become the same report node. Samples are
//! never merged here: `traces` prints each sample on its own, as pprof does after aggregation.

use std::str::FromStr;

use crate::{Error, Profile, Result};

/// The granularity of a report, pprof's `-functions`, `-filefunctions`, `-files`, `-lines` and
/// `-addresses`.
///
/// ```
/// use oxprof_profile::Granularity;
/// assert_eq!("lines".parse::<Granularity>().unwrap(), Granularity::Lines);
/// assert_eq!("".parse::<Granularity>().unwrap(), Granularity::Functions);
/// assert!("words".parse::<Granularity>().is_err());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Granularity {
    /// One node per function (the default).
    #[default]
    Functions,
    /// One node per function and source file.
    FileFunctions,
    /// One node per source file.
    Files,
    /// One node per source line.
    Lines,
    /// One node per instruction address.
    Addresses,
}

impl FromStr for Granularity {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "" | "functions" => Granularity::Functions,
            "filefunctions" => Granularity::FileFunctions,
            "files" => Granularity::Files,
            "lines" => Granularity::Lines,
            "addresses" => Granularity::Addresses,
            _ => return Err(Error::bad_option(format!("unknown granularity {s:?}"))),
        })
    }
}

impl Profile {
    /// Keeps only the requested attributes of locations and functions (pprof's `Aggregate`):
    /// without `inline_frame` a location keeps only its outermost line, the caller its inlined
    /// callees were folded into; without `function` names go; without `filename` file names go;
    /// without `linenumber` line and column numbers go; without `columnnumber` column numbers
    /// go; without `address` addresses go. Mapping `has_*` flags drop accordingly.
    ///
    /// ```
    /// use oxprof_profile::{Function, Line, Location, Profile, Sample, ValueType};
    /// let loc = |id: u64, line: i64| Location { id, line: vec![Line { function_id: 1, line, column: 0 }], ..Default::default() };
    /// let mut p = Profile {
    ///     sample_type: vec![ValueType::new("samples", "count")],
    ///     function: vec![Function { id: 1, name: "f".into(), ..Default::default() }],
    ///     location: vec![loc(1, 10), loc(2, 20)],
    ///     sample: vec![
    ///         Sample { location_id: vec![1], value: vec![1], label: vec![] },
    ///         Sample { location_id: vec![2], value: vec![2], label: vec![] },
    ///     ],
    ///     ..Profile::default()
    /// };
    /// p.aggregate(true, true, true, false, false, false).unwrap();
    /// assert_eq!(p.location[0], Location { id: 1, ..p.location[1].clone() });
    /// assert_eq!(p.sample.len(), 2, "samples stay apart");
    /// ```
    pub fn aggregate(
        &mut self,
        inline_frame: bool,
        function: bool,
        filename: bool,
        linenumber: bool,
        columnnumber: bool,
        address: bool,
    ) -> Result<()> {
        for m in &mut self.mapping {
            m.has_inline_frames &= inline_frame;
            m.has_functions &= function;
            m.has_filenames &= filename;
            m.has_line_numbers &= linenumber;
        }
        for f in &mut self.function {
            if !function {
                f.name.clear();
                f.system_name.clear();
            }
            if !filename {
                f.filename.clear();
            }
        }
        for loc in &mut self.location {
            if !inline_frame && loc.line.len() > 1 {
                loc.line.drain(..loc.line.len() - 1);
            }
            for line in &mut loc.line {
                if !linenumber {
                    line.line = 0;
                }
                if !linenumber || !columnnumber {
                    line.column = 0;
                }
            }
            if !address {
                loc.address = 0;
            }
        }
        Ok(())
    }

    /// Aggregates to a report granularity as pprof's driver does: `inlines` false is
    /// `-noinlines`, `columns` keeps column numbers. Addresses with inlines change nothing.
    ///
    /// ```
    /// use oxprof_profile::{Granularity, Profile};
    /// let mut p = Profile::default();
    /// p.aggregate_to(Granularity::Files, true, false).unwrap();
    /// ```
    pub fn aggregate_to(
        &mut self,
        granularity: Granularity,
        inlines: bool,
        columns: bool,
    ) -> Result<()> {
        let (function, filename, linenumber, address) = match granularity {
            Granularity::Addresses if inlines => return Ok(()),
            Granularity::Addresses => (true, true, true, true),
            Granularity::Lines => (true, true, true, false),
            Granularity::Files => (false, true, false, false),
            Granularity::Functions => (true, false, false, false),
            Granularity::FileFunctions => (true, true, false, false),
        };
        self.aggregate(inlines, function, filename, linenumber, columns, address)
    }
}
