//! The in-memory profile: one Rust type per `profile.proto` message, with strings resolved.
//!
//! The wire format refers to strings by index into a string table; here every string field holds
//! the string itself, so operations never juggle indices. Ids stay as they are on the wire
//! (non-zero, unique per kind) until [`Profile::compact`](crate::Profile) or encoding renumbers
//! them 1..n.

/// A whole profile. Corresponds to `perftools.profiles.Profile`.
///
/// ```
/// use oxprof_profile::{Profile, ValueType};
/// let p = Profile {
///     sample_type: vec![ValueType::new("samples", "count")],
///     ..Profile::default()
/// };
/// assert!(p.sample.is_empty());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    /// Type and unit of each entry of every [`Sample::value`].
    pub sample_type: Vec<ValueType>,
    /// The sample type a viewer shows by default; empty means the last one.
    pub default_sample_type: String,
    /// The measurements.
    pub sample: Vec<Sample>,
    /// Binaries and libraries the locations belong to; the first is the main binary.
    pub mapping: Vec<Mapping>,
    /// Unique program locations referenced by samples.
    pub location: Vec<Location>,
    /// Functions referenced by location lines.
    pub function: Vec<Function>,
    /// Regex of frames to drop together with everything below them (towards the leaf).
    pub drop_frames: String,
    /// Regex of frames kept even when they match `drop_frames`.
    pub keep_frames: String,
    /// Collection time, nanoseconds since the epoch.
    pub time_nanos: i64,
    /// Collection duration in nanoseconds.
    pub duration_nanos: i64,
    /// Kind of events between sampled occurrences, e.g. `cpu/nanoseconds`.
    pub period_type: Option<ValueType>,
    /// Number of events between sampled occurrences.
    pub period: i64,
    /// Free-form text for humans.
    pub comments: Vec<String>,
    /// Documentation URL of the profile type.
    pub doc_url: String,
}

/// A type and unit pair. Corresponds to `perftools.profiles.ValueType`.
///
/// ```
/// let vt = oxprof_profile::ValueType::new("cpu", "nanoseconds");
/// assert_eq!(vt.ty, "cpu");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ValueType {
    /// What is measured, e.g. `cpu`, `alloc_space`.
    pub ty: String,
    /// Its unit, e.g. `nanoseconds`, `bytes`, `count`.
    pub unit: String,
}

impl ValueType {
    /// Builds a value type from its two strings.
    ///
    /// ```
    /// let vt = oxprof_profile::ValueType::new("samples", "count");
    /// assert_eq!(vt.unit, "count");
    /// ```
    pub fn new(ty: impl Into<String>, unit: impl Into<String>) -> Self {
        ValueType {
            ty: ty.into(),
            unit: unit.into(),
        }
    }
}

/// One measurement at one call stack. Corresponds to `perftools.profiles.Sample`.
///
/// ```
/// let s = oxprof_profile::Sample { location_id: vec![2, 1], value: vec![1, 10_000_000], label: vec![] };
/// assert_eq!(s.location_id[0], 2); // the leaf comes first
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sample {
    /// Location ids of the stack, leaf first.
    pub location_id: Vec<u64>,
    /// One value per [`Profile::sample_type`].
    pub value: Vec<i64>,
    /// Labels in the order they were given.
    pub label: Vec<Label>,
}

/// A key with a string or numeric value. Corresponds to `perftools.profiles.Label`.
///
/// ```
/// use oxprof_profile::{Label, LabelValue};
/// let l = Label::num("bytes", 4096, "bytes");
/// assert_eq!(l.value, LabelValue::Num { num: 4096, unit: "bytes".into() });
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Label {
    /// The label's key.
    pub key: String,
    /// Its value.
    pub value: LabelValue,
}

/// The value of a [`Label`]: a string or a number with an optional unit.
///
/// ```
/// let v = oxprof_profile::LabelValue::Str("worker".into());
/// assert!(matches!(v, oxprof_profile::LabelValue::Str(_)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LabelValue {
    /// A string value.
    Str(String),
    /// A numeric value; `unit` may be empty (see [`Label::num_unit`]).
    Num {
        /// The number.
        num: i64,
        /// Its unit as written, possibly empty.
        unit: String,
    },
}

