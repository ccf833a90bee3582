//! Who may use the endpoints: the bearer token, when one is set, and, on a server listening on
//! loopback, only requests addressed to a loopback host, so a web page cannot reach the
//! endpoints through a DNS name rebound to 127.0.0.1.

use std::net::IpAddr;

use http::header::{self, HeaderMap, HeaderValue};
use http::StatusCode;

use super::answer::Answer;

/// The checks every request passes before it is routed.
#[derive(Debug, Clone)]
pub(super) struct Access {
    token: Option<String>,
    loopback_hosts_only: bool,
}

impl Access {
    /// Requests must carry `token`, when set, and name a loopback host when
    /// `loopback_hosts_only`.
    pub(super) fn new(token: Option<String>, loopback_hosts_only: bool) -> Access {
        Access {
            token,
            loopback_hosts_only,
        }
    }

    /// `Err` with the answer for a request that may not go further: 403 for another site's host
    /// name, 401 without the right token.
    pub(super) fn check(&self, headers: &HeaderMap) -> Result<(), Answer> {
        if self.loopback_hosts_only {
            // HTTP/1.0 clients may leave Host out; browsers, the only clients DNS rebinding can
            // steer, always send it.
            if let Some(host) = headers.get(header::HOST) {
                if !is_loopback_host(host.as_bytes()) {
                    return Err(Answer::error(
                        StatusCode::FORBIDDEN,
                        &format!(
                            "forbidden: this server listens on loopback and answers only requests \
                             for a loopback host, not {:?}",
                            String::from_utf8_lossy(host.as_bytes())
                        ),
                    ));
                }
            }
        }
        if let Some(token) = &self.token {
            let given = headers
                .get(header::AUTHORIZATION)
                .and_then(|v| bearer(v.as_bytes()));
            if !given.is_some_and(|given| same_bytes(given, token.as_bytes())) {
                return Err(Answer::error(
                    StatusCode::UNAUTHORIZED,
                    "unauthorized: send the server's token as \"Authorization: Bearer <token>\"",
                )
                .with_header(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"oxprof\""),
                ));
            }
        }
        Ok(())
    }
}

/// The token of an `Authorization: Bearer <token>` header (scheme in any case).
fn bearer(value: &[u8]) -> Option<&[u8]> {
    let (scheme, rest) = value.split_at_checked(7)?;
    scheme
        .eq_ignore_ascii_case(b"bearer ")
        .then(|| rest.trim_ascii())
}

/// Compares in time that depends on the lengths only, so the answer's timing does not tell how
/// much of a guessed token was right.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `localhost`, a name under `.localhost`, or a loopback address, with or without a port.
fn is_loopback_host(host: &[u8]) -> bool {
    let Ok(host) = std::str::from_utf8(host) else {
        return false;
    };
    let name = if let Some(bracketed) = host.strip_prefix('[') {
        bracketed.split(']').next().unwrap_or_default()
    } else {
        host.rsplit_once(':').map_or(host, |(name, _port)| name)
    };
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost"
        || name.ends_with(".localhost")
        || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|&(k, v)| {
                (
                    header::HeaderName::from_static(k),
                    HeaderValue::from_str(v).unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn loopback_hosts_pass_and_others_are_forbidden() {
        let access = Access::new(None, true);
        for ok in [
            "127.0.0.1:6060",
            "localhost",
            "LOCALHOST:1",
            "[::1]:6060",
            "app.localhost:80",
            "127.8.9.10",
        ] {
            assert!(access.check(&headers(&[("host", ok)])).is_ok(), "{ok}");
        }
        assert!(access.check(&headers(&[])).is_ok());
        for bad in [
            "evil.example:6060",
            "10.0.0.1:6060",
            "localhost.evil.com",
            "[::2]:1",
        ] {
            let answer = access.check(&headers(&[("host", bad)])).unwrap_err();
            assert_eq!(answer.status(), 403, "{bad}");
        }
        assert!(Access::new(None, false)
            .check(&headers(&[("host", "evil.example")]))
            .is_ok());
    }

    #[test]
    fn the_token_must_match_exactly() {
        let access = Access::new(Some("s3cret".into()), false);
        assert!(access
            .check(&headers(&[("authorization", "Bearer s3cret")]))
            .is_ok());
        assert!(access
            .check(&headers(&[("authorization", "bearer s3cret ")]))
            .is_ok());
        for bad in [
            "Bearer s3cre",
            "Bearer s3cret2",
            "Basic s3cret",
            "s3cret",
            "",
        ] {
            let answer = access
                .check(&headers(&[("authorization", bad)]))
                .unwrap_err();
            assert_eq!(answer.status(), 401, "{bad:?}");
        }
        assert_eq!(access.check(&headers(&[])).unwrap_err().status(), 401);
    }
}
