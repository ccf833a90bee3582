//! How the endpoints are served: where, to whom, and within what bounds.

use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

/// Settings of the endpoints. Start from the default and change what you need:
///
/// ```no_run
/// use oxprof::http::Config;
///
/// let server = oxprof::http::serve_with(Config {
///     addr: "127.0.0.1:6060".into(),
///     token: Some(std::env::var("PPROF_TOKEN")?),
///     max_seconds: 120,
///     ..Config::default()
/// })?;
/// # drop(server);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// `addr`, `max_connections` and `io_timeout` concern [`serve_with`](super::serve_with)'s own
/// server; the rest also applies to [`Endpoints`](super::Endpoints) and `router_with` mounted
/// in another server. `Debug` never shows the token.
#[derive(Clone)]
pub struct Config {
    /// Where to listen. `":6060"` (a port alone) means the loopback interface, `127.0.0.1`;
    /// listening on another interface, such as `"0.0.0.0:6060"`, must be asked for by address.
    /// Port 0 picks a free port ([`Server::local_addr`](super::Server::local_addr) tells which).
    /// Default `"127.0.0.1:6060"`.
    pub addr: String,
    /// When set, every request must carry `Authorization: Bearer <token>`; others get 401.
    /// Default none.
    pub token: Option<String>,
    /// The longest `seconds=N` a request may ask for (CPU profiles, delta profiles); longer
    /// ones get 400. Default 300.
    pub max_seconds: u64,
    /// How many requests may take profiles at once; more wait their turn. Waiting for the end
    /// of a `seconds=N` span does not count. Default 4.
    pub max_concurrent: usize,
    /// How many connections the server keeps open at once; beyond that it accepts no more
    /// until one closes. Default 256.
    pub max_connections: usize,
    /// How long a client may take to send a request's headers (or to start another request on
    /// a kept-alive connection), and how long an answer may wait for the client to take more
    /// bytes, before the connection is closed. Default 30 s.
    pub io_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            addr: "127.0.0.1:6060".into(),
            token: None,
            max_seconds: 300,
            max_concurrent: 4,
            max_connections: 256,
            io_timeout: Duration::from_secs(30),
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("addr", &self.addr)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("max_seconds", &self.max_seconds)
            .field("max_concurrent", &self.max_concurrent)
            .field("max_connections", &self.max_connections)
            .field("io_timeout", &self.io_timeout)
            .finish()
    }
}

impl Config {
    /// Fails with [`io::ErrorKind::InvalidInput`] when a bound is zero or the token is empty.
    pub(super) fn check(&self) -> io::Result<()> {
        let problem = if self.max_seconds == 0 {
            "max_seconds must be at least 1"
        } else if self.max_concurrent == 0 {
            "max_concurrent must be at least 1"
        } else if self.max_connections == 0 {
            "max_connections must be at least 1"
        } else if self.io_timeout.is_zero() {
            "io_timeout must be more than zero"
        } else if self.token.as_deref() == Some("") {
            "the token must not be empty (use None for no token)"
        } else {
            return Ok(());
        };
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("oxprof::http: {problem}"),
        ))
    }

    /// The address to bind: a port alone (`":6060"`) on loopback, anything else as written
    /// (host names resolved, the first address taken).
    pub(super) fn socket_addr(&self) -> io::Result<SocketAddr> {
        let addr = self.addr.trim();
        let spelled = if addr.starts_with(':') {
            format!("127.0.0.1{addr}")
        } else {
            addr.to_owned()
        };
        let invalid = |why: &str| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("oxprof::http: cannot listen on {addr:?}: {why}"),
            )
        };
        spelled
            .to_socket_addrs()
            .map_err(|e| invalid(&e.to_string()))?
            .next()
            .ok_or_else(|| invalid("the name has no address"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(text: &str) -> io::Result<SocketAddr> {
        Config {
            addr: text.into(),
            ..Config::default()
        }
        .socket_addr()
    }

    #[test]
    fn a_port_alone_means_loopback() {
        assert_eq!(addr(":6060").unwrap(), "127.0.0.1:6060".parse().unwrap());
        assert_eq!(addr(":0").unwrap(), "127.0.0.1:0".parse().unwrap());
        assert_eq!(addr("0.0.0.0:7").unwrap(), "0.0.0.0:7".parse().unwrap());
        assert_eq!(addr("[::1]:7").unwrap(), "[::1]:7".parse().unwrap());
        assert!(addr("localhost:7").unwrap().ip().is_loopback());
    }

    #[test]
    fn bad_addresses_and_bounds_are_one_clear_error() {
        let err = addr("6060").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(
            err.to_string()
                .starts_with("oxprof::http: cannot listen on \"6060\": "),
            "{err}"
        );
        let zero = Config {
            max_concurrent: 0,
            ..Config::default()
        };
        assert_eq!(
            zero.check().unwrap_err().to_string(),
            "oxprof::http: max_concurrent must be at least 1"
        );
    }

    #[test]
    fn debug_output_hides_the_token() {
        let config = Config {
            token: Some("s3cret".into()),
            ..Config::default()
        };
        let text = format!("{config:?}");
        assert!(
            !text.contains("s3cret") && text.contains("<redacted>"),
            "{text}"
        );
    }
}
