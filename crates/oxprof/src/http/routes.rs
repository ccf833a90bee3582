//! From a request to its answer: access checks, the path under the mount point, the method,
//! then the endpoint: the index, `cmdline`, `profile`, `symbol`, `trace`, or a named profile.

use std::os::unix::ffi::OsStrExt;
use std::sync::Arc;

use http::header::{self, HeaderValue};
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Limited};

use super::answer::Answer;
use super::query::{unescape_path, Query};
use super::service::Shared;
use super::{cpu, index, named, symbol};

/// The largest request body read (only `symbol` reads one): about 70,000 addresses.
const MAX_BODY: usize = 1 << 20;

/// The answer to `request`.
pub(super) async fn answer<B>(shared: &Arc<Shared>, request: Request<B>) -> Answer
where
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let (parts, body) = request.into_parts();
    if let Err(refused) = shared.access.check(&parts.headers) {
        return refused;
    }
    let seen_path = parts.uri.path();
    // Under an axum router the path arrives with the mount point stripped; the index's links
    // need the path the client asked for.
    #[cfg(feature = "axum")]
    let full_path = parts
        .extensions
        .get::<axum::extract::OriginalUri>()
        .map_or(seen_path, |original| original.0.path());
    #[cfg(not(feature = "axum"))]
    let full_path = seen_path;
    let raw_query = parts.uri.query().unwrap_or("");

    let Some(rest) = under_prefix(seen_path, shared.prefix) else {
        return Answer::error(StatusCode::NOT_FOUND, "404 page not found");
    };
    // The mount point itself, with or without its slash, is the index.
    let name = rest.strip_prefix('/').unwrap_or(rest);

    let allowed: &[Method] = if name == "symbol" {
        &[Method::GET, Method::HEAD, Method::POST]
    } else {
        &[Method::GET, Method::HEAD]
    };
    if !allowed.contains(&parts.method) {
        let allow: Vec<&str> = allowed.iter().map(Method::as_str).collect();
        return Answer::error(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed").with_header(
            header::ALLOW,
            HeaderValue::from_str(&allow.join(", ")).expect("method names are header-safe"),
        );
    }

    let query = Query::parse(raw_query);
    match name {
        "" => {
            let path = full_path.to_owned();
            match shared.blocking(move || index::page(&path)).await {
                Ok(page) => Answer::ok("text/html; charset=utf-8", page),
                Err(answer) => answer,
            }
        }
        "cmdline" => cmdline(),
        "profile" => cpu::serve(shared, &query).await,
        "trace" => Answer::error(
            StatusCode::NOT_IMPLEMENTED,
            "Could not enable tracing: oxprof has no execution tracer yet",
        ),
        "symbol" => {
            let input = if parts.method == Method::POST {
                match Limited::new(body, MAX_BODY).collect().await {
                    Ok(collected) => collected.to_bytes(),
                    Err(e) => {
                        return Answer::bad_request(&format!("reading request: {e}"));
                    }
                }
            } else {
                bytes::Bytes::copy_from_slice(raw_query.as_bytes())
            };
            symbol::serve(shared, input).await
        }
        escaped => match unescape_path(escaped) {
            Some(name) => named::serve(shared, &name, &query).await,
            None => Answer::error(StatusCode::NOT_FOUND, "Unknown profile"),
        },
    }
}

/// The path after `prefix`: empty or starting with `/`; `None` when the path is not under it.
fn under_prefix<'a>(path: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = path.strip_prefix(prefix)?;
    (rest.is_empty() || rest.starts_with('/')).then_some(rest)
}

/// The program's arguments separated by NUL bytes, as Go's `Cmdline`.
fn cmdline() -> Answer {
    let args: Vec<Vec<u8>> = std::env::args_os().map(|a| a.as_bytes().to_vec()).collect();
    Answer::text(args.join(&0u8))
}
