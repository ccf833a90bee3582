//! [`Symbolizer`]: fills a profile's address-only locations with functions, files, lines and
//! inline chains, one mapping at a time.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::path::PathBuf;

use oxprof_profile::{Function, Line, Location, Mapping, Profile};

use crate::address::to_svma;
use crate::demangle::Demangle;
use crate::dwarf::Frame;
use crate::error::{Error, ErrorKind, Result};
use crate::functions::FunctionTable;
use crate::locate::{self, Found, SearchPath};
use crate::resolve::Sources;

/// Symbolizes profiles from local ELF objects.
///
/// For each mapping whose locations lack functions, the object is taken from, in order:
/// 1. a binary given with [`with_binary`](Self::with_binary): the one whose build id equals the
///    mapping's, else, for the main (first) mapping, the first binary given;
/// 2. the search directories ([`with_search_path`](Self::with_search_path)): by build id
///    (`<dir>/.build-id/ab/cdef.debug`, `<dir>/ab/cdef.debug`, `<dir>/<build id>/<name>`), by
///    name (`<dir>/<basename>`, `<dir>/<full path>`, `.debug` variants), then any file directly in
///    a directory whose build id matches;
/// 3. the path the mapping records.
///
/// A file found in 2. or 3. whose build id differs from the mapping's is skipped with a warning;
/// a given binary that differs is an error ([`ErrorKind::BuildIdMismatch`]). An object without
/// DWARF is completed by its separate debug file, found by build id in the search directories and
/// `/usr/lib/debug`.
///
/// ```
/// use oxprof_symbolize::Symbolizer;
/// let symbolizer = Symbolizer::new()
///     .with_binary("target/debug/app")
///     .with_search_path("/srv/debug-files");
/// # let _ = symbolizer;
/// ```
#[derive(Debug, Clone, Default)]
pub struct Symbolizer {
    pub(crate) binaries: Vec<PathBuf>,
    pub(crate) search_path: Vec<PathBuf>,
    pub(crate) demangle: Demangle,
    force: bool,
}

/// What [`Symbolizer::symbolize`] did.
///
/// ```
/// let report = oxprof_symbolize::Report::default();
/// assert!(report.warnings.is_empty() && report.symbolized == 0);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// For each symbolized mapping, its id and the object file used.
    pub objects: Vec<(u64, PathBuf)>,
    /// Locations that received source lines.
    pub symbolized: usize,
    /// Locations that needed symbols and got none.
    pub unsymbolized: usize,
    /// What could not be done, one lowercase line each, naming the mapping or file.
    pub warnings: Vec<String>,
}

impl Symbolizer {
    /// A symbolizer with no binaries and no search directories: mappings are symbolized from the
    /// paths they record, names demangled with [`Demangle::Simplified`].
    ///
    /// ```
    /// let mut profile = oxprof_profile::Profile::default();
    /// let report = oxprof_symbolize::Symbolizer::new().symbolize(&mut profile).unwrap();
    /// assert_eq!(report.symbolized, 0);
    /// ```
    pub fn new() -> Self {
        Symbolizer::default()
    }

    /// Uses the object at `path` for the mapping with its build id, or for the main mapping (the
    /// first; pprof's convention) when it matches no mapping's build id. May be given several
    /// times; the first one given stands for the main binary. A profile without mappings gets one
    /// for the first binary, covering every location, with addresses taken as stated in the file.
    ///
    /// ```
    /// let s = oxprof_symbolize::Symbolizer::new().with_binary("./app").with_binary("./libfoo.so");
    /// # let _ = s;
    /// ```
    pub fn with_binary(mut self, path: impl Into<PathBuf>) -> Self {
        self.binaries.push(path.into());
        self
    }

    /// Adds a directory to search for objects and debug files.
    ///
    /// ```
    /// let s = oxprof_symbolize::Symbolizer::new().with_search_path("/usr/lib/debug");
    /// # let _ = s;
    /// ```
    pub fn with_search_path(mut self, dir: impl Into<PathBuf>) -> Self {
        self.search_path.push(dir.into());
        self
    }

    /// Adds every directory of a `PATH`-style list (`:`-separated on Unix), such as the value of
    /// `$OXPROF_BINARY_PATH`. Empty entries are ignored.
    ///
    /// ```
    /// let s = oxprof_symbolize::Symbolizer::new().with_search_path_list("/a:/b".as_ref());
    /// # let _ = s;
    /// ```
    pub fn with_search_path_list(mut self, list: &OsStr) -> Self {
        self.search_path
            .extend(std::env::split_paths(list).filter(|p| !p.as_os_str().is_empty()));
        self
    }

