//! What an endpoint answers, with `net/http/pprof`'s headers: `X-Content-Type-Options: nosniff`
//! on everything, `Content-Disposition: attachment` on profiles, and errors as Go's
//! `serveError` writes them (`text/plain`, `X-Go-Pprof: 1`, the text and a newline), which is
//! how `go tool pprof` knows to show the server's text.

use bytes::Bytes;
use http::header::{self, HeaderName, HeaderValue};
use http::{Response, StatusCode};

use super::body::Body;

/// `Content-Type` of text answers and errors.
const TEXT: &str = "text/plain; charset=utf-8";

/// A complete answer: status, headers and the whole body (cheap to clone: the body is shared).
#[derive(Debug, Clone)]
pub(super) struct Answer {
    status: StatusCode,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Bytes,
}

impl Answer {
    /// 200 with `body` as `content_type`.
    pub(super) fn ok(content_type: &'static str, body: impl Into<Bytes>) -> Answer {
        Answer {
            status: StatusCode::OK,
            headers: vec![(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
            body: body.into(),
        }
    }

    /// 200 with text.
    pub(super) fn text(body: impl Into<Bytes>) -> Answer {
        Answer::ok(TEXT, body)
    }

    /// 200 with a binary profile to save as `filename`, as Go serves `debug=0` profiles.
    pub(super) fn attachment(filename: &str, body: impl Into<Bytes>) -> Answer {
        // Names come from the request path; quotes and backslashes would end the quoted
        // string early, and control characters cannot be in a header at all.
        let safe: Vec<u8> = filename
            .bytes()
            .map(|b| match b {
                b'"' | b'\\' | 0..=31 | 127 => b'_',
                b => b,
            })
            .collect();
        let mut value = b"attachment; filename=\"".to_vec();
        value.extend_from_slice(&safe);
        value.push(b'"');
        let mut answer = Answer::ok("application/octet-stream", body);
        answer.headers.push((
            header::CONTENT_DISPOSITION,
            HeaderValue::from_bytes(&value).expect("only visible bytes remain"),
        ));
        answer
    }

    /// An error as Go's `serveError`: `status`, `text/plain`, `X-Go-Pprof: 1`, the text and a
    /// newline.
    pub(super) fn error(status: StatusCode, text: &str) -> Answer {
        Answer {
            status,
            headers: vec![
                (header::CONTENT_TYPE, HeaderValue::from_static(TEXT)),
                (
                    HeaderName::from_static("x-go-pprof"),
                    HeaderValue::from_static("1"),
                ),
            ],
            body: Bytes::from(format!("{text}\n")),
        }
    }

    /// 400 with `text`.
    pub(super) fn bad_request(text: &str) -> Answer {
        Answer::error(StatusCode::BAD_REQUEST, text)
    }

    /// 500 with `text`.
    pub(super) fn internal(text: &str) -> Answer {
        Answer::error(StatusCode::INTERNAL_SERVER_ERROR, text)
    }

    /// Adds a header.
    pub(super) fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Answer {
        self.headers.push((name, value));
        self
    }

    /// The status code, as a number.
    #[cfg(test)]
    pub(super) fn status(&self) -> u16 {
        self.status.as_u16()
    }

    /// The body.
    #[cfg(test)]
    pub(super) fn body(&self) -> &Bytes {
        &self.body
    }

    /// The HTTP response, with `X-Content-Type-Options: nosniff` as on every answer of Go's.
    pub(super) fn into_response(mut self) -> Response<Body> {
        let body = Body::from(std::mem::take(&mut self.body));
        self.with_body(body)
    }

    /// The response with this answer's status and headers and `body` instead of its own.
    pub(super) fn with_body(self, body: Body) -> Response<Body> {
        let mut response = Response::new(body);
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        for (name, value) in self.headers {
            headers.append(name, value);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_carry_go_pprof_marker_and_a_newline() {
        let response = Answer::bad_request("nope").into_response();
        assert_eq!(response.status(), 400);
        let h = response.headers();
        assert_eq!(h["content-type"], "text/plain; charset=utf-8");
        assert_eq!(h["x-go-pprof"], "1");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert!(h.get("content-disposition").is_none());
    }

    #[test]
    fn attachment_names_cannot_break_the_header() {
        let answer = Answer::attachment("a\"b\\c\nd é", Bytes::new()).into_response();
        assert_eq!(
            answer.headers()["content-disposition"].as_bytes(),
            "attachment; filename=\"a_b_c_d é\"".as_bytes()
        );
        assert_eq!(answer.headers()["content-type"], "application/octet-stream");
    }
}
