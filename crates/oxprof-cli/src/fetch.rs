//! Getting profiles: from files, or over HTTP from `/debug/pprof` endpoints, as `go tool pprof`
//! does (`cmd/pprof`'s fetcher and `internal/driver/fetch.go`): URL defaults, `-seconds` and
//! `-timeout`, the server's own error text, and a saved copy of what was fetched. While a server
//! collects over a span (`seconds=N`), a terminal shows the collection's progress.

use std::{
    fs::{self, OpenOptions},
    io::{self, Write},
    path::{Path, PathBuf},
    time::Duration,
};

use anyhow::{anyhow, Context, Result};
use oxprof_profile::Profile;

use crate::progress::Progress;

/// The handler a bare `host:port` source means: Go's CPU profile.
const CPU_PROFILE_HANDLER: &str = "/debug/pprof/profile";

/// A profile and, when it came over HTTP, the URL it came from.
pub(crate) struct Fetched {
    pub profile: Profile,
    pub url: Option<String>,
}

/// Reads one source: a URL (with `seconds` and `timeout` applied) or a file.
pub(crate) fn fetch(source: &str, seconds: Option<u64>, timeout: Option<u64>) -> Result<Fetched> {
    match adjust_url(source, seconds, timeout) {
        Some(Target { url, timeout, span }) => {
            eprintln!("Fetching profile over HTTP from {url}");
            if let Some(s) = seconds.filter(|&s| s > 0) {
                eprintln!("Please wait... ({s}s)");
            }
            let progress = span.and_then(Progress::start);
            let data = http_get(&url, timeout);
            drop(progress);
            let data = data?;
            let profile = Profile::parse(&data).with_context(|| url.clone())?;
            Ok(Fetched {
                profile,
                url: Some(url),
            })
        }
        None => {
            let data = fs::read(source).map_err(|e| anyhow!("{source}: {}", io_error_text(&e)))?;
            let profile = Profile::parse(&data).with_context(|| source.to_string())?;
            Ok(Fetched { profile, url: None })
        }
    }
}

/// `std::io::Error` text without Rust's ` (os error N)` suffix, lowercased as error lines are.
pub(crate) fn io_error_text(e: &io::Error) -> String {
    let text = e.to_string();
    let text = text.split(" (os error").next().unwrap_or(&text);
    let mut chars = text.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_lowercase().chain(chars).collect())
}

/// What to fetch from a URL source.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Target {
    pub url: String,
    /// The time allowed for the answer.
    pub timeout: Duration,
    /// The span, in seconds, the server collects over before answering, if any.
    pub span: Option<u64>,
}

/// The URL to fetch, the time to allow for it and the span collected, or `None` when `source`
/// is no URL. Follows Go's rules: `host:port[/path]` gets `http://`, an empty path becomes the
/// CPU profile handler, `-seconds` sets the `seconds` parameter, and the timeout defaults to
/// 1.5× the collection time, or 60 s when there is none.
pub(crate) fn adjust_url(
    source: &str,
    seconds: Option<u64>,
    timeout: Option<u64>,
) -> Option<Target> {
    let (scheme, rest) = match source.split_once("://") {
        Some((scheme, rest)) if scheme != "file" && !scheme.is_empty() => (scheme, rest),
        Some(_) => return None,
        None if looks_like_host_port(source) => ("http", source),
        None => return None,
    };
    let (rest, fragment) = rest
        .split_once('#')
        .map_or((rest, None), |(r, f)| (r, Some(f)));
    let (rest, query) = rest.split_once('?').map_or((rest, ""), |(r, q)| (r, q));
    let (host, path) = rest.find('/').map_or((rest, ""), |i| rest.split_at(i));
    if host.is_empty() {
        return None;
    }
    let path = if path.is_empty() || path == "/" {
        CPU_PROFILE_HANDLER
    } else {
        path
    };

    let mut params: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.split_once('=')
                .map_or((p.to_string(), String::new()), |(k, v)| {
                    (k.into(), v.into())
                })
        })
        .collect();
    let mut duration = seconds.filter(|&s| s > 0);
    match duration {
        Some(s) => {
            params.retain(|(k, _)| k != "seconds");
            params.push(("seconds".into(), s.to_string()));
        }
        None => {
            duration = params
                .iter()
                .find(|(k, _)| k == "seconds")
                .and_then(|(_, v)| v.parse().ok());
        }
    }
    // Go's url.Values.Encode orders parameters by key.
    params.sort_by(|a, b| a.0.cmp(&b.0));
    let query: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();

    let mut url = format!("{scheme}://{host}{path}");
    if !query.is_empty() {
        url = format!("{url}?{}", query.join("&"));
    }
    if let Some(f) = fragment {
        url = format!("{url}#{f}");
    }
    let timeout = match (timeout.filter(|&t| t > 0), duration) {
        (Some(t), _) => Duration::from_secs(t),
        (None, Some(d)) => Duration::from_secs(d) + Duration::from_secs(d) / 2,
        (None, None) => Duration::from_secs(60),
    };
    Some(Target {
        url,
        timeout,
        span: duration.filter(|&d| d > 0),
    })
}