    /// Sets how function names are demangled; `Function.system_name` keeps the mangled name.
    ///
    /// ```
    /// use oxprof_symbolize::{Demangle, Symbolizer};
    /// let s = Symbolizer::new().with_demangle(Demangle::Full);
    /// # let _ = s;
    /// ```
    pub fn with_demangle(mut self, demangle: Demangle) -> Self {
        self.demangle = demangle;
        self
    }

    /// Re-symbolizes mappings and locations that already have symbols (pprof's
    /// `-symbolize=force`); by default they are left alone.
    ///
    /// ```
    /// let s = oxprof_symbolize::Symbolizer::new().with_force(true);
    /// # let _ = s;
    /// ```
    pub fn with_force(mut self, force: bool) -> Self {
        self.force = force;
        self
    }

    /// Fills `Location.line` (innermost inlined callee first) and the functions they refer to
    /// for every location without lines in a mapping without symbols, and sets the mapping's
    /// `has_functions`, `has_filenames`, `has_line_numbers` and `has_inline_frames`.
    ///
    /// Mappings whose object cannot be found, and addresses nothing describes, are left as they
    /// are and listed in the report's warnings.
    ///
    /// # Errors
    ///
    /// A binary given with [`with_binary`](Self::with_binary) that cannot be read or parsed, or
    /// whose build id differs from that of the mapping it stands for.
    ///
    /// ```
    /// use oxprof_profile::{Location, Mapping, Profile};
    /// let mut profile = Profile {
    ///     mapping: vec![Mapping { id: 1, filename: "[vdso]".into(), memory_start: 0x1000, memory_limit: 0x2000, ..Default::default() }],
    ///     location: vec![Location { id: 1, mapping_id: 1, address: 0x1100, ..Default::default() }],
    ///     ..Profile::default()
    /// };
    /// let report = oxprof_symbolize::Symbolizer::new().symbolize(&mut profile)?;
    /// assert_eq!(report.unsymbolized, 1);
    /// assert!(report.warnings[0].contains("[vdso]"));
    /// # Ok::<(), oxprof_symbolize::Error>(())
    /// ```
    pub fn symbolize(&self, profile: &mut Profile) -> Result<Report> {
        let given = self.load_given()?;
        if let Some(main) = given.first() {
            add_stand_in_mapping(profile, main);
        }
        let mut by_mapping: HashMap<u64, Vec<usize>> = HashMap::new();
        for (index, location) in profile.location.iter().enumerate() {
            if location.address != 0 && (self.force || location.line.is_empty()) {
                by_mapping
                    .entry(location.mapping_id)
                    .or_default()
                    .push(index);
            }
        }
        let search_path = SearchPath::new(&self.search_path);
        let mut functions = FunctionTable::new(profile);
        let mut report = Report::default();
        for index in 0..profile.mapping.len() {
            let mapping = &profile.mapping[index];
            let symbolized =
                mapping.has_functions || mapping.has_filenames || mapping.has_line_numbers;
            let Some(locations) = by_mapping.get(&mapping.id) else {
                continue;
            };
            if symbolized && !self.force {
                continue;
            }
            let mapping = mapping.clone();
            let found;
            let object = match given_for(&given, index, &mapping)? {
                Some(given) => given,
                None => match search_path
                    .find(&mapping, &mut report.warnings)
                    .or_else(|| locate::at_mapping_path(&mapping, &mut report.warnings))
                {
                    Some(f) => {
                        found = f;
                        &found
                    }
                    None => {
                        report.warnings.push(no_object_warning(&mapping));
                        report.unsymbolized += locations.len();
                        continue;
                    }
                },
            };
            let debug_file = match (&object.object.debug_info, &object.object.build_id) {
                (None, Some(id)) => search_path.debug_file(id),
                _ => None,
            };
            let sources = Sources {
                object: &object.object,
                debug_file: debug_file.as_deref(),
            };
            let mut pass = MappingPass {
                mapping: &mapping,
                sources: &sources,
                demangle: self.demangle,
                functions: &mut functions,
                flags: Flags::default(),
                dwarf_errors: 0,
                missed: 0,
            };
            for &location in locations {
                pass.symbolize(&mut profile.location[location], &mut profile.function);
            }
            let (flags, dwarf_errors, missed) = (pass.flags, pass.dwarf_errors, pass.missed);
            report.warnings.extend(pass_warnings(
                &mapping,
                locations.len(),
                missed,
                dwarf_errors,
            ));
            report.symbolized += locations.len() - missed;
            report.unsymbolized += missed;
            report.objects.push((mapping.id, object.path.clone()));
            flags.apply(&mut profile.mapping[index], sources.has_debug_info());
        }
        Ok(report)
    }
}

