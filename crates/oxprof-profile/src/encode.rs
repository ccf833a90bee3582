//! Encoding a [`Profile`] to `profile.proto` bytes, raw or gzipped.
//!
//! The model is turned into the wire messages of `wire.rs` (strings interned into one table
//! with "" at index 0, ids renumbered 1..n in vector order) and prost serializes them.

use std::collections::HashMap;
use std::io::Write;

use flate2::write::GzEncoder;
use flate2::Compression;
use prost::Message;

use crate::validate::IdIndex;
use crate::{wire, LabelValue, Profile, ValueType};

impl Profile {
    /// Encodes the profile as raw (uncompressed) `profile.proto` bytes.
    ///
    /// Ids are renumbered 1..n in vector order, per kind, and references follow; a reference
    /// to an id that no entity has is written as 0. The string table starts with "".
    ///
    /// ```
    /// use oxprof_profile::{Location, Profile, Sample, ValueType};
    /// let p = Profile {
    ///     sample_type: vec![ValueType::new("samples", "count")],
    ///     sample: vec![Sample { location_id: vec![42], value: vec![1], label: vec![] }],
    ///     location: vec![Location { id: 42, address: 0x1000, ..Location::default() }],
    ///     ..Profile::default()
    /// };
    /// let q = Profile::decode(&p.encode()).unwrap();
    /// assert_eq!(q.location[0].id, 1);
    /// assert_eq!(q.sample[0].location_id, vec![1]);
    /// ```
    pub fn encode(&self) -> Vec<u8> {
        self.to_wire().encode_to_vec()
    }

    /// Writes the profile as gzipped `profile.proto`, the form pprof stores on disk.
    ///
    /// ```
    /// let p = oxprof_profile::Profile::default();
    /// let mut out = Vec::new();
    /// p.write_to(&mut out).unwrap();
    /// assert_eq!(&out[..2], &[0x1f, 0x8b]);
    /// assert_eq!(oxprof_profile::Profile::decode(&out).unwrap(), p);
    /// ```
    pub fn write_to(&self, w: impl Write) -> std::io::Result<()> {
        let mut gz = GzEncoder::new(w, Compression::default());
        gz.write_all(&self.encode())?;
        gz.finish()?;
        Ok(())
    }

    /// The gzipped encoding as bytes; see [`Profile::write_to`].
    ///
    /// ```
    /// let p = oxprof_profile::Profile { period: 100, ..Default::default() };
    /// assert_eq!(oxprof_profile::Profile::decode(&p.encode_gzip()).unwrap().period, 100);
    /// ```
    pub fn encode_gzip(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_to(&mut out)
            .expect("writing to a Vec cannot fail");
        out
    }

    fn to_wire(&self) -> wire::Profile {
        let mut st = StringTable::default();
        let mappings = Renumber::new(self.mapping.iter().map(|m| m.id));
        let functions = Renumber::new(self.function.iter().map(|f| f.id));
        let locations = Renumber::new(self.location.iter().map(|l| l.id));
        let sample_type = self
            .sample_type
            .iter()
            .map(|vt| st.value_type(vt))
            .collect();
        let sample = self
            .sample
            .iter()
            .map(|s| wire::Sample {
                location_id: s.location_id.iter().map(|&id| locations.map(id)).collect(),
                value: s.value.clone(),
                label: s
                    .label
                    .iter()
                    .map(|l| {
                        let key = st.intern(&l.key);
                        match &l.value {
                            LabelValue::Str(s) => wire::Label {
                                key,
                                str: st.intern(s),
                                ..Default::default()
                            },
                            LabelValue::Num { num, unit } => wire::Label {
                                key,
                                num: *num,
                                num_unit: st.intern(unit),
                                ..Default::default()
                            },
                        }
                    })
                    .collect(),
            })
            .collect();
        let mapping = self
            .mapping
            .iter()
            .enumerate()
            .map(|(i, m)| wire::Mapping {
                id: i as u64 + 1,
                memory_start: m.memory_start,
                memory_limit: m.memory_limit,
                file_offset: m.file_offset,
                filename: st.intern(&m.filename),
                build_id: st.intern(&m.build_id),
                has_functions: m.has_functions,
                has_filenames: m.has_filenames,
                has_line_numbers: m.has_line_numbers,
                has_inline_frames: m.has_inline_frames,
            })
            .collect();
        let location = self
            .location
            .iter()
            .enumerate()
            .map(|(i, l)| wire::Location {
                id: i as u64 + 1,
                mapping_id: mappings.map(l.mapping_id),
                address: l.address,
                line: l
                    .line
                    .iter()
                    .map(|ln| wire::Line {
                        function_id: functions.map(ln.function_id),
                        line: ln.line,
                        column: ln.column,
                    })
                    .collect(),
                is_folded: l.is_folded,
            })
            .collect();
        let function = self
            .function
            .iter()
            .enumerate()
            .map(|(i, f)| wire::Function {
                id: i as u64 + 1,
                name: st.intern(&f.name),
                system_name: st.intern(&f.system_name),
                filename: st.intern(&f.filename),
                start_line: f.start_line,
            })
            .collect();
        wire::Profile {
            sample_type,
            sample,
            mapping,
            location,
            function,
            drop_frames: st.intern(&self.drop_frames),
            keep_frames: st.intern(&self.keep_frames),
            time_nanos: self.time_nanos,
            duration_nanos: self.duration_nanos,
            period_type: self.period_type.as_ref().map(|vt| st.value_type(vt)),
            period: self.period,
            comment: self.comments.iter().map(|c| st.intern(c)).collect(),
            default_sample_type: st.intern(&self.default_sample_type),
            doc_url: st.intern(&self.doc_url),
            string_table: st
                .table
                .into_iter()
                .map(|s| s.as_bytes().to_vec())
                .collect(),
        }
    }
}

/// Old id to new id (position + 1) for one kind of entity; unknown ids become 0.
struct Renumber(IdIndex);

impl Renumber {
    fn new(ids: impl ExactSizeIterator<Item = u64>) -> Self {
        // A zero or duplicate id is no obstacle to encoding: the first holder of an id keeps
        // the references, every entity still gets a fresh id.
        Renumber(IdIndex::build(ids).0)
    }

    fn map(&self, id: u64) -> u64 {
        self.0.get(id).map_or(0, |pos| pos as u64 + 1)
    }
}

/// Strings in order of first use, with "" first as `profile.proto` requires.
struct StringTable<'a> {
    index: HashMap<&'a str, i64>,
    table: Vec<&'a str>,
}

impl Default for StringTable<'_> {
    fn default() -> Self {
        StringTable {
            index: HashMap::from([("", 0)]),
            table: vec![""],
        }
    }
}

impl<'a> StringTable<'a> {
    fn intern(&mut self, s: &'a str) -> i64 {
        let next = self.table.len() as i64;
        let i = *self.index.entry(s).or_insert(next);
        if i == next {
            self.table.push(s);
        }
        i
    }

    fn value_type(&mut self, vt: &'a ValueType) -> wire::ValueType {
        wire::ValueType {
            r#type: self.intern(&vt.ty),
            unit: self.intern(&vt.unit),
        }
    }
}
