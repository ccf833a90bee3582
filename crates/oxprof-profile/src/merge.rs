//! Merging profiles into one, as pprof's `profile.Merge`.
//!
//! Mappings, functions and locations are deduplicated by content, not by id: mappings by size
//! (rounded up to 4 KiB), file offset and build id (else file name); functions by name, system
//! name, file name and start line; locations by mapping, address relative to the mapping start,
//! lines and folding. Samples with the same stack and labels are summed, and samples whose values
//! are all zero are dropped. The result is numbered 1..n in order of first use, with the first
//! profile's first mapping first (it is the main binary).

use std::collections::hash_map::{Entry, RandomState};
use std::collections::{HashMap, HashSet};
use std::hash::BuildHasher;

use crate::lookup::Lookup;
use crate::{
    Error, Function, Label, LabelValue, Line, Location, Mapping, Profile, Result, Sample, ValueType,
};

/// Finds merged entries by a hash of their content without storing the content twice: each
/// hash leads to the first entry with it, and `next` chains the others.
struct HashIndex {
    first: HashMap<u64, usize>,
    next: Vec<usize>,
}

/// Ends a chain in a [`HashIndex`].
const END: usize = usize::MAX;

impl HashIndex {
    fn with_capacity(n: usize) -> Self {
        HashIndex {
            first: HashMap::with_capacity(n),
            next: Vec::with_capacity(n),
        }
    }

    /// The first entry with this hash for which `same` holds.
    fn find(&self, hash: u64, mut same: impl FnMut(usize) -> bool) -> Option<usize> {
        let mut at = self.first.get(&hash).copied().unwrap_or(END);
        while at != END {
            if same(at) {
                return Some(at);
            }
            at = self.next[at];
        }
        None
    }

    /// Records that entry `idx`, the next one in the table, has this hash.
    fn insert(&mut self, hash: u64, idx: usize) {
        debug_assert_eq!(idx, self.next.len());
        self.next.push(self.first.insert(hash, idx).unwrap_or(END));
    }
}

#[derive(PartialEq, Eq, Hash)]
struct MappingKey {
    size: u64,
    offset: u64,
    build_id_or_file: String,
}

impl MappingKey {
    fn of(m: &Mapping) -> Self {
        // Rounding absorbs small differences in how mappings of one binary were recorded.
        const ROUNDING: u64 = 0x1000;
        let size = m
            .memory_limit
            .wrapping_sub(m.memory_start)
            .wrapping_add(ROUNDING - 1);
        let build_id_or_file = if m.build_id.is_empty() {
            &m.filename
        } else {
            &m.build_id
        };
        MappingKey {
            size: size - size % ROUNDING,
            offset: m.file_offset,
            build_id_or_file: build_id_or_file.clone(),
        }
    }
}

/// What makes two functions the same.
fn same_function(a: &Function, b: &Function) -> bool {
    a.start_line == b.start_line
        && a.name == b.name
        && a.system_name == b.system_name
        && a.filename == b.filename
}

/// What makes two locations the same, given the start of the mapping each is in; addresses are
/// compared relative to it, so that address randomization does not matter.
fn same_location(a: &Location, a_start: u64, b: &Location, b_start: u64) -> bool {
    a.mapping_id == b.mapping_id
        && a.address.wrapping_sub(a_start) == b.address.wrapping_sub(b_start)
        && a.is_folded == b.is_folded
        && a.line == b.line
}

/// Where the entries of the profile being merged went: indexed by their position in its tables.
struct Placement {
    mapping: Vec<Option<(usize, i64)>>,
    function: Vec<Option<usize>>,
    location: Vec<Option<usize>>,
}

struct Merger {
    out: Profile,
    hasher: RandomState,
    /// Merged samples by a hash of their stack and labels.
    samples: HashIndex,
    locations: HashIndex,
    functions: HashIndex,
    mappings: HashMap<MappingKey, usize>,
}

