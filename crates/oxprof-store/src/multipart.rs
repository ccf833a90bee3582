//! `multipart/form-data` bodies (RFC 7578), as Pyroscope's legacy clients send profiles to
//! `/ingest`: the parts' names and contents, nothing more.

/// The longest boundary RFC 2046 allows.
const MAX_BOUNDARY: usize = 70;

/// One part of a form.
///
/// ```
/// let part = oxprof_store::multipart::Part { name: "profile".into(), data: b"bytes" };
/// assert_eq!(part.data.len(), 5);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part<'a> {
    /// The `name` of its `Content-Disposition`.
    pub name: String,
    /// Its bytes.
    pub data: &'a [u8],
}

/// The parts of `body`, whose boundary `content_type` gives.
///
/// ```
/// let body = b"--b\r\nContent-Disposition: form-data; name=\"profile\"\r\n\r\npprof\r\n--b--\r\n";
/// let parts = oxprof_store::multipart::parse(body, "multipart/form-data; boundary=b")?;
/// assert_eq!((parts[0].name.as_str(), parts[0].data), ("profile", &b"pprof"[..]));
/// # Ok::<(), String>(())
/// ```
pub fn parse<'a>(body: &'a [u8], content_type: &str) -> Result<Vec<Part<'a>>, String> {
    let boundary = content_type
        .split(';')
        .filter_map(|p| p.trim().strip_prefix("boundary="))
        .next()
        .map(|b| b.trim_matches('"'))
        .filter(|b| !b.is_empty())
        .ok_or("the Content-Type names no boundary")?;
    if boundary.len() > MAX_BOUNDARY {
        return Err(format!(
            "the boundary is longer than {MAX_BOUNDARY} characters"
        ));
    }
    let delimiter = format!("--{boundary}");
    let mut at = find(body, delimiter.as_bytes(), 0).ok_or("no boundary in the body")?;
    let mut parts = Vec::new();
    loop {
        at += delimiter.len();
        if body[at..].starts_with(b"--") {
            return Ok(parts);
        }
        at = skip_line_end(body, at);
        let headers_end = find(body, b"\r\n\r\n", at).ok_or("a part's headers do not end")?;
        let headers = std::str::from_utf8(&body[at..headers_end])
            .map_err(|_| "a part's headers are not UTF-8")?;
        let name = headers
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))
            .and_then(|l| {
                l.split(';')
                    .filter_map(|p| p.trim().strip_prefix("name="))
                    .next()
            })
            .map(|n| n.trim_matches('"').to_owned())
            .ok_or("a part has no name")?;
        let start = headers_end + 4;
        let closing = format!("\r\n{delimiter}");
        let end = find(body, closing.as_bytes(), start).ok_or("a part does not end")?;
        parts.push(Part {
            name,
            data: &body[start..end],
        });
        at = end + 2;
    }
}

fn skip_line_end(body: &[u8], at: usize) -> usize {
    if body[at..].starts_with(b"\r\n") {
        at + 2
    } else {
        at
    }
}

/// In linear time whatever the bytes: a body crafted to match every boundary but its last
/// byte must not make the search quadratic.
fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    memchr::memmem::find(haystack.get(from..)?, needle).map(|i| i + from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_read_by_name_with_their_bytes() {
        let body =
            b"--XyZ\r\nContent-Disposition: form-data; name=\"profile\"; filename=\"p.pprof\"\r\n\
            Content-Type: application/octet-stream\r\n\r\n\x1f\x8b\r\nbin\r\n--XyZ\r\n\
            Content-Disposition: form-data; name=\"sample_type_config\"\r\n\r\n{}\r\n--XyZ--\r\n";
        let parts = parse(body, "multipart/form-data; boundary=XyZ").unwrap();
        let names: Vec<&str> = parts.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["profile", "sample_type_config"]);
        assert_eq!(parts[0].data, b"\x1f\x8b\r\nbin");
        assert_eq!(parts[1].data, b"{}");
    }

    #[test]
    fn a_body_crafted_against_the_search_is_read_in_linear_time() {
        // Every position matches the delimiter but for its last byte.
        let boundary = "a".repeat(MAX_BOUNDARY - 1) + "b";
        let mut body =
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"p\"\r\n\r\n");
        body.push_str(&"a".repeat(4 << 20));
        let started = std::time::Instant::now();
        let err = parse(
            body.as_bytes(),
            &format!("multipart/form-data; boundary={boundary}"),
        );
        assert_eq!(err.unwrap_err(), "a part does not end");
        assert!(started.elapsed().as_secs() < 5, "{:?}", started.elapsed());
        let long = "a".repeat(MAX_BOUNDARY + 1);
        let err = parse(b"", &format!("multipart/form-data; boundary={long}"));
        assert_eq!(
            err.unwrap_err(),
            "the boundary is longer than 70 characters"
        );
    }

    #[test]
    fn broken_forms_are_refused() {
        assert!(parse(b"--a\r\n", "multipart/form-data").is_err());
        assert!(parse(b"nothing", "multipart/form-data; boundary=a").is_err());
        assert!(parse(b"--a\r\nno headers end", "multipart/form-data; boundary=a").is_err());
    }
}
