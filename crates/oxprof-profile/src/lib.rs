//! The `profile.proto` data model: decode (gzip or raw), encode, validate, merge, scale,
//! subtract, filter, prune and re-granularize pprof profiles.
//!
//! # Brief overview
//!
//! [`Profile`] mirrors `perftools.profiles.Profile` with strings resolved, one Rust type per
//! message ([`Sample`], [`Location`], [`Line`], [`Function`], [`Mapping`], [`ValueType`],
//! [`Label`]). [`Profile::parse`] reads anything pprof reads (protobuf, gzipped or not, and the
//! legacy text and binary formats); [`Profile::write`] writes gzipped protobuf. Every input is
//! untrusted: decoding never panics and never allocates more than the input size justifies.
//!
//! This crate does no I/O beyond `Read`/`Write` and knows nothing of reports or binaries.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod aggregate;
mod compact;
mod decode;
mod encode;
mod error;
mod filter;
mod focus;
mod legacy;
mod lookup;
mod merge;
mod model;
mod prune;
mod sample_index;
mod scale;
mod symbolized;
mod tagfilter;
pub mod units;
mod validate;
mod wire;

pub use aggregate::Granularity;
pub use error::{Error, ErrorKind, Result};
pub use filter::{compile_regex_option, NameMatches};
pub use focus::FilterOptions;
pub use model::{Function, Label, LabelValue, Line, Location, Mapping, Profile, Sample, ValueType};
pub use sample_index::legacy_sample_index_flag;
pub use scale::DIFF_BASE_LABEL;
pub use tagfilter::{NumLabelUnits, TagFilter};