/// Labels in the order that makes equal label sets compare equal: string labels before numeric
/// ones, grouped by key, values of one key in their given order.
fn canonical_labels(labels: &[Label]) -> Vec<&Label> {
    let mut sorted: Vec<&Label> = labels.iter().collect();
    sorted.sort_by(|a, b| {
        let numeric = |l: &Label| matches!(l.value, LabelValue::Num { .. });
        (numeric(a), &a.key).cmp(&(numeric(b), &b.key))
    });
    sorted
}

fn is_zero(s: &Sample) -> bool {
    s.value.iter().all(|&v| v == 0)
}

fn value_type_text(vt: &Option<ValueType>) -> String {
    vt.as_ref()
        .map_or_else(|| "none".to_string(), |vt| format!("{}/{}", vt.ty, vt.unit))
}

fn sample_types_text(types: &[ValueType]) -> String {
    let texts: Vec<String> = types
        .iter()
        .map(|vt| format!("{}/{}", vt.ty, vt.unit))
        .collect();
    format!("[{}]", texts.join(" "))
}

/// Period types compare as pprof compares them: a missing one equals an empty one.
fn same_value_type(a: &Option<ValueType>, b: &Option<ValueType>) -> bool {
    let empty = ValueType::default();
    a.as_ref().unwrap_or(&empty) == b.as_ref().unwrap_or(&empty)
}

/// The merged profile's header: the first profile's types, the earliest time (a zero time resets
/// the running minimum, as in pprof), the summed durations, the largest period, and comments
/// without repeats.
fn combine_headers(srcs: &[&Profile]) -> Profile {
    let first = srcs[0];
    let mut out = Profile {
        sample_type: first.sample_type.clone(),
        drop_frames: first.drop_frames.clone(),
        keep_frames: first.keep_frames.clone(),
        period_type: first.period_type.clone(),
        ..Profile::default()
    };
    let mut seen_comments = HashSet::new();
    for src in srcs {
        if out.time_nanos == 0 || src.time_nanos < out.time_nanos {
            out.time_nanos = src.time_nanos;
        }
        out.duration_nanos = out.duration_nanos.wrapping_add(src.duration_nanos);
        if out.period == 0 || out.period < src.period {
            out.period = src.period;
        }
        for c in &src.comments {
            if seen_comments.insert(c.as_str()) {
                out.comments.push(c.clone());
            }
        }
        if out.default_sample_type.is_empty() {
            out.default_sample_type = src.default_sample_type.clone();
        }
        if out.doc_url.is_empty() {
            out.doc_url = src.doc_url.clone();
        }
    }
    out
}

impl Merger {
    fn map_mapping(&mut self, src: &Profile, pos: usize, placed: &mut Placement) -> (usize, i64) {
        if let Some(done) = placed.mapping[pos] {
            return done;
        }
        let m = &src.mapping[pos];
        let done = match self.mappings.entry(MappingKey::of(m)) {
            Entry::Occupied(e) => {
                let idx = *e.get();
                let start = self.out.mapping[idx].memory_start;
                (idx, (start as i64).wrapping_sub(m.memory_start as i64))
            }
            Entry::Vacant(e) => {
                let idx = self.out.mapping.len();
                self.out.mapping.push(Mapping {
                    id: idx as u64 + 1,
                    ..m.clone()
                });
                e.insert(idx);
                (idx, 0)
            }
        };
        placed.mapping[pos] = Some(done);
        done
    }

    fn map_function(&mut self, src: &Profile, pos: usize, placed: &mut Placement) -> usize {
        if let Some(done) = placed.function[pos] {
            return done;
        }
        let f = &src.function[pos];
        let hash = self
            .hasher
            .hash_one((f.start_line, &f.name, &f.system_name, &f.filename));
        let functions = &self.out.function;
        let idx = match self
            .functions
            .find(hash, |i| same_function(&functions[i], f))
        {
            Some(idx) => idx,
            None => {
                let idx = functions.len();
                self.out.function.push(Function {
                    id: idx as u64 + 1,
                    ..f.clone()
                });
                self.functions.insert(hash, idx);
                idx
            }
        };
        placed.function[pos] = Some(idx);
        idx
    }

