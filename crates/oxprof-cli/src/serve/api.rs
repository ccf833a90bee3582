//! The server's routes: pushes and uploads go to [`super::ingest`]; queries (services, profile
//! types, label names and values, a timeline of totals, a merged range as pprof) answer here;
//! the store's page is served here; and `/a/<range>/...` is the analyzer's web UI for one
//! merged range (or a comparison of two), computed once and kept for the next requests.

use std::sync::Arc;

use oxprof_profile::Profile;
use oxprof_push::PUSH_PATH;
use oxprof_store::query::{Query, Selector};
use oxprof_store::{time, Store};
use serde_json::{json, Value};

use super::{ingest, status_of, text, Request};
use crate::flags::Config;
use crate::web::kept::KeptAnalyzers;
use crate::web::query::Params;
use crate::web::{self, app::Answer, app::App, app::Client};

const STORE_HTML: &str = include_str!("assets/store.html");
const STORE_JS: &str = include_str!("assets/store.js");

/// Analyzers kept: the ranges looked at last.
const ANALYZERS_KEPT: usize = 4;

/// Timeline points asked for when no step is given.
const TIMELINE_POINTS: i64 = 240;

/// The server's state.
pub(crate) struct Server {
    pub store: Store,
    local_only: bool,
    analyzers: KeptAnalyzers,
}

impl Server {
    pub(crate) fn new(store: Store, local_only: bool) -> Server {
        Server {
            store,
            local_only,
            analyzers: KeptAnalyzers::new(ANALYZERS_KEPT),
        }
    }

    /// Answers one request.
    pub(crate) fn handle(&self, request: &Request) -> Answer {
        let host = request.header("host");
        if self.local_only {
            if request.peer.is_some_and(|ip| !ip.is_loopback()) {
                return text(403, "this server only serves this machine (start it with --listen=HOST:PORT to serve others)");
            }
            if !host.is_some_and(web::address::is_local_host_header) {
                return text(403, "this server only answers requests for localhost");
            }
        }
        // Agents send no Origin; a browser sends its page's, and another site's page may not
        // push, upload or read through a form post.
        let origin = request.header("origin");
        if request.method != "GET"
            && origin.is_some_and(|o| host.map_or(true, |h| o.strip_prefix("http://") != Some(h)))
        {
            return text(403, "changes are only taken from this server's own page");
        }
        let path = request.path.as_str();
        match (request.method.as_str(), path) {
            ("POST", PUSH_PATH) => ingest::push(&self.store, request),
            (_, PUSH_PATH) => ingest::connect_error(405, "use POST"),
            ("POST", "/ingest") => ingest::legacy(&self.store, request),
            ("GET", "/" | "/index.html") => Answer::asset("text/html; charset=utf-8", STORE_HTML),
            ("GET", "/store.js") => Answer::asset("text/javascript; charset=utf-8", STORE_JS),
            (_, p) if p.starts_with("/a/") => self.analyzer(request),
            ("GET", p) if p.starts_with("/api/") => self.query(p, &request.query),
            ("GET", _) => text(404, &format!("no page at {path}")),
            (method, _) => text(405, &format!("{method} is not allowed on {path}")),
        }
    }

    fn query(&self, path: &str, query: &str) -> Answer {
        let params = match web::query::decode(query) {
            Ok(params) => Params(params),
            Err(e) => return text(400, &format!("{e:#}")),
        };
        let param = |name: &str| params.get(name);
        let answered = match path {
            "/api/services" => Ok(json!(self.store.services())),
            "/api/profile_types" => {
                selector(param("selector")).map(|s| json!(self.store.profile_types(&s)))
            }
            "/api/labels" => selector(param("selector")).map(|s| json!(self.store.label_names(&s))),
            "/api/label_values" => match param("name") {
                Some(name) => {
                    selector(param("selector")).map(|s| json!(self.store.label_values(name, &s)))
                }
                None => Err(oxprof_store::Error::BadInput(
                    "give name=<label name>".into(),
                )),
            },
            "/api/stats" => self
                .store
                .stats()
                .map(|s| json!({"profiles": s.profiles, "series": s.series, "bytes": s.bytes})),
            "/api/timeline" => self.timeline(&params),
            "/api/merge" => return self.merged_pprof(&params),
            _ => return text(404, &format!("no API at {path}")),
        };
        match answered {
            Ok(value) => Answer::json(&value),
            Err(e) => text(status_of(&e), &e.to_string()),
        }
    }

