//! The request's query parameters as Go's `r.FormValue` reads them (the first value of a key,
//! `+` and `%XX` decoded), and the checks `net/http/pprof` makes of `seconds` and `debug`, with
//! its error texts.

use super::answer::Answer;

/// Go's text for a `seconds` that is not a positive integer.
pub(super) const BAD_SECONDS: &str = r#"invalid value for "seconds" - must be a positive integer"#;

/// A request's decoded query parameters, in order.
#[derive(Debug, Default)]
pub(super) struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    /// Parses a raw query string. Pairs with a broken `%` escape are left out, as Go's parser
    /// leaves them out (it records the error and goes on).
    pub(super) fn parse(raw: &str) -> Query {
        let pairs = raw
            .split('&')
            .filter(|pair| !pair.is_empty())
            .filter_map(|pair| {
                let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                Some((unescape(key)?, unescape(value)?))
            })
            .collect();
        Query { pairs }
    }

    /// The first value of `key`, or `""` when it is absent, as Go's `FormValue`.
    pub(super) fn value(&self, key: &str) -> &str {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map_or("", |(_, v)| v.as_str())
    }

    /// `debug`: absent or empty is 0; otherwise a non-negative integer, with 2 and above all
    /// meaning Go's `debug=2` forms.
    pub(super) fn debug(&self) -> Result<u8, Answer> {
        let text = self.value("debug");
        if text.is_empty() {
            return Ok(0);
        }
        match text.parse::<i64>() {
            Ok(n) if n >= 0 => Ok(n.min(2) as u8),
            _ => Err(Answer::bad_request(
                r#"invalid value for "debug" - must be a non-negative integer"#,
            )),
        }
    }

    /// `seconds` for the CPU profile: `default` when absent or empty (Go's 30, or the limit if
    /// lower); otherwise a positive integer no greater than `max`.
    pub(super) fn cpu_seconds(&self, default: u64, max: u64) -> Result<u64, Answer> {
        match self.value("seconds") {
            "" => Ok(default.min(max)),
            text => seconds(text, max),
        }
    }
}

/// A duration in whole seconds, 1 to `max`: Go's text for anything that is not a positive
/// integer, and this server's limit for more than `max`.
pub(super) fn seconds(text: &str, max: u64) -> Result<u64, Answer> {
    within_limit(positive_seconds(text)?, max)
}

/// A positive whole number of seconds, or Go's text. Numbers too large for 64 bits are absurd
/// rather than malformed: they come back as `u64::MAX`, for the limit to refuse.
pub(super) fn positive_seconds(text: &str) -> Result<u64, Answer> {
    match text.parse::<i64>() {
        Ok(n) if n > 0 => Ok(n as u64),
        Err(e) if matches!(e.kind(), std::num::IntErrorKind::PosOverflow) => Ok(u64::MAX),
        _ => Err(Answer::bad_request(BAD_SECONDS)),
    }
}

/// `seconds` when it is at most `max`; this server's limit otherwise.
pub(super) fn within_limit(seconds: u64, max: u64) -> Result<u64, Answer> {
    if seconds > max {
        return Err(Answer::bad_request(&format!(
            "profile duration exceeds the server's maximum of {max} seconds"
        )));
    }
    Ok(seconds)
}

/// Decodes `+` as a space and `%XX` escapes; `None` for a broken escape or bytes that are not
/// UTF-8.
fn unescape(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// Escapes a profile name for use as a URL path segment: everything but unreserved characters
/// becomes `%XX`, so custom names with `?`, `#` or spaces still link to themselves.
pub(super) fn escape_path(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes a path's `%XX` escapes (a `+` stays a `+` in paths); `None` when broken.
pub(super) fn unescape_path(path: &str) -> Option<String> {
    unescape(&path.replace('+', "%2B"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_text(answer: Answer) -> String {
        String::from_utf8(answer.body().to_vec()).unwrap()
    }

    #[test]
    fn first_values_win_and_escapes_are_decoded() {
        let q = Query::parse("debug=1&debug=2&name=a+b%2Fc&bad=%zz&flag");
        assert_eq!(q.value("debug"), "1");
        assert_eq!(q.value("name"), "a b/c");
        assert_eq!(q.value("bad"), "");
        assert_eq!(q.value("flag"), "");
        assert_eq!(q.value("missing"), "");
    }

    #[test]
    fn debug_is_a_non_negative_integer() {
        assert_eq!(Query::parse("").debug().unwrap(), 0);
        assert_eq!(Query::parse("debug=1").debug().unwrap(), 1);
        assert_eq!(Query::parse("debug=7").debug().unwrap(), 2);
        for bad in ["debug=-1", "debug=x", "debug=1.5"] {
            let err = Query::parse(bad).debug().unwrap_err();
            assert_eq!(err.status(), 400, "{bad}");
            assert_eq!(
                error_text(err),
                "invalid value for \"debug\" - must be a non-negative integer\n"
            );
        }
    }

    #[test]
    fn seconds_are_positive_and_bounded() {
        assert_eq!(Query::parse("").cpu_seconds(30, 300).unwrap(), 30);
        assert_eq!(Query::parse("").cpu_seconds(30, 10).unwrap(), 10);
        assert_eq!(Query::parse("seconds=2").cpu_seconds(30, 300).unwrap(), 2);
        for bad in ["0", "-3", "abc", "1.5", " 2"] {
            let err = seconds(bad, 300).unwrap_err();
            assert_eq!(err.status(), 400, "{bad}");
            assert_eq!(error_text(err), format!("{BAD_SECONDS}\n"), "{bad}");
        }
        for absurd in ["301", "99999999999999999999999"] {
            let err = seconds(absurd, 300).unwrap_err();
            assert_eq!(
                error_text(err),
                "profile duration exceeds the server's maximum of 300 seconds\n"
            );
        }
    }

    #[test]
    fn names_round_trip_through_paths() {
        for name in ["heap", "my app/files?x#1", "ünïcode.profile", "a+b"] {
            assert_eq!(unescape_path(&escape_path(name)).unwrap(), name);
        }
        assert_eq!(unescape_path("a+b").unwrap(), "a+b");
        assert_eq!(unescape_path("%"), None);
    }
}
