//! The messages of `push.v1.PusherService/Push` (Pyroscope's `api/push/v1/push.proto` and the
//! `LabelPair` of `api/types/v1/types.proto`), with their field numbers.
//!
//! Only what a push carries is defined: the annotations a series may also carry (field 3) are
//! dropped by Pyroscope's server and skipped here as unknown fields.

/// A push: series of profiles, each series with its labels.
///
/// ```
/// use prost::Message;
/// let empty = oxprof_push::proto::PushRequest::default();
/// assert!(empty.encode_to_vec().is_empty());
/// ```
#[derive(Clone, PartialEq, prost::Message)]
pub struct PushRequest {
    /// The series pushed.
    #[prost(message, repeated, tag = "1")]
    pub series: Vec<RawProfileSeries>,
}

/// The answer to a push: empty.
///
/// ```
/// use prost::Message;
/// assert!(oxprof_push::proto::PushResponse {}.encode_to_vec().is_empty());
/// ```
#[derive(Clone, PartialEq, prost::Message)]
pub struct PushResponse {}

/// One series: a label set and profiles taken under it.
///
/// ```
/// let series = oxprof_push::proto::RawProfileSeries::default();
/// assert!(series.labels.is_empty() && series.samples.is_empty());
/// ```
#[derive(Clone, PartialEq, prost::Message)]
pub struct RawProfileSeries {
    /// The series' labels: `__name__`, `service_name` and any others.
    #[prost(message, repeated, tag = "1")]
    pub labels: Vec<LabelPair>,
    /// The profiles.
    #[prost(message, repeated, tag = "2")]
    pub samples: Vec<RawSample>,
}

/// One profile: pprof bytes, gzipped or not.
///
/// ```
/// let sample = oxprof_push::proto::RawSample { raw_profile: vec![0x1f, 0x8b], id: "0f1e".into() };
/// assert_eq!(sample.raw_profile.len(), 2);
/// ```
#[derive(Clone, PartialEq, prost::Message)]
pub struct RawSample {
    /// The `profile.proto` bytes.
    #[prost(bytes = "vec", tag = "1")]
    pub raw_profile: Vec<u8>,
    /// A unique id (a UUID in Pyroscope's clients); may be empty.
    #[prost(string, tag = "2")]
    pub id: String,
}

/// A label: `types.v1.LabelPair`.
///
/// ```
/// let label = oxprof_push::proto::LabelPair::new("env", "prod");
/// assert_eq!((label.name.as_str(), label.value.as_str()), ("env", "prod"));
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, prost::Message)]
pub struct LabelPair {
    /// The label's name.
    #[prost(string, tag = "1")]
    pub name: String,
    /// Its value.
    #[prost(string, tag = "2")]
    pub value: String,
}

impl LabelPair {
    /// A label from its name and value.
    ///
    /// ```
    /// assert_eq!(oxprof_push::proto::LabelPair::new("a", "b").name, "a");
    /// ```
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> LabelPair {
        LabelPair {
            name: name.into(),
            value: value.into(),
        }
    }
}