    fn timeline(&self, params: &Params) -> Result<Value, oxprof_store::Error> {
        let range = Range::read(params, "from", "until")?;
        let step = match params.get("step") {
            Some(s) => time::duration(s).ok_or_else(|| {
                oxprof_store::Error::BadInput(format!(
                    "bad step {s:?}: give a duration such as 10s"
                ))
            })?,
            // Whole seconds, at least 10: the agents' default period.
            None => {
                ((range.until - range.from) / TIMELINE_POINTS).max(10_000_000_000) / 1_000_000_000
                    * 1_000_000_000
            }
        };
        let points = self
            .store
            .timeline(&range.query, range.from, range.until, step)?;
        let points: Vec<Value> = points
            .iter()
            .map(|p| json!([p.start_ns / 1_000_000, p.total, p.profiles]))
            .collect();
        Ok(json!({ "step_ms": step / 1_000_000, "points": points }))
    }

    /// `/api/merge`: the range merged, as gzipped pprof (what `oxprof URL` reads).
    fn merged_pprof(&self, params: &Params) -> Answer {
        let merged =
            Range::read(params, "from", "until").and_then(|range| range.merge(&self.store));
        match merged {
            Ok(profile) => Answer {
                status: 200,
                content_type: "application/octet-stream",
                body: profile.encode_gzip(),
            },
            Err(e) => text(status_of(&e), &e.to_string()),
        }
    }

    /// `/a/<range>/...`: the analyzer's UI for the range (and base range) `<range>` names, a
    /// percent-encoded query string (`query`, `from`, `until`, optional `base_from` and
    /// `base_until`).
    fn analyzer(&self, request: &Request) -> Answer {
        let rest = &request.path["/a/".len()..];
        let (key, inner) = rest.split_once('/').unwrap_or((rest, ""));
        let inner = format!("/{inner}");
        let app = match self.app(key) {
            Ok(app) => app,
            Err(e) => return text(status_of(&e), &e.to_string()),
        };
        let target = if request.query.is_empty() {
            inner
        } else {
            format!("{inner}?{}", request.query)
        };
        let client = Client {
            peer: request.peer,
            host: request.header("host"),
            origin: request.header("origin"),
        };
        app.handle(&request.method, &target, &request.body, client)
    }

    /// The analyzer for `key`, from the kept ones or merged now.
    fn app(&self, key: &str) -> Result<Arc<App>, oxprof_store::Error> {
        let bad = |e: anyhow::Error| oxprof_store::Error::BadInput(format!("{e:#}"));
        self.analyzers.get_or_build(key, || {
            let params = web::query::unescape(key)
                .and_then(|q| web::query::decode(&q))
                .map(Params)
                .map_err(bad)?;
            let mut profile = Range::read(&params, "from", "until")?.merge(&self.store)?;
            if params.get("base_from").is_some() {
                let base = Range::read(&params, "base_from", "base_until")?.merge(&self.store)?;
                profile = profile
                    .with_base(base, true, false)
                    .map_err(|e| bad(e.into()))?;
            }
            App::new(
                profile,
                &Config::default(),
                self.local_only,
                web::settings::default_path(),
            )
            .map_err(bad)
        })
    }
}

fn selector(text: Option<&str>) -> Result<Selector, oxprof_store::Error> {
    Selector::parse(text.unwrap_or_default())
}

/// A query over a time range: `query`, and `from`/`until` (default: the last hour).
struct Range {
    query: Query,
    from: i64,
    until: i64,
}

impl Range {
    fn read(params: &Params, from: &str, until: &str) -> Result<Range, oxprof_store::Error> {
        let now = time::now_nanos();
        let query: Query = params
            .get("query")
            .ok_or_else(|| {
                oxprof_store::Error::BadInput(
                    "give query=<profile type>{<labels>}, such as process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name=\"app\"}".into(),
                )
            })?
            .parse()?;
        let from = time::parse(params.get(from).unwrap_or("now-1h"), now)?;
        let until = time::parse(params.get(until).unwrap_or("now"), now)?;
        if until <= from {
            return Err(oxprof_store::Error::BadInput(
                "the range ends before it starts".into(),
            ));
        }
        Ok(Range { query, from, until })
    }

    fn merge(&self, store: &Store) -> Result<Profile, oxprof_store::Error> {
        match store.merge(&self.query, self.from, self.until)? {
            Some(merged) => Ok(merged.profile),
            None => Err(oxprof_store::Error::NotFound(format!(
                "no profiles match {} in the range",
                self.query
            ))),
        }
    }
}