    fn map_location(
        &mut self,
        src: &Profile,
        lookup: &Lookup,
        pos: usize,
        placed: &mut Placement,
    ) -> Result<usize> {
        if let Some(done) = placed.location[pos] {
            return Ok(done);
        }
        let loc = &src.location[pos];
        let mapping = match loc.mapping_id {
            0 => None,
            id => {
                let mpos = lookup.mapping.get(id).ok_or_else(|| {
                    Error::invalid(format!(
                        "location {} refers to unknown mapping {id}",
                        loc.id
                    ))
                })?;
                Some(self.map_mapping(src, mpos, placed))
            }
        };
        let mut lines = Vec::with_capacity(loc.line.len());
        for line in &loc.line {
            let function_id = match line.function_id {
                0 => 0,
                id => {
                    let fpos = lookup.function.get(id).ok_or_else(|| {
                        Error::invalid(format!(
                            "location {} refers to unknown function {id}",
                            loc.id
                        ))
                    })?;
                    self.map_function(src, fpos, placed) as u64 + 1
                }
            };
            lines.push(Line {
                function_id,
                ..line.clone()
            });
        }
        let offset = mapping.map_or(0, |(_, offset)| offset);
        let address = (loc.address as i64).wrapping_add(offset) as u64;
        let (mapping_id, mapping_start) = mapping.map_or((0, 0), |(idx, _)| {
            (idx as u64 + 1, self.out.mapping[idx].memory_start)
        });
        let new = Location {
            id: 0,
            mapping_id,
            address,
            line: lines,
            is_folded: loc.is_folded,
        };
        let hash = self.hasher.hash_one((
            mapping_id,
            address.wrapping_sub(mapping_start),
            &new.line,
            new.is_folded,
        ));
        let (locations, mappings) = (&self.out.location, &self.out.mapping);
        let start_of = |l: &Location| match l.mapping_id {
            0 => 0,
            id => mappings[id as usize - 1].memory_start,
        };
        let same =
            |i: usize| same_location(&locations[i], start_of(&locations[i]), &new, mapping_start);
        let idx = match self.locations.find(hash, same) {
            Some(idx) => idx,
            None => {
                let idx = locations.len();
                self.out.location.push(Location {
                    id: idx as u64 + 1,
                    ..new
                });
                self.locations.insert(hash, idx);
                idx
            }
        };
        placed.location[pos] = Some(idx);
        Ok(idx)
    }

    fn map_sample(
        &mut self,
        src: &Profile,
        lookup: &Lookup,
        s: &Sample,
        placed: &mut Placement,
    ) -> Result<()> {
        if s.value.len() != self.out.sample_type.len() {
            return Err(Error::invalid(format!(
                "sample has {} values for {} sample types",
                s.value.len(),
                self.out.sample_type.len()
            )));
        }
        let mut stack = Vec::with_capacity(s.location_id.len());
        for &id in &s.location_id {
            let pos = lookup
                .location
                .get(id)
                .ok_or_else(|| Error::invalid(format!("sample refers to unknown location {id}")))?;
            stack.push(self.map_location(src, lookup, pos, placed)? as u64 + 1);
        }
        let labels = canonical_labels(&s.label);
        let hash = self.hasher.hash_one((&stack, &labels));

        let merged = &self.out.sample;
        let same = |i: usize| {
            merged[i].location_id == stack && canonical_labels(&merged[i].label) == labels
        };
        if let Some(idx) = self.samples.find(hash, same) {
            for (sum, v) in self.out.sample[idx].value.iter_mut().zip(&s.value) {
                *sum = sum.wrapping_add(*v);
            }
            return Ok(());
        }
        self.samples.insert(hash, self.out.sample.len());
        self.out.sample.push(Sample {
            location_id: stack,
            value: s.value.clone(),
            label: s.label.clone(),
        });
        Ok(())
    }
}

