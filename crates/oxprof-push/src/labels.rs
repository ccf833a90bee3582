//! The rules Pyroscope's distributor applies to a series' labels (`pkg/validation/validate.go`),
//! and the legacy `/ingest` form of a label set, `app.name{k=v,k2=v2}`.
//!
//! ```
//! use oxprof_push::{labels, proto::LabelPair};
//! let ok = [LabelPair::new("__name__", "memory"), LabelPair::new("service_name", "api")];
//! assert!(labels::check(&ok).is_ok());
//! let err = labels::check(&[LabelPair::new("__name__", "memory")]).unwrap_err();
//! assert_eq!(err.to_string(), "invalid labels {__name__=\"memory\"}: service_name is missing or empty");
//! ```

use std::fmt;

use crate::proto::LabelPair;

/// The label naming the profile kind (`process_cpu`, `memory`...).
///
/// ```
/// assert_eq!(oxprof_push::labels::NAME, "__name__");
/// ```
pub const NAME: &str = "__name__";

/// The label naming the service, which every series must have.
///
/// ```
/// assert_eq!(oxprof_push::labels::SERVICE_NAME, "service_name");
/// ```
pub const SERVICE_NAME: &str = "service_name";

/// Pyroscope's default limits: label names per series, name and value lengths.
const MAX_LABELS: usize = 30;
const MAX_NAME_LEN: usize = 1024;
const MAX_VALUE_LEN: usize = 2048;

/// Why a label set was refused.
///
/// ```
/// let err = oxprof_push::labels::check(&[]).unwrap_err();
/// assert_eq!(err.to_string(), "invalid labels {}: at least one label is required");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelError {
    labels: String,
    reason: String,
}

impl fmt::Display for LabelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid labels {}: {}", self.labels, self.reason)
    }
}

impl std::error::Error for LabelError {}

/// Checks a series' labels as Pyroscope does: at least one; `__name__` a valid metric name;
/// `service_name` present and not empty; at most 30 names, each a valid label name of at most
/// 1024 bytes, values of at most 2048 bytes; no name twice.
///
/// ```
/// use oxprof_push::{labels, proto::LabelPair};
/// let twice = [
///     LabelPair::new("__name__", "process_cpu"),
///     LabelPair::new("service_name", "a"),
///     LabelPair::new("env", "x"),
///     LabelPair::new("env", "y"),
/// ];
/// assert!(labels::check(&twice).unwrap_err().to_string().ends_with("label name \"env\" appears twice"));
/// ```
pub fn check(labels: &[LabelPair]) -> Result<(), LabelError> {
    let fail = |reason: String| {
        Err(LabelError {
            labels: display(labels),
            reason,
        })
    };
    if labels.is_empty() {
        return fail("at least one label is required".into());
    }
    if labels.len() > MAX_LABELS {
        return fail(format!(
            "{} label names, at most {MAX_LABELS} allowed",
            labels.len()
        ));
    }
    let get = |name: &str| labels.iter().find(|l| l.name == name).map(|l| &l.value);
    match get(NAME) {
        Some(name) if valid_metric_name(name) => {}
        Some(name) => return fail(format!("{NAME} {name:?} is not a valid metric name")),
        None => return fail(format!("{NAME} is missing")),
    }
    if get(SERVICE_NAME).map_or(true, |s| s.is_empty()) {
        return fail(format!("{SERVICE_NAME} is missing or empty"));
    }
    let mut names: Vec<&str> = Vec::with_capacity(labels.len());
    for label in labels {
        if label.name.len() > MAX_NAME_LEN {
            return fail(format!("label name longer than {MAX_NAME_LEN} bytes"));
        }
        if label.value.len() > MAX_VALUE_LEN {
            return fail(format!(
                "the value of {:?} is longer than {MAX_VALUE_LEN} bytes",
                label.name
            ));
        }
        if !valid_name(&label.name) {
            return fail(format!("{:?} is not a valid label name", label.name));
        }
        if names.contains(&label.name.as_str()) {
            return fail(format!("label name {:?} appears twice", label.name));
        }
        names.push(&label.name);
    }
    Ok(())
}