/// `host:port` or `host:port/path`, which Go's URL parser reads as a scheme and a retry with
/// `http://` turns into a host. A file name with a colon but no numeric port is not one.
fn looks_like_host_port(source: &str) -> bool {
    let authority = source.split('/').next().unwrap_or_default();
    authority.rsplit_once(':').is_some_and(|(host, port)| {
        !host.is_empty() && !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit())
    })
}

/// GETs `url`; a non-200 answer becomes an error carrying the server's status and, when it sent
/// text, its message on one line.
fn http_get(url: &str, timeout: Duration) -> Result<Vec<u8>> {
    let (url, insecure) = match url.strip_prefix("https+insecure://") {
        Some(rest) => (format!("https://{rest}"), true),
        None => (url.to_string(), false),
    };
    let mut config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        // Go's client waits timeout+5s for the response headers; the body may take longer.
        .timeout_recv_response(Some(timeout + Duration::from_secs(5)))
        .timeout_connect(Some(timeout + Duration::from_secs(5)));
    if insecure {
        config = config.tls_config(
            ureq::tls::TlsConfig::builder()
                .disable_verification(true)
                .build(),
        );
    }
    let agent: ureq::Agent = config.build().into();
    let mut response = agent
        .get(&url)
        .call()
        .map_err(|e| anyhow!("http fetch {url}: {e}"))?;
    let status = response.status();
    let body = response
        .body_mut()
        .with_config()
        .limit(u64::MAX)
        .read_to_vec()
        .map_err(|e| anyhow!("http fetch {url}: {e}"))?;
    if status != ureq::http::StatusCode::OK {
        let reason = status.canonical_reason().unwrap_or_default();
        let is_text = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/plain"));
        let text = String::from_utf8_lossy(&body);
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        return Err(if is_text && !text.is_empty() {
            anyhow!(
                "{url}: server response: {} {reason} - {text}",
                status.as_u16()
            )
        } else {
            anyhow!("{url}: server response: {} {reason}", status.as_u16())
        });
    }
    Ok(body)
}

/// Where fetched profiles are saved: `$OXPROF_TMPDIR`, else `~/oxprof`, else the system's
/// temporary directory.
pub(crate) fn save_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("OXPROF_TMPDIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME").map(|h| Path::new(&h).join("oxprof"));
    home.filter(|dir| fs::create_dir_all(dir).is_ok())
        .unwrap_or_else(std::env::temp_dir)
}

