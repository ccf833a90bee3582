//! Turning what a client sent into profiles ready to store, checking everything first: a push
//! ([`from_push`]) or a legacy `/ingest` upload ([`from_legacy`]) becomes [`Item`]s, or fails as
//! a whole with [`Error::BadInput`] naming the first problem, so a bad request stores nothing.

use std::io::Read;

use flate2::{read::MultiGzDecoder, write::GzEncoder, Compression};
use oxprof_profile::{Profile, ValueType};
use oxprof_push::labels::{self, NAME, SERVICE_NAME};
use oxprof_push::proto::{LabelPair, PushRequest, RawProfileSeries, RawSample};
use serde_json::Value;

use crate::Error;

/// One profile, checked, with its series' labels (sorted by name) and its time span.
#[derive(Debug, Clone)]
pub struct Item {
    /// The series' labels, `__name__` and `service_name` among them, sorted by name.
    pub labels: Vec<LabelPair>,
    /// When the profile starts, nanoseconds since the epoch.
    pub start_ns: i64,
    /// When it ends.
    pub end_ns: i64,
    /// The profile, decoded.
    pub profile: Profile,
    /// The profile's `profile.proto` bytes, gzipped, as they will be stored.
    pub gzipped: Vec<u8>,
    /// The id the client gave it (a push's `RawSample.ID`), or empty.
    pub id: String,
}

/// What a server accepts.
///
/// ```
/// let limits = oxprof_store::ingest::Limits::default();
/// assert_eq!(limits.max_profile_bytes, 16 << 20);
/// assert_eq!(limits.max_future_ns, 600_000_000_000);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The largest profile, uncompressed.
    pub max_profile_bytes: u64,
    /// How far ahead of the server's clock a profile may be dated (Pyroscope's
    /// `reject-newer-than`, 10 minutes).
    pub max_future_ns: i64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_profile_bytes: 16 << 20,
            max_future_ns: 10 * 60 * 1_000_000_000,
        }
    }
}

/// Inflates `data` when it is gzipped (by its magic bytes), failing past `cap` bytes.
///
/// ```
/// use std::io::Write;
/// let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
/// gz.write_all(&[7u8; 100])?;
/// let data = gz.finish()?;
/// assert_eq!(oxprof_store::ingest::inflate(&data, 100).unwrap().len(), 100);
/// assert!(oxprof_store::ingest::inflate(&data, 99).is_err());
/// assert_eq!(oxprof_store::ingest::inflate(b"plain", 99).unwrap(), b"plain");
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn inflate(data: &[u8], cap: u64) -> Result<Vec<u8>, Error> {
    if !data.starts_with(&[0x1f, 0x8b]) {
        if data.len() as u64 > cap {
            return Err(too_large(cap));
        }
        return Ok(data.to_vec());
    }
    let mut out = Vec::new();
    MultiGzDecoder::new(data)
        .take(cap + 1)
        .read_to_end(&mut out)
        .map_err(|e| Error::BadInput(format!("bad gzip data: {e}")))?;
    if out.len() as u64 > cap {
        return Err(too_large(cap));
    }
    Ok(out)
}

fn too_large(cap: u64) -> Error {
    Error::TooLarge(format!(
        "the profile is larger than {cap} bytes uncompressed"
    ))
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(data.len() / 4), Compression::fast());
    std::io::Write::write_all(&mut encoder, data).expect("writing to a Vec cannot fail");
    encoder.finish().expect("writing to a Vec cannot fail")
}

/// A `PushRequest` in proto3's JSON form, as Connect clients send it with
/// `Content-Type: application/json`: `{"series": [{"labels": [{"name", "value"}], "samples":
/// [{"rawProfile": base64, "ID"}]}]}` (original field names taken too). Fails with
/// [`Error::BadInput`] naming what is wrong.
///
/// ```
/// let body = br#"{"series": [{"labels": [{"name": "service_name", "value": "api"}],
///     "samples": [{"rawProfile": "cHByb2Y=", "ID": "7"}]}]}"#;
/// let push = oxprof_store::ingest::push_from_json(body)?;
/// assert_eq!(push.series[0].samples[0].raw_profile, b"pprof");
/// let err = oxprof_store::ingest::push_from_json(br#"{"series": 5}"#).unwrap_err();
/// assert_eq!(err.to_string(), "\"series\" is not a list");
/// # Ok::<(), oxprof_store::Error>(())
/// ```
pub fn push_from_json(body: &[u8]) -> Result<PushRequest, Error> {
    json_push(body).map_err(Error::BadInput)
}