/// Whether `name` is a label name: a letter or `_`, then letters, digits, `_` and `.` (the
/// dots of OpenTelemetry's names, such as `process.runtime.name`, which Pyroscope's clients
/// send).
///
/// ```
/// use oxprof_push::labels::valid_name;
/// assert!(valid_name("service_name") && valid_name("otel.scope.name"));
/// assert!(!valid_name("") && !valid_name("1x") && !valid_name("a-b") && !valid_name("a b"));
/// ```
pub fn valid_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
}

/// Whether `name` is a Prometheus metric name, as `__name__` must be.
///
/// ```
/// use oxprof_push::labels::valid_metric_name;
/// assert!(valid_metric_name("process_cpu") && valid_metric_name("a:b"));
/// assert!(!valid_metric_name("") && !valid_metric_name("9lives") && !valid_metric_name("a.b"));
/// ```
pub fn valid_metric_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_' || b == b':')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':')
}

/// A label set as text, `{a="x", b="y"}`, for messages.
///
/// ```
/// use oxprof_push::{labels, proto::LabelPair};
/// assert_eq!(labels::display(&[LabelPair::new("a", "x\"y")]), r#"{a="x\"y"}"#);
/// ```
pub fn display(labels: &[LabelPair]) -> String {
    let pairs: Vec<String> = labels
        .iter()
        .map(|l| format!("{}={:?}", l.name, l.value))
        .collect();
    format!("{{{}}}", pairs.join(", "))
}

/// Reads the legacy `/ingest` `name` parameter, `app.name{k=v,k2=v2}`: the text before `{` is
/// the service name (a `service_name` label), then `k=v` pairs split on `,` and `=`, without
/// quotes, as Pyroscope's `labelset.Parse` reads them. Labels named `__name__` or
/// `service_name` are reserved and refused here; the caller adds `__name__`.
///
/// ```
/// use oxprof_push::labels::parse_legacy;
/// let labels = parse_legacy("checkout.cpu{env=prod,region=eu}")?;
/// assert_eq!(labels[0].name, "service_name");
/// assert_eq!(labels[0].value, "checkout.cpu");
/// assert_eq!((labels[2].name.as_str(), labels[2].value.as_str()), ("region", "eu"));
/// assert_eq!(
///     parse_legacy("app{env}").unwrap_err().to_string(),
///     "invalid labels app{env}: \"env\" is not of the form key=value"
/// );
/// # Ok::<(), oxprof_push::labels::LabelError>(())
/// ```
pub fn parse_legacy(text: &str) -> Result<Vec<LabelPair>, LabelError> {
    let fail = |reason: String| LabelError {
        labels: text.to_owned(),
        reason,
    };
    let (service, rest) = match text.split_once('{') {
        Some((service, rest)) => {
            let inner = rest
                .strip_suffix('}')
                .ok_or_else(|| fail("no closing '}'".into()))?;
            (service, inner)
        }
        None => (text, ""),
    };
    if service.is_empty() {
        return Err(fail("the application name is empty".into()));
    }
    if service.contains(['}', '"', ',', '=']) {
        return Err(fail(format!("{service:?} is not a valid application name")));
    }
    let mut labels = vec![LabelPair::new(SERVICE_NAME, service)];
    for pair in rest.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, value) = pair
            .split_once('=')
            .ok_or_else(|| fail(format!("{pair:?} is not of the form key=value")))?;
        let (name, value) = (name.trim(), value.trim());
        if !valid_name(name) {
            return Err(fail(format!("{name:?} is not a valid label name")));
        }
        if name == NAME || name == SERVICE_NAME {
            return Err(fail(format!("{name:?} is a reserved label name")));
        }
        labels.push(LabelPair::new(name, value));
    }
    Ok(labels)
}