/// Saves a fetched profile as pprof names it, `pprof.<binary>.<type>...<NNN>.pb.gz`, and
/// returns the path.
pub(crate) fn save(profile: &Profile) -> Result<PathBuf> {
    let mut prefix = String::from("pprof.");
    if let Some(file) = profile
        .mapping
        .first()
        .map(|m| m.filename.as_str())
        .filter(|f| !f.is_empty())
    {
        let base = Path::new(file)
            .file_name()
            .map_or(file.into(), |b| b.to_string_lossy());
        prefix += &format!("{base}.");
    }
    for st in &profile.sample_type {
        prefix += &format!("{}.", st.ty);
    }
    let dir = save_dir();
    fs::create_dir_all(&dir).map_err(|e| anyhow!("{}: {}", dir.display(), io_error_text(&e)))?;
    let (path, file) = new_numbered_file(&dir, &prefix, ".pb.gz")?;
    let mut file = io::BufWriter::new(file);
    profile
        .write_to(&mut file)
        .and_then(|()| file.flush())
        .map_err(|e| anyhow!("{}: {}", path.display(), io_error_text(&e)))?;
    Ok(path)
}

/// Creates `<dir>/<prefix>NNN<suffix>` with the first free number from 001, as pprof's
/// `newTempFile` does.
pub(crate) fn new_numbered_file(
    dir: &Path,
    prefix: &str,
    suffix: &str,
) -> Result<(PathBuf, fs::File)> {
    for n in 1..10000 {
        let path = dir.join(format!("{prefix}{n:03}{suffix}"));
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(file) => return Ok((path, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(anyhow!("{}: {}", path.display(), io_error_text(&e))),
        }
    }
    Err(anyhow!(
        "could not create a file named {prefix}NNN{suffix} in {}",
        dir.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(source: &str, seconds: Option<u64>, timeout: Option<u64>) -> Option<(String, u64)> {
        adjust_url(source, seconds, timeout).map(|t| (t.url, t.timeout.as_millis() as u64))
    }

    #[test]
    fn files_are_not_urls() {
        for source in [
            "cpu.pprof",
            "/tmp/cpu.pprof",
            "dir/x:y",
            "file:///tmp/cpu.pprof",
            "a:b",
        ] {
            assert_eq!(url(source, None, None), None, "{source}");
        }
    }

    #[test]
    fn urls_get_go_defaults() {
        assert_eq!(
            url("localhost:6060", None, None),
            Some(("http://localhost:6060/debug/pprof/profile".into(), 60_000))
        );
        assert_eq!(
            url("http://h:1/debug/pprof/heap", None, None),
            Some(("http://h:1/debug/pprof/heap".into(), 60_000))
        );
        assert_eq!(
            url("h:1/debug/pprof/profile?b=2&seconds=3", Some(10), None),
            Some((
                "http://h:1/debug/pprof/profile?b=2&seconds=10".into(),
                15_000
            ))
        );
        assert_eq!(
            url("https://h/x?seconds=4", None, Some(7)),
            Some(("https://h/x?seconds=4".into(), 7_000))
        );
        assert_eq!(
            url("https://h/?seconds=4", None, None),
            Some(("https://h/debug/pprof/profile?seconds=4".into(), 6_000))
        );
    }

    #[test]
    fn the_span_comes_from_the_flag_or_the_url() {
        let span = |source, seconds| adjust_url(source, seconds, None).unwrap().span;
        assert_eq!(span("h:1/debug/pprof/heap", None), None);
        assert_eq!(span("h:1/debug/pprof/profile?seconds=30", None), Some(30));
        assert_eq!(span("h:1/debug/pprof/profile?seconds=30", Some(5)), Some(5));
        assert_eq!(span("h:1/debug/pprof/profile?seconds=x", None), None);
        assert_eq!(span("h:1", Some(10)), Some(10));
    }

    #[test]
    fn numbered_files_count_up() {
        let dir = std::env::temp_dir().join(format!("oxprof-numbered-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let (a, _) = new_numbered_file(&dir, "p.", ".x").unwrap();
        let (b, _) = new_numbered_file(&dir, "p.", ".x").unwrap();
        assert_eq!(a.file_name().unwrap(), "p.001.x");
        assert_eq!(b.file_name().unwrap(), "p.002.x");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn io_errors_read_as_one_lowercase_line() {
        let e = fs::read("/nonexistent/oxprof").unwrap_err();
        assert_eq!(io_error_text(&e), "no such file or directory");
    }
}