fn json_push(body: &[u8]) -> Result<PushRequest, String> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    let list = |v: &Value, key: &str| -> Result<Vec<Value>, String> {
        match v.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => Ok(items.clone()),
            Some(_) => Err(format!("\"{key}\" is not a list")),
        }
    };
    let string = |v: &Value, keys: &[&str]| -> Result<String, String> {
        match keys.iter().find_map(|k| v.get(*k)) {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(format!("\"{}\" is not a string", keys[0])),
        }
    };
    let mut request = PushRequest::default();
    for series in list(&value, "series")? {
        let mut out = RawProfileSeries::default();
        for label in list(&series, "labels")? {
            out.labels.push(LabelPair::new(
                string(&label, &["name"])?,
                string(&label, &["value"])?,
            ));
        }
        for sample in list(&series, "samples")? {
            let encoded = string(&sample, &["rawProfile", "raw_profile"])?;
            let raw_profile = base64_decode(&encoded)
                .ok_or_else(|| "\"rawProfile\" is not base64".to_string())?;
            out.samples.push(RawSample {
                raw_profile,
                id: string(&sample, &["ID", "id"])?,
            });
        }
        request.series.push(out);
    }
    Ok(request)
}

/// Standard or URL-safe base64, padded or not, as proto3's JSON allows.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    use base64::engine::{general_purpose, DecodePaddingMode, GeneralPurpose};
    use base64::Engine;
    let config = general_purpose::GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent);
    let standard = GeneralPurpose::new(&base64::alphabet::STANDARD, config);
    let url_safe = GeneralPurpose::new(&base64::alphabet::URL_SAFE, config);
    standard
        .decode(text)
        .or_else(|_| url_safe.decode(text))
        .ok()
}

/// Checks a push and turns it into items: every series' labels ([`labels::check`]), every
/// profile decoded as `profile.proto` (gzipped or not) within `limits`, valid, and not dated
/// more than `limits.max_future_ns` after `now_ns`. A profile without a time is dated now.
///
/// ```
/// use oxprof_push::proto::{LabelPair, PushRequest, RawProfileSeries, RawSample};
/// use oxprof_store::ingest::{from_push, Limits};
/// let profile = oxprof_profile::Profile {
///     sample_type: vec![oxprof_profile::ValueType::new("cpu", "nanoseconds")],
///     time_nanos: 1_000,
///     duration_nanos: 10,
///     ..Default::default()
/// };
/// let push = |raw: Vec<u8>| PushRequest {
///     series: vec![RawProfileSeries {
///         labels: vec![LabelPair::new("service_name", "api"), LabelPair::new("__name__", "process_cpu")],
///         samples: vec![RawSample { raw_profile: raw, id: String::new() }],
///     }],
/// };
/// let items = from_push(push(profile.encode_gzip()), 2_000, &Limits::default())?;
/// assert_eq!((items[0].start_ns, items[0].end_ns), (1_000, 1_010));
/// assert_eq!(items[0].labels[0].name, "__name__");
/// let err = from_push(push(b"garbage".to_vec()), 2_000, &Limits::default()).unwrap_err();
/// assert!(err.to_string().starts_with("series {__name__=\"process_cpu\", service_name=\"api\"}, profile 1: malformed profile"));
/// # Ok::<(), oxprof_store::Error>(())
/// ```
pub fn from_push(request: PushRequest, now_ns: i64, limits: &Limits) -> Result<Vec<Item>, Error> {
    let mut items = Vec::new();
    if request.series.is_empty() {
        return Err(Error::BadInput("the push holds no series".into()));
    }
    for series in request.series {
        labels::check(&series.labels).map_err(|e| Error::BadInput(e.to_string()))?;
        let mut sorted = series.labels;
        sorted.sort();
        let at = labels::display(&sorted);
        if series.samples.is_empty() {
            return Err(Error::BadInput(format!("series {at} holds no profile")));
        }
        for (i, sample) in series.samples.into_iter().enumerate() {
            let context = |e: Error| e.context(&format!("series {at}, profile {}", i + 1));
            let (profile, gzipped) = decode(sample.raw_profile, limits).map_err(context)?;
            if sample.id.len() > 128 {
                return Err(context(Error::BadInput(
                    "the profile's ID is longer than 128 bytes".into(),
                )));
            }
            let mut item =
                item(sorted.clone(), profile, gzipped, None, now_ns, limits).map_err(context)?;
            item.id = sample.id;
            items.push(item);
        }
    }
    Ok(items)
}

