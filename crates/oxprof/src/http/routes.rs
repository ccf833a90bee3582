//! From a request to its response: access checks, the path under the mount point, the method,
//! then the endpoint: the index, `cmdline`, `profile`, `symbol`, `trace`, or a named profile.

use std::os::unix::ffi::OsStrExt;
use std::sync::Arc;

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Limited};

use super::answer::Answer;
use super::body::Body;
use super::query::{unescape_path, Query};
use super::service::Shared;
use super::{cpu, index, named, symbol, trace};

/// The largest request body read (only `symbol` reads one): about 70,000 addresses.
const MAX_BODY: usize = 1 << 20;

/// The response to `request`.
pub(super) async fn answer<B>(shared: &Arc<Shared>, request: Request<B>) -> Response<Body>
where
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let (parts, body) = request.into_parts();
    let target = match target(shared, &parts) {
        Ok(target) => target,
        Err(refused) => return refused.into_response(),
    };
    let query = Query::parse(target.raw_query);
    let answer = match target.name {
        "" => {
            let path = target.full_path.to_owned();
            match shared.blocking(move || index::page(&path)).await {
                Ok(page) => Answer::ok("text/html; charset=utf-8", page),
                Err(answer) => answer,
            }
        }
        "cmdline" => cmdline(),
        "profile" => cpu::serve(shared, &query).await,
        // Streamed as it is written, as Go streams it.
        "trace" => return trace::serve(shared, &query).await,
        "symbol" => {
            let input = if parts.method == Method::POST {
                match Limited::new(body, MAX_BODY).collect().await {
                    Ok(collected) => Ok(collected.to_bytes()),
                    Err(e) => Err(Answer::bad_request(&format!("reading request: {e}"))),
                }
            } else {
                Ok(Bytes::copy_from_slice(target.raw_query.as_bytes()))
            };
            match input {
                Ok(input) => symbol::serve(shared, input).await,
                Err(answer) => answer,
            }
        }
        escaped => match unescape_path(escaped) {
            Some(name) => named::serve(shared, &name, &query).await,
            None => Answer::error(StatusCode::NOT_FOUND, "Unknown profile"),
        },
    };
    answer.into_response()
}

/// What a request asks for, once it may ask.
struct Target<'a> {
    /// The endpoint or profile name as the path spells it (still escaped); empty for the index.
    name: &'a str,
    /// The path as the client sent it, before any router stripped the mount point.
    full_path: &'a str,
    raw_query: &'a str,
}

/// The request's target, or the answer refusing it: access checks, the mount point, the
/// method.
fn target<'a>(shared: &Shared, parts: &'a http::request::Parts) -> Result<Target<'a>, Answer> {
    shared.access.check(&parts.headers)?;
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

    let Some(rest) = under_prefix(seen_path, shared.prefix) else {
        return Err(Answer::error(StatusCode::NOT_FOUND, "404 page not found"));
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
        return Err(
            Answer::error(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed").with_header(
                header::ALLOW,
                HeaderValue::from_str(&allow.join(", ")).expect("method names are header-safe"),
            ),
        );
    }
    Ok(Target {
        name,
        full_path,
        raw_query: parts.uri.query().unwrap_or(""),
    })
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