impl Label {
    /// A string label.
    ///
    /// ```
    /// let l = oxprof_profile::Label::str("thread", "main");
    /// assert_eq!(l.key, "thread");
    /// ```
    pub fn str(key: impl Into<String>, value: impl Into<String>) -> Self {
        Label {
            key: key.into(),
            value: LabelValue::Str(value.into()),
        }
    }

    /// A numeric label with a unit (empty for none).
    ///
    /// ```
    /// let l = oxprof_profile::Label::num("bytes", 64, "bytes");
    /// assert_eq!(l.num_unit(), Some("bytes"));
    /// ```
    pub fn num(key: impl Into<String>, num: i64, unit: impl Into<String>) -> Self {
        Label {
            key: key.into(),
            value: LabelValue::Num {
                num,
                unit: unit.into(),
            },
        }
    }

    /// The unit of a numeric label as pprof infers it: the stated unit, else `bytes` for the keys
    /// `request` and `alignment`, else the key itself. `None` for string labels.
    ///
    /// ```
    /// assert_eq!(oxprof_profile::Label::num("request", 8, "").num_unit(), Some("bytes"));
    /// assert_eq!(oxprof_profile::Label::num("pid", 8, "").num_unit(), Some("pid"));
    /// ```
    pub fn num_unit(&self) -> Option<&str> {
        match &self.value {
            LabelValue::Str(_) => None,
            LabelValue::Num { unit, .. } if !unit.is_empty() => Some(unit),
            LabelValue::Num { .. } if self.key == "request" || self.key == "alignment" => {
                Some("bytes")
            }
            LabelValue::Num { .. } => Some(&self.key),
        }
    }
}

/// A mapped binary or library. Corresponds to `perftools.profiles.Mapping`.
///
/// ```
/// let m = oxprof_profile::Mapping { id: 1, filename: "/bin/app".into(), ..Default::default() };
/// assert!(!m.has_functions);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Mapping {
    /// Unique non-zero id.
    pub id: u64,
    /// Address where the mapping starts in memory.
    pub memory_start: u64,
    /// Address one past its end.
    pub memory_limit: u64,
    /// Offset in the file that `memory_start` maps.
    pub file_offset: u64,
    /// Path of the object, or a pseudo name such as `[vdso]`.
    pub filename: String,
    /// Build id (GNU build id as hex, for ELF).
    pub build_id: String,
    /// Locations in this mapping have function names.
    pub has_functions: bool,
    /// Locations in this mapping have file names.
    pub has_filenames: bool,
    /// Locations in this mapping have line numbers.
    pub has_line_numbers: bool,
    /// Locations in this mapping have inline frames.
    pub has_inline_frames: bool,
}

/// A unique place in the program. Corresponds to `perftools.profiles.Location`.
///
/// ```
/// let loc = oxprof_profile::Location { id: 1, address: 0x401000, ..Default::default() };
/// assert!(loc.line.is_empty()); // not symbolized yet
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Location {
    /// Unique non-zero id.
    pub id: u64,
    /// Id of the mapping holding `address`; 0 when unknown.
    pub mapping_id: u64,
    /// Instruction address (for non-leaf frames, possibly inside the call instruction).
    pub address: u64,
    /// Source lines: `line[0]` is the innermost inlined callee, the last is the caller.
    pub line: Vec<Line>,
    /// The address belongs to several functions folded into one (identical code folding).
    pub is_folded: bool,
}

/// A source line of a location. Corresponds to `perftools.profiles.Line`.
///
/// ```
/// let l = oxprof_profile::Line { function_id: 3, line: 42, column: 0 };
/// assert_eq!(l.line, 42);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Line {
    /// Id of the function.
    pub function_id: u64,
    /// Line number, 0 when unknown.
    pub line: i64,
    /// Column number, 0 when unknown.
    pub column: i64,
}

/// A function. Corresponds to `perftools.profiles.Function`.
///
/// ```
/// let f = oxprof_profile::Function { id: 1, name: "main".into(), ..Default::default() };
/// assert_eq!(f.name, "main");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Function {
    /// Unique non-zero id.
    pub id: u64,
    /// Human-readable name, e.g. `alloc::vec::Vec<T>::push`.
    pub name: String,
    /// Name as the system knows it, e.g. mangled.
    pub system_name: String,
    /// Source file.
    pub filename: String,
    /// Line where the function starts.
    pub start_line: i64,
}