impl Symbolizer {
    /// The binaries given with [`with_binary`](Self::with_binary), read and parsed.
    pub(crate) fn load_given(&self) -> Result<Vec<Found>> {
        self.binaries
            .iter()
            .map(|path| {
                Ok(Found {
                    path: path.clone(),
                    object: crate::loader::load(path)?,
                })
            })
            .collect()
    }
}

/// pprof's fallback for profiles without mappings (Go profiles of non-PIE programs): one mapping
/// for the main binary, with no range, so addresses are used as the file states them.
fn add_stand_in_mapping(profile: &mut Profile, main: &Found) {
    if !profile.mapping.is_empty() || profile.location.is_empty() {
        return;
    }
    profile.mapping.push(Mapping {
        id: 1,
        filename: main.path.to_string_lossy().into_owned(),
        ..Mapping::default()
    });
    for location in profile.location.iter_mut().filter(|l| l.mapping_id == 0) {
        location.mapping_id = 1;
    }
}

/// The given binary standing for the mapping at `index`, if any.
pub(crate) fn given_for<'a>(
    given: &'a [Found],
    index: usize,
    mapping: &Mapping,
) -> Result<Option<&'a Found>> {
    let want = locate::mapping_build_id(mapping);
    if let Some(want) = &want {
        if let Some(found) = given
            .iter()
            .find(|g| g.object.build_id.as_ref() == Some(want))
        {
            return Ok(Some(found));
        }
    }
    let (0, Some(main)) = (index, given.first()) else {
        return Ok(None);
    };
    match want {
        Some(want) if main.object.build_id.as_ref() != Some(&want) => {
            Err(Error::new(ErrorKind::BuildIdMismatch {
                path: main.path.clone(),
                binary_build_id: main.object.build_id.clone().unwrap_or_default(),
                mapping: mapping.filename.clone(),
                mapping_build_id: want,
            }))
        }
        _ => Ok(Some(main)),
    }
}

fn no_object_warning(mapping: &Mapping) -> String {
    let name = if mapping.filename.is_empty() {
        "<unnamed>"
    } else {
        &mapping.filename
    };
    match locate::mapping_build_id(mapping) {
        Some(id) => format!("no object file found for mapping {name} (build id {id})"),
        None => format!("no object file found for mapping {name}"),
    }
}

fn pass_warnings(
    mapping: &Mapping,
    total: usize,
    missed: usize,
    dwarf_errors: usize,
) -> Vec<String> {
    let mut warnings = Vec::new();
    if missed > 0 {
        warnings.push(format!(
            "{missed} of {total} addresses in {} matched no symbol",
            mapping.filename
        ));
    }
    if dwarf_errors > 0 {
        warnings.push(format!(
            "{dwarf_errors} addresses in {} hit malformed debug information",
            mapping.filename
        ));
    }
    warnings
}

/// What a mapping's symbolized locations turned out to have.
#[derive(Default)]
struct Flags {
    functions: bool,
    filenames: bool,
    line_numbers: bool,
}

impl Flags {
    fn note(&mut self, frame: &Frame) {
        self.functions |= !frame.function.is_empty();
        self.filenames |= !frame.file.is_empty();
        self.line_numbers |= frame.line > 0;
    }

    fn apply(&self, mapping: &mut Mapping, inline_frames: bool) {
        mapping.has_functions |= self.functions;
        mapping.has_filenames |= self.filenames;
        mapping.has_line_numbers |= self.line_numbers;
        // With DWARF every location's inline chain is expanded, whether or not any was inlined.
        mapping.has_inline_frames |= inline_frames && self.functions;
    }
}

/// Symbolization of the locations of one mapping with its object.
struct MappingPass<'a> {
    mapping: &'a Mapping,
    sources: &'a Sources<'a>,
    demangle: Demangle,
    functions: &'a mut FunctionTable,
    flags: Flags,
    dwarf_errors: usize,
    missed: usize,
}

impl MappingPass<'_> {
    fn symbolize(&mut self, location: &mut Location, functions: &mut Vec<Function>) {
        let svma = to_svma(
            location.address,
            self.mapping,
            &self.sources.object.segments,
            self.sources.object.is_fixed_address,
        );
        let frames = self.sources.frames(svma, &mut self.dwarf_errors);
        if frames.is_empty() {
            self.missed += 1;
            return;
        }
        location.line = frames
            .iter()
            .map(|frame| {
                self.flags.note(frame);
                let function = Function {
                    id: 0,
                    name: frame.display_name(self.demangle),
                    system_name: frame.function.clone(),
                    filename: frame.file.clone(),
                    start_line: i64::from(frame.start_line),
                };
                Line {
                    function_id: self.functions.intern(functions, function),
                    line: i64::from(frame.line),
                    column: i64::from(frame.column),
                }
            })
            .collect();
    }
}
