//! The `-raw` report: every sample, location and mapping of a profile, ids and all, exactly as
//! pprof's `Profile.String()` dumps it.
//!
//! pprof prints this layout for `-raw` and uses it as the golden format of its own parser tests,
//! so it is the most direct way to compare what oxprof and pprof hold in memory. Label maps are
//! rebuilt per key in order of appearance and printed sorted, as Go's maps force pprof to.

use crate::go_time;

use std::collections::HashMap;
use std::io::{self, Write};

use oxprof_profile::{Function, LabelValue, Location, Mapping, Profile, Sample};

/// Writes `profile` in pprof's `-raw` layout: comments, period, time and duration, then
/// `Samples:` (values and location ids, with labels), `Locations` (address, mapping and one
/// `function file:line s=start_line` per line) and `Mappings`.
///
/// Times print in UTC.
///
/// ```
/// use oxprof_profile::{Profile, Sample, ValueType};
/// let p = Profile {
///     sample_type: vec![ValueType::new("samples", "count")],
///     sample: vec![Sample { location_id: vec![], value: vec![3], label: vec![] }],
///     period: 1,
///     ..Profile::default()
/// };
/// let mut out = Vec::new();
/// oxprof_report::raw::write_raw(&mut out, &p)?;
/// assert_eq!(
///     String::from_utf8(out).unwrap(),
///     "Period: 1\nSamples:\nsamples/count\n          3: \nLocations\nMappings\n"
/// );
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn write_raw(w: &mut dyn Write, profile: &Profile) -> io::Result<()> {
    for comment in &profile.comments {
        writeln!(w, "Comment: {comment}")?;
    }
    if let Some(pt) = &profile.period_type {
        writeln!(w, "PeriodType: {} {}", pt.ty, pt.unit)?;
    }
    writeln!(w, "Period: {}", profile.period)?;
    if profile.time_nanos != 0 {
        writeln!(w, "Time: {}", go_time::time_string(profile.time_nanos))?;
    }
    if profile.duration_nanos != 0 {
        // pprof prints the duration with `%.4v`, which cuts Go's duration string to 4 characters.
        let duration: String = go_time::duration_string(profile.duration_nanos)
            .chars()
            .take(4)
            .collect();
        writeln!(w, "Duration: {duration}")?;
    }

    writeln!(w, "Samples:")?;
    let types: Vec<String> = profile
        .sample_type
        .iter()
        .map(|st| {
            let default = if st.ty == profile.default_sample_type {
                "[dflt]"
            } else {
                ""
            };
            format!("{}/{}{default}", st.ty, st.unit)
        })
        .collect();
    writeln!(w, "{}", types.join(" ").trim())?;
    for sample in &profile.sample {
        write_sample(w, sample)?;
    }

    writeln!(w, "Locations")?;
    let functions: HashMap<u64, &Function> = profile.function.iter().map(|f| (f.id, f)).collect();
    let mappings: HashMap<u64, &Mapping> = profile.mapping.iter().map(|m| (m.id, m)).collect();
    for location in &profile.location {
        write_location(w, location, &functions, &mappings)?;
    }

    writeln!(w, "Mappings")?;
    for mapping in &profile.mapping {
        write_mapping(w, mapping)?;
    }
    Ok(())
}

/// ` value value: id id ` and, indented, the string and numeric labels.
fn write_sample(w: &mut dyn Write, sample: &Sample) -> io::Result<()> {
    for v in &sample.value {
        write!(w, " {v:>10}")?;
    }
    write!(w, ": ")?;
    for id in &sample.location_id {
        write!(w, "{id} ")?;
    }
    writeln!(w)?;

    const INDENT: &str = "                ";
    let labels = LabelMaps::of(sample);
    if !labels.strings.is_empty() {
        let mut parts: Vec<String> = labels
            .strings
            .iter()
            .map(|(key, values)| format!("{key}:[{}]", values.join(" ")))
            .collect();
        parts.sort();
        writeln!(w, "{INDENT}{}", parts.join(" "))?;
    }
    if !labels.numbers.is_empty() {
        let mut parts: Vec<String> = labels
            .numbers
            .iter()
            .map(NumLabels::to_raw_string)
            .collect();
        parts.sort();
        writeln!(w, "{INDENT}{}", parts.join(" "))?;
    }
    Ok(())
}

