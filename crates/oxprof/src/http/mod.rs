//! Live `/debug/pprof` endpoints, Go's `net/http/pprof` for Rust programs (feature `http`):
//! `go tool pprof http://…`, `oxprof`, Parca and Grafana Alloy scrapers and curl work against an
//! oxprof program as against a Go one: the same paths, parameters, headers and error texts.
//!
//! One line starts them on a background thread of their own; the program needs no async
//! runtime:
//!
//! ```no_run
//! let _pprof = oxprof::http::serve("127.0.0.1:6060")?;
//! // ... the program ...
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! then `go tool pprof http://127.0.0.1:6060/debug/pprof/heap`, or `oxprof -top
//! http://127.0.0.1:6060/debug/pprof/profile?seconds=10`. [`serve_with`] takes a [`Config`]
//! (a bearer token, limits). In an existing server, mount [`router`] (feature `axum`) with
//! `Router::nest("/debug/pprof", oxprof::http::router())`, or hand requests to
//! [`Endpoints`], a `tower` and `hyper` `Service`.
//!
//! # Endpoints
//!
//! | path | answer |
//! |---|---|
//! | `/debug/pprof/` | the index: every profile with its count, links, descriptions |
//! | `heap`, `allocs`, `block`, `mutex`, `goroutine`, `threadcreate`, custom names | the named profile ([`profiles`](crate::profiles)): `debug=0` gzipped `profile.proto` (default), `debug=1` legacy text, `goroutine?debug=2` one block per thread; `heap?gc=1` accepted |
//! | `<name>?seconds=N` | a delta of a cumulative profile over N seconds, `filename="<name>-delta"` |
//! | `profile?seconds=N` | a CPU profile over N seconds (default 30), one at a time |
//! | `trace?seconds=N` | an execution trace over N seconds (default 1), streamed; needs feature `trace` (else 501) |
//! | `cmdline` | the program's arguments, separated by NUL bytes |
//! | `symbol` | GET or POST: `num_symbols: 1`, then `0x<pc> <function>` per address given |
//!
//! Profiles come with `Content-Type: application/octet-stream` and `Content-Disposition:
//! attachment; filename="<name>"`, text with `text/plain; charset=utf-8`, and everything with
//! `X-Content-Type-Options: nosniff`. Errors are Go's: `text/plain`, `X-Go-Pprof: 1` (which
//! makes `go tool pprof` print the text), 400 for a bad parameter, 404 `Unknown profile`, 500
//! `Could not enable CPU profiling: cpu profiling already in use`.
//!
//! # Safe by default
//!
//! - A port alone (`":6060"`) listens on loopback; another interface must be named.
//! - On loopback, requests for another host name get 403: a web page cannot reach the endpoints
//!   by rebinding its DNS name to 127.0.0.1.
//! - [`Config::token`] makes every request show `Authorization: Bearer <token>`.
//! - One CPU profile at a time; `seconds` at most [`Config::max_seconds`]; at most
//!   [`Config::max_concurrent`] requests taking profiles, [`Config::max_connections`]
//!   connections, and clients that stall for [`Config::io_timeout`] are dropped.
//! - Only this process is ever profiled or symbolized: no parameter names another process.

mod access;
mod answer;
#[cfg(feature = "axum")]
mod axum;
mod batch;
mod body;
mod config;
mod cpu;
mod index;
mod named;
mod query;
mod routes;
mod server;
mod service;
mod stall;
mod symbol;
mod trace;

use std::io;

#[cfg(feature = "axum")]
pub use self::axum::{router, router_with};
pub use body::Body;
pub use config::Config;
pub use server::Server;
pub use service::{Endpoints, ResponseFuture};

/// Serves the endpoints on `addr` from a background thread, with [`Config::default`]'s
/// limits. `addr` is `host:port`, or `:port` for loopback; port 0 picks a free one. Fails when
/// the address cannot be listened on (in use, not this machine's), with the address in the
/// message.
///
/// ```
/// let server = oxprof::http::serve("127.0.0.1:0")?;
/// let busy = oxprof::http::serve(&server.local_addr().to_string()).unwrap_err();
/// assert!(busy.to_string().starts_with("oxprof::http: cannot listen on 127.0.0.1:"), "{busy}");
/// server.stop();
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn serve(addr: &str) -> io::Result<Server> {
    serve_with(Config {
        addr: addr.to_owned(),
        ..Config::default()
    })
}

/// Serves the endpoints as `config` says, from a background thread. Fails when the address
/// cannot be listened on, or a limit is zero or the token empty
/// ([`io::ErrorKind::InvalidInput`]).
///
/// ```
/// let server = oxprof::http::serve_with(oxprof::http::Config {
///     addr: ":0".into(),
///     token: Some("s3cret".into()),
///     max_seconds: 60,
///     ..Default::default()
/// })?;
/// server.stop();
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn serve_with(config: Config) -> io::Result<Server> {
    server::start(config)
}