/// A profile decoded as `profile.proto`, and its gzipped bytes.
fn decode(raw: Vec<u8>, limits: &Limits) -> Result<(Profile, Vec<u8>), Error> {
    let plain = inflate(&raw, limits.max_profile_bytes)?;
    let profile = Profile::decode(&plain).map_err(|e| Error::BadInput(e.to_string()))?;
    let gzipped = if raw.starts_with(&[0x1f, 0x8b]) {
        raw
    } else {
        gzip(&plain)
    };
    Ok((profile, gzipped))
}

/// An item after the checks every profile gets, dated by `span` or else by the profile.
fn item(
    labels: Vec<LabelPair>,
    profile: Profile,
    gzipped: Vec<u8>,
    span: Option<(i64, i64)>,
    now_ns: i64,
    limits: &Limits,
) -> Result<Item, Error> {
    profile
        .validate()
        .map_err(|e| Error::BadInput(e.to_string()))?;
    if profile.sample_type.is_empty() {
        return Err(Error::BadInput("the profile has no sample types".into()));
    }
    if let Some(t) = profile.sample_type.iter().find(|t| t.ty.contains('-')) {
        return Err(Error::BadInput(format!(
            "sample type {:?} contains '-'",
            t.ty
        )));
    }
    let (start_ns, end_ns) = span.unwrap_or_else(|| {
        let duration = profile.duration_nanos.max(0);
        let start = match profile.time_nanos {
            t if t > 0 => t,
            _ => now_ns - duration,
        };
        (start, start.saturating_add(duration))
    });
    if start_ns > now_ns.saturating_add(limits.max_future_ns) {
        return Err(Error::BadInput(format!(
            "the profile is dated {} s in the future; at most {} s ahead is accepted",
            (start_ns - now_ns) / 1_000_000_000,
            limits.max_future_ns / 1_000_000_000
        )));
    }
    if end_ns < start_ns {
        return Err(Error::BadInput("the profile ends before it starts".into()));
    }
    Ok(Item {
        labels,
        start_ns,
        end_ns,
        profile,
        gzipped,
        id: String::new(),
    })
}

/// The query parameters of a legacy `/ingest` request.
#[derive(Debug, Clone, Default)]
pub struct Legacy<'a> {
    /// `name`: `app{k=v,...}`.
    pub name: &'a str,
    /// `from` and `until`, in any of [`crate::time::parse`]'s forms; `None` means now.
    pub from: Option<&'a str>,
    /// See `from`.
    pub until: Option<&'a str>,
    /// `format`: `pprof` or `folded` (the default).
    pub format: Option<&'a str>,
    /// `sampleRate` in Hz for folded stacks (100 by default).
    pub sample_rate: Option<&'a str>,
    /// `spyName`, kept as the `pyroscope_spy` label.
    pub spy_name: Option<&'a str>,
    /// Whether a `sample_type_config` names block display names, so `contentions`/`delay`
    /// are a block profile rather than a mutex one.
    pub block: bool,
}