/// A sample's labels grouped by key as pprof's `Label`/`NumLabel`/`NumUnit` maps hold them.
struct LabelMaps<'a> {
    strings: Vec<(&'a str, Vec<&'a str>)>,
    numbers: Vec<NumLabels<'a>>,
}

/// The numeric values of one key, and their units as pprof keeps them: padded with empty units
/// up to each value that has one, so the list is shorter than the values when the last values
/// came without a unit.
struct NumLabels<'a> {
    key: &'a str,
    values: Vec<i64>,
    units: Vec<&'a str>,
}

impl<'a> LabelMaps<'a> {
    fn of(sample: &'a Sample) -> Self {
        let mut maps = LabelMaps {
            strings: Vec::new(),
            numbers: Vec::new(),
        };
        for label in &sample.label {
            match &label.value {
                LabelValue::Str(s) => {
                    match maps.strings.iter_mut().find(|(k, _)| *k == label.key) {
                        Some((_, values)) => values.push(s),
                        None => maps.strings.push((&label.key, vec![s])),
                    }
                }
                LabelValue::Num { num, unit } => {
                    let pos = match maps.numbers.iter().position(|n| n.key == label.key) {
                        Some(pos) => pos,
                        None => {
                            let empty = NumLabels {
                                key: &label.key,
                                values: vec![],
                                units: vec![],
                            };
                            maps.numbers.push(empty);
                            maps.numbers.len() - 1
                        }
                    };
                    let entry = &mut maps.numbers[pos];
                    if !unit.is_empty() {
                        entry.units.resize(entry.values.len(), "");
                        entry.units.push(unit);
                    }
                    entry.values.push(*num);
                }
            }
        }
        maps
    }
}

impl NumLabels<'_> {
    /// `key:[1 2]`, or `key:[1 bytes 2 bytes]` when every value has a unit slot.
    fn to_raw_string(&self) -> String {
        let values: Vec<String> = if self.units.len() == self.values.len() {
            self.values
                .iter()
                .zip(&self.units)
                .map(|(v, u)| format!("{v} {u}"))
                .collect()
        } else {
            self.values.iter().map(i64::to_string).collect()
        };
        format!("{}:[{}]", self.key, values.join(" "))
    }
}

/// `    id: 0xaddr M=mapping [F] function file:line s=start(system_name)`, one line per
/// inlined frame with the location details only on the first.
fn write_location(
    w: &mut dyn Write,
    location: &Location,
    functions: &HashMap<u64, &Function>,
    mappings: &HashMap<u64, &Mapping>,
) -> io::Result<()> {
    let mut head = format!("{:>6}: {:#x} ", location.id, location.address);
    if let Some(m) = mappings.get(&location.mapping_id) {
        head.push_str(&format!("M={} ", m.id));
    }
    if location.is_folded {
        head.push_str("[F] ");
    }
    if location.line.is_empty() {
        return writeln!(w, "{head}");
    }
    for line in &location.line {
        write!(w, "{head}")?;
        match functions.get(&line.function_id) {
            Some(f) => {
                write!(
                    w,
                    "{} {}:{} s={}",
                    f.name, f.filename, line.line, f.start_line
                )?;
                if f.name != f.system_name {
                    write!(w, "({})", f.system_name)?;
                }
                writeln!(w)?;
            }
            None => writeln!(w, "??")?,
        }
        head = " ".repeat(13);
    }
    Ok(())
}

/// `id: 0xstart/0xlimit/0xoffset file build_id [FN][FL][LN][IN]`.
fn write_mapping(w: &mut dyn Write, m: &Mapping) -> io::Result<()> {
    let flags = [
        (m.has_functions, "[FN]"),
        (m.has_filenames, "[FL]"),
        (m.has_line_numbers, "[LN]"),
        (m.has_inline_frames, "[IN]"),
    ];
    let bits: String = flags
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, b)| *b)
        .collect();
    writeln!(
        w,
        "{}: {:#x}/{:#x}/{:#x} {} {} {bits}",
        m.id, m.memory_start, m.memory_limit, m.file_offset, m.filename, m.build_id
    )
}
