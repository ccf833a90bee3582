//! `oxprof serve`'s store: profiles pushed by agents, kept durably with their labels, and the
//! queries that read them back: services, profile types, label names and values, a timeline of
//! totals, and a time range merged into one profile.
//!
//! # Brief overview
//!
//! [`ingest`] checks what a client sent (a Pyroscope push, or a legacy `/ingest` upload) and
//! turns it into [`ingest::Item`]s; [`Store::insert`] writes them in one transaction; a
//! [`query::Query`] (`process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name="api"}`) selects
//! series, and [`Store::merge`] and [`Store::timeline`] read a time range of them.
//!
//! Everything lives in one SQLite database (`oxprof.db` in the store's directory) in WAL mode
//! with full synchronization: an insert is on disk when it returns, and a crash or power cut
//! leaves the store as of the last insert that returned. The index (series, their label sets
//! and sample types, one row per profile with its time span and totals) and the gzipped
//! profiles are in separate tables, so queries over the index never read profiles. Series are
//! few and kept in memory too, so label queries touch no disk.
//!
//! ```
//! use oxprof_push::proto::{LabelPair, PushRequest, RawProfileSeries, RawSample};
//! use oxprof_profile::{Profile, Sample, ValueType};
//!
//! let dir = tempfile::tempdir()?;
//! let store = oxprof_store::Store::open(dir.path())?;
//! let profile = |t: i64, v: i64| Profile {
//!     sample_type: vec![ValueType::new("cpu", "nanoseconds")],
//!     period_type: Some(ValueType::new("cpu", "nanoseconds")),
//!     sample: vec![Sample { value: vec![v], ..Default::default() }],
//!     time_nanos: t,
//!     duration_nanos: 10,
//!     ..Default::default()
//! };
//! let push = PushRequest {
//!     series: vec![RawProfileSeries {
//!         labels: vec![LabelPair::new("__name__", "process_cpu"), LabelPair::new("service_name", "api")],
//!         samples: [profile(100, 3), profile(110, 4)]
//!             .iter()
//!             .map(|p| RawSample { raw_profile: p.encode_gzip(), id: String::new() })
//!             .collect(),
//!     }],
//! };
//! let items = oxprof_store::ingest::from_push(push, 1_000, &Default::default())?;
//! store.insert(&items)?;
//! assert_eq!(store.services(), ["api"]);
//! let query = r#"process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name="api"}"#.parse()?;
//! let merged = store.merge(&query, 0, 1_000)?.unwrap();
//! assert_eq!(merged.profile.sample[0].value, [7]);
//! assert_eq!(merged.count, 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::fmt;

pub mod ingest;
mod merge;
pub mod multipart;
pub mod query;
mod store;
pub mod time;

pub use merge::Merged;
pub use store::{Point, Stats, Store};

/// Why a request or an operation failed.
///
/// ```
/// let e = oxprof_store::Error::BadInput("no".into()).context("series 1");
/// assert_eq!(e.to_string(), "series 1: no");
/// assert!(e.is_client_error());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The client sent something wrong: answered with 400.
    BadInput(String),
    /// The client sent something too large: answered with 413.
    TooLarge(String),
    /// Nothing matches what was asked for: answered with 404.
    NotFound(String),
    /// The store could not read or write: answered with 500.
    Storage(String),
}

impl Error {
    /// The same error with `prefix: ` before its message.
    ///
    /// ```
    /// let e = oxprof_store::Error::Storage("disk full".into()).context("insert");
    /// assert_eq!(e.to_string(), "insert: disk full");
    /// ```
    pub fn context(self, prefix: &str) -> Error {
        match self {
            Error::BadInput(m) => Error::BadInput(format!("{prefix}: {m}")),
            Error::TooLarge(m) => Error::TooLarge(format!("{prefix}: {m}")),
            Error::NotFound(m) => Error::NotFound(format!("{prefix}: {m}")),
            Error::Storage(m) => Error::Storage(format!("{prefix}: {m}")),
        }
    }

    /// Whether the client is to blame (a 4xx answer) rather than the server.
    ///
    /// ```
    /// assert!(!oxprof_store::Error::Storage("x".into()).is_client_error());
    /// ```
    pub fn is_client_error(&self) -> bool {
        !matches!(self, Error::Storage(_))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::BadInput(m) | Error::TooLarge(m) | Error::NotFound(m) | Error::Storage(m) => {
                f.write_str(m)
            }
        }
    }
}

impl std::error::Error for Error {}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Error {
        Error::Storage(format!("store: {e}"))
    }
}