/// Merges profiles given by reference; see [`Profile::merge`].
pub(crate) fn merge_refs(srcs: &[&Profile]) -> Result<Profile> {
    let Some(first) = srcs.first() else {
        return Err(Error::bad_option("no profiles to merge"));
    };
    for src in &srcs[1..] {
        first.compatible(src)?;
    }
    let mut merger = Merger {
        out: combine_headers(srcs),
        hasher: RandomState::new(),
        samples: HashIndex::with_capacity(first.sample.len()),
        locations: HashIndex::with_capacity(first.location.len()),
        functions: HashIndex::with_capacity(first.function.len()),
        mappings: HashMap::with_capacity(first.mapping.len()),
    };
    for src in srcs {
        let lookup = Lookup::new(src);
        let mut placed = Placement {
            mapping: vec![None; src.mapping.len()],
            function: vec![None; src.function.len()],
            location: vec![None; src.location.len()],
        };
        if merger.out.mapping.is_empty() && !src.mapping.is_empty() {
            merger.map_mapping(src, 0, &mut placed);
        }
        for s in src.sample.iter().filter(|s| !is_zero(s)) {
            merger.map_sample(src, &lookup, s, &mut placed)?;
        }
    }
    let out = merger.out;
    if out.sample.iter().any(is_zero) {
        // Values that cancelled out (a profile minus its base) leave zero samples, and with
        // them locations nothing else uses: merging once more collects both.
        return merge_refs(&[&out]);
    }
    Ok(out)
}

impl Profile {
    /// Merges profiles into a new one: the operation behind pprof's handling of several sources,
    /// `-base` and compaction. See the module documentation for what is deduplicated.
    ///
    /// Fails when `profiles` is empty, when two profiles are not [compatible](Profile::compatible),
    /// or when a profile refers to an id its tables lack.
    ///
    /// ```
    /// use oxprof_profile::{Profile, Sample, ValueType};
    /// let p = Profile {
    ///     sample_type: vec![ValueType::new("samples", "count")],
    ///     sample: vec![Sample { location_id: vec![], value: vec![3], label: vec![] }],
    ///     duration_nanos: 10,
    ///     ..Profile::default()
    /// };
    /// let merged = Profile::merge(vec![p.clone(), p]).unwrap();
    /// assert_eq!(merged.sample.len(), 1);
    /// assert_eq!(merged.sample[0].value, vec![6]);
    /// assert_eq!(merged.duration_nanos, 20);
    /// ```
    pub fn merge(profiles: Vec<Profile>) -> Result<Profile> {
        let refs: Vec<&Profile> = profiles.iter().collect();
        merge_refs(&refs)
    }

    /// Checks that `other` can be merged with or compared to this profile: the same period type
    /// and the same sample types in the same order.
    ///
    /// ```
    /// use oxprof_profile::{Profile, ValueType};
    /// let cpu = Profile { sample_type: vec![ValueType::new("cpu", "nanoseconds")], ..Default::default() };
    /// let heap = Profile { sample_type: vec![ValueType::new("inuse_space", "bytes")], ..Default::default() };
    /// assert!(cpu.compatible(&cpu.clone()).is_ok());
    /// assert_eq!(
    ///     cpu.compatible(&heap).unwrap_err().to_string(),
    ///     "incompatible profiles: sample types [cpu/nanoseconds] and [inuse_space/bytes] differ"
    /// );
    /// ```
    pub fn compatible(&self, other: &Profile) -> Result<()> {
        if !same_value_type(&self.period_type, &other.period_type) {
            return Err(Error::incompatible(format!(
                "period types {} and {} differ",
                value_type_text(&self.period_type),
                value_type_text(&other.period_type)
            )));
        }
        if self.sample_type != other.sample_type {
            return Err(Error::incompatible(format!(
                "sample types {} and {} differ",
                sample_types_text(&self.sample_type),
                sample_types_text(&other.sample_type)
            )));
        }
        Ok(())
    }
}
