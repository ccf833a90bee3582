//! Grafana Pyroscope's push protocol, shared by oxprof's agent (which sends) and `oxprof serve`
//! (which receives): the `push.v1` messages ([`proto`]), the rules a series' labels must follow
//! ([`labels`]), and the `__name__` a pprof profile is filed under ([`profile_name`]).
//!
//! A push is `POST /push.v1.PusherService/Push` ([`PUSH_PATH`]) with a [`proto::PushRequest`]
//! body (`Content-Type: application/proto`, optionally gzipped with `Content-Encoding: gzip`):
//! series of labels, each with raw pprof profiles.
//!
//! ```
//! use oxprof_push::proto::{LabelPair, PushRequest, RawProfileSeries, RawSample};
//! use prost::Message;
//!
//! let request = PushRequest {
//!     series: vec![RawProfileSeries {
//!         labels: vec![LabelPair::new("__name__", "process_cpu"), LabelPair::new("service_name", "checkout")],
//!         samples: vec![RawSample { raw_profile: b"pprof bytes".to_vec(), id: String::new() }],
//!     }],
//! };
//! oxprof_push::labels::check(&request.series[0].labels)?;
//! let decoded = PushRequest::decode(request.encode_to_vec().as_slice())?;
//! assert_eq!(decoded, request);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod labels;
pub mod proto;

/// The Connect path of Pyroscope's push call.
///
/// ```
/// assert_eq!(oxprof_push::PUSH_PATH, "/push.v1.PusherService/Push");
/// ```
pub const PUSH_PATH: &str = "/push.v1.PusherService/Push";

/// The `__name__` Pyroscope files a pprof profile under, from its first sample type it knows,
/// as its ingest path classifies them (`process_cpu`, `memory`, `block`, `mutex`,
/// `goroutines`, `wall`). Go's `contentions`/`delay` are filed as `mutex` unless `block` is
/// true: the sample types of block and mutex profiles are the same, so only the sender knows.
///
/// ```
/// assert_eq!(oxprof_push::profile_name(["samples", "cpu"], false), Some("process_cpu"));
/// assert_eq!(oxprof_push::profile_name(["alloc_objects", "alloc_space"], false), Some("memory"));
/// assert_eq!(oxprof_push::profile_name(["contentions", "delay"], true), Some("block"));
/// assert_eq!(oxprof_push::profile_name(["contentions", "delay"], false), Some("mutex"));
/// assert_eq!(oxprof_push::profile_name(["widgets"], false), None);
/// ```
pub fn profile_name<'a>(
    sample_types: impl IntoIterator<Item = &'a str>,
    block: bool,
) -> Option<&'static str> {
    sample_types.into_iter().find_map(|ty| {
        Some(match ty {
            ty if ty.contains("cpu") => "process_cpu",
            "alloc_objects" | "alloc_space" | "inuse_objects" | "inuse_space" | "space"
            | "objects" => "memory",
            "contentions" | "delay" if block => "block",
            "contentions" | "delay" => "mutex",
            ty if ty.starts_with("mutex_") => "mutex",
            ty if ty.starts_with("block_") => "block",
            "goroutine" | "goroutines" => "goroutines",
            "wall" => "wall",
            _ => return None,
        })
    })
}

/// Pyroscope's id of a profile type: `__name__`, the sample type and unit, the period type and
/// unit, joined by `:`.
///
/// ```
/// let id = oxprof_push::profile_type_id("memory", ("inuse_space", "bytes"), Some(("space", "bytes")));
/// assert_eq!(id, "memory:inuse_space:bytes:space:bytes");
/// assert_eq!(oxprof_push::profile_type_id("x", ("n", "count"), None), "x:n:count::");
/// ```
pub fn profile_type_id(name: &str, sample: (&str, &str), period: Option<(&str, &str)>) -> String {
    let (period_type, period_unit) = period.unwrap_or(("", ""));
    format!(
        "{name}:{}:{}:{period_type}:{period_unit}",
        sample.0, sample.1
    )
}