/// Checks a legacy `/ingest` upload: the profile `body` (pprof, gzipped or not, or folded
/// stacks, which become a CPU profile at `sampleRate`), dated `from`..`until`, under the
/// labels of `name` and a `__name__` classified from its sample types.
///
/// ```
/// use oxprof_store::ingest::{from_legacy, Legacy, Limits};
/// let query = Legacy { name: "app{env=prod}", from: Some("1700000000"), until: Some("1700000010"), ..Default::default() };
/// let items = from_legacy(&query, b"main;work 3\nmain 1\n", 1_700_000_020_000_000_000, &Limits::default())?;
/// let item = &items[0];
/// assert_eq!(oxprof_push::labels::display(&item.labels), r#"{__name__="process_cpu", env="prod", service_name="app"}"#);
/// assert_eq!(item.profile.sample_type[1].ty, "cpu");
/// assert_eq!(item.profile.sample.iter().map(|s| s.value[1]).sum::<i64>(), 40_000_000);
/// assert_eq!(item.start_ns, 1_700_000_000_000_000_000);
/// # Ok::<(), oxprof_store::Error>(())
/// ```
pub fn from_legacy(
    query: &Legacy,
    body: &[u8],
    now_ns: i64,
    limits: &Limits,
) -> Result<Vec<Item>, Error> {
    let mut labels =
        labels::parse_legacy(query.name).map_err(|e| Error::BadInput(e.to_string()))?;
    let from = query
        .from
        .map(|t| crate::time::parse(t, now_ns))
        .transpose()?
        .unwrap_or(now_ns);
    let until = query
        .until
        .map(|t| crate::time::parse(t, now_ns))
        .transpose()?
        .unwrap_or(now_ns);
    let (profile, gzipped) = match query.format.unwrap_or("folded") {
        "pprof" => decode(body.to_vec(), limits)?,
        "folded" | "lines" => {
            let profile = folded_cpu(body, query.sample_rate, limits)?;
            let gzipped = profile.encode_gzip();
            (profile, gzipped)
        }
        other => {
            return Err(Error::BadInput(format!(
                "format {other:?} is not supported: send pprof or folded"
            )))
        }
    };
    let types = profile.sample_type.iter().map(|t| t.ty.as_str());
    let name = oxprof_push::profile_name(types, query.block).ok_or_else(|| {
        Error::BadInput("no sample type of the profile says what kind of profile it is".into())
    })?;
    labels.push(LabelPair::new(NAME, name));
    if let Some(spy) = query.spy_name.filter(|s| !s.is_empty()) {
        labels.push(LabelPair::new("pyroscope_spy", spy));
    }
    labels::check(&labels).map_err(|e| Error::BadInput(e.to_string()))?;
    labels.sort();
    debug_assert!(labels.iter().any(|l| l.name == SERVICE_NAME));
    let span = Some((from, until.max(from)));
    Ok(vec![item(labels, profile, gzipped, span, now_ns, limits)?])
}

/// Folded stacks as a CPU profile: each count is one sample of `1/rate` seconds.
fn folded_cpu(body: &[u8], rate: Option<&str>, limits: &Limits) -> Result<Profile, Error> {
    let rate: i64 = match rate {
        None | Some("") => 100,
        Some(r) => r
            .parse()
            .ok()
            .filter(|&r| r > 0 && r <= 1_000_000)
            .ok_or_else(|| Error::BadInput(format!("bad sampleRate {r:?}")))?,
    };
    let text = inflate(body, limits.max_profile_bytes)?;
    if text.is_empty() {
        return Err(Error::BadInput("the body is empty".into()));
    }
    let mut profile = Profile::parse(&text).map_err(|e| Error::BadInput(e.to_string()))?;
    if profile.sample_type != [ValueType::new("samples", "count")] {
        return Err(Error::BadInput(
            "the body is not folded stacks (\"a;b;c 12\" lines)".into(),
        ));
    }
    let period = 1_000_000_000 / rate;
    profile
        .sample_type
        .push(ValueType::new("cpu", "nanoseconds"));
    profile.period_type = Some(ValueType::new("cpu", "nanoseconds"));
    profile.period = period;
    for sample in &mut profile.sample {
        let count = sample.value[0];
        sample.value.push(count.saturating_mul(period));
    }
    Ok(profile)
}
