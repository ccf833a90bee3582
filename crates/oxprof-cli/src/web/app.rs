//! The web UI's requests and answers, apart from the network: [`App::handle`] takes a method,
//! a path with its query, a body and who asks, and gives a status, a type and a body.
//!
//! The profile is parsed once. A view's request names options; the profile filtered and
//! aggregated for them is computed from the parsed profile, kept for the next requests with
//! the same filters (the last two such profiles are kept), and the view computed from it.

use std::{
    net::IpAddr,
    path::PathBuf,
    sync::{Arc, Mutex},
};

use anyhow::{anyhow, Result};
use oxprof_profile::{FilterOptions, Granularity, NumLabelUnits, Profile};
use oxprof_report::Report;
use serde_json::{json, Value};

use super::{address, query, settings, views};
use crate::{driver, flags::Config};

/// The page and its script and styles, compiled into the binary.
const INDEX_HTML: &str = include_str!("assets/index.html");
const APP_JS: &str = include_str!("assets/app.js");
const APP_CSS: &str = include_str!("assets/app.css");

/// How many filtered profiles are kept.
const KEPT: usize = 2;

/// How many views' answers are kept, so going back and forth recomputes nothing.
const ANSWERS_KEPT: usize = 16;

/// An answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Answer {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type`.
    pub content_type: &'static str,
    /// The body.
    pub body: Vec<u8>,
}

impl Answer {
    pub(crate) fn json(value: &Value) -> Answer {
        Answer {
            status: 200,
            content_type: "application/json",
            body: value.to_string().into_bytes(),
        }
    }

    /// An error as `{"error": message}`.
    pub(crate) fn error(status: u16, message: impl std::fmt::Display) -> Answer {
        let text = format!("{message:#}");
        let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
        Answer {
            status,
            content_type: "application/json",
            body: json!({ "error": line }).to_string().into_bytes(),
        }
    }

    pub(crate) fn asset(content_type: &'static str, text: &str) -> Answer {
        Answer {
            status: 200,
            content_type,
            body: text.as_bytes().to_vec(),
        }
    }
}

/// Who sent a request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Client<'a> {
    /// The peer's address, when known.
    pub peer: Option<IpAddr>,
    /// The `Host` header.
    pub host: Option<&'a str>,
    /// The `Origin` header: browsers send it with requests that change things.
    pub origin: Option<&'a str>,
}

/// The options a filtered profile depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Key {
    filters: FilterOptions,
    granularity: String,
    noinlines: bool,
}

/// A profile filtered and aggregated for some options, with the notes filtering made.
struct Prepared {
    profile: Profile,
    notes: Vec<String>,
}

/// The server's state.
pub(crate) struct App {
    profile: Profile,
    units: NumLabelUnits,
    base: Config,
    initial: String,
    local_only: bool,
    settings: Option<PathBuf>,
    prepared: Mutex<Vec<(Key, Arc<Prepared>)>>,
    answers: Mutex<Vec<(String, Arc<Vec<u8>>)>>,
}

impl App {
    /// The state for serving `profile` with the command line's options `cli`; `local_only`
    /// refuses other machines; saved configurations live in `settings`.
    pub(crate) fn new(
        profile: Profile,
        cli: &Config,
        local_only: bool,
        settings: Option<PathBuf>,
    ) -> Result<App> {
        let (base, initial) = query::split_config(cli);
        let units = profile.num_label_units();
        // Options the command line got wrong fail now rather than on every request.
        driver::report_options(&profile, cli)?;
        Ok(App {
            profile,
            units,
            base,
            initial,
            local_only,
            settings,
            prepared: Mutex::new(Vec::new()),
            answers: Mutex::new(Vec::new()),
        })
    }

    /// Computes the first view the page will ask for, so it is ready when the browser asks.
    pub(crate) fn warm_up(&self) {
        let _ = self.view_answer("flame", &self.initial);
    }

    /// The query string of the page's first address: the command line's options.
    pub(crate) fn initial_query(&self) -> &str {
        &self.initial
    }

    /// Answers one request. `target` is the path with its query string.
    pub(crate) fn handle(&self, method: &str, target: &str, body: &[u8], client: Client) -> Answer {
        if let Some(refused) = refusal(self.local_only, method, client) {
            return refused;
        }
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let result = match (method, path) {
            ("GET", "/" | "/index.html") => {
                return Answer::asset("text/html; charset=utf-8", INDEX_HTML)
            }
            ("GET", "/app.js") => return Answer::asset("text/javascript; charset=utf-8", APP_JS),
            ("GET", "/app.css") => return Answer::asset("text/css; charset=utf-8", APP_CSS),
            ("GET", "/api/meta") => {
                views::meta(&self.profile, &self.units, &self.initial).map_err(bad)
            }
            ("GET", "/api/configs") => self.configs(),
            ("POST", "/api/configs") => self.save_config(body),
            ("DELETE", "/api/configs") => self.delete_config(query),
            ("GET", view) => match view.strip_prefix("/api/") {
                Some(view) if VIEWS.iter().any(|(name, _)| *name == view) => {
                    return match self.view_answer(view, query) {
                        Ok(body) => Answer {
                            status: 200,
                            content_type: "application/json",
                            body: body.to_vec(),
                        },
                        Err((status, e)) => Answer::error(status, e),
                    };
                }
                _ => Err((404, anyhow!("no page at {path}"))),
            },
            _ => Err((405, anyhow!("{method} is not allowed on {path}"))),
        };
        match result {
            Ok(value) => Answer::json(&value),
            Err((status, e)) => Answer::error(status, e),
        }
    }

    /// A view's answer as JSON text, from the kept answers when the same view was asked for
    /// with the same query. Listings are not kept: they read sources and binaries, which may
    /// appear or change while the server runs.
    fn view_answer(&self, view: &str, query: &str) -> Result<Arc<Vec<u8>>, (u16, anyhow::Error)> {
        if matches!(view, "source" | "disasm") {
            return Ok(Arc::new(self.view(view, query)?.to_string().into_bytes()));
        }
        let key = format!("{view}?{query}");
        let lock = || self.answers.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, body)) = lock().iter().find(|(k, _)| *k == key) {
            return Ok(body.clone());
        }
        let body = Arc::new(self.view(view, query)?.to_string().into_bytes());
        let mut answers = lock();
        if answers.len() == ANSWERS_KEPT {
            answers.remove(0);
        }
        answers.push((key, body.clone()));
        Ok(body)
    }

    /// A view: options read from the query, the filtered profile, the view computed from it.
    fn view(&self, view: &str, query: &str) -> Result<Value, (u16, anyhow::Error)> {
        let (_, compute) = VIEWS
            .iter()
            .find(|(name, _)| *name == view)
            .expect("the caller checked the view");
        let state = query::parse(query, &self.base).map_err(bad)?;
        let command = match view {
            "source" => "weblist",
            "disasm" => "disasm",
            _ => "top",
        };
        let config = driver::command_overrides(
            &crate::flags::Command {
                name: command.into(),
                param: None,
            },
            &state.config,
            false,
        );
        let mut options = driver::report_options(&self.profile, &config).map_err(bad)?;
        if !config.relative_percentages {
            // Percentages refer to the whole profile, as on the command line.
            options.total = Some(
                Report::new(&self.profile, &options, command)
                    .map_err(|e| bad(e.into()))?
                    .total,
            );
        }
        let prepared = self.prepared(&config).map_err(bad)?;
        let input = views::Input {
            profile: &prepared.profile,
            options: &options,
            config: &config,
            re: &state.re,
            path: &state.path,
        };
        let mut value = compute(&input).map_err(bad)?;
        value["notes"] = json!(prepared.notes);
        Ok(value)
    }

    /// The profile filtered and aggregated as `config` asks, from the kept ones if it is there.
    fn prepared(&self, config: &Config) -> Result<Arc<Prepared>> {
        let key = Key {
            filters: config.filters.clone(),
            granularity: config.granularity.clone(),
            noinlines: config.noinlines,
        };
        // Held while computing: requests for other filters wait rather than hold a copy of the
        // profile each.
        let mut kept = self.prepared.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = kept.iter().position(|(k, _)| *k == key) {
            let entry = kept.remove(i);
            let prepared = entry.1.clone();
            kept.push(entry);
            return Ok(prepared);
        }
        let granularity: Granularity = config.granularity.parse()?;
        let mut profile = self.profile.clone();
        let notes = profile.apply_filters(&config.filters, &self.units)?;
        profile.aggregate_to(granularity, !config.noinlines, false)?;
        let prepared = Arc::new(Prepared { profile, notes });
        if kept.len() == KEPT {
            kept.remove(0);
        }
        kept.push((key, prepared.clone()));
        Ok(prepared)
    }

    fn settings_path(&self) -> Result<&PathBuf, (u16, anyhow::Error)> {
        self.settings.as_ref().ok_or_else(|| {
            (
                500,
                anyhow!("no place for settings: set $HOME or $XDG_CONFIG_HOME"),
            )
        })
    }

    fn configs(&self) -> Result<Value, (u16, anyhow::Error)> {
        let path = self.settings_path()?;
        let configs = settings::load(path).map_err(|e| (500, e))?;
        Ok(settings::to_json(&configs))
    }

    /// Saves `{"name": ..., "params": {...}}`; the parameters must be ones a view takes.
    fn save_config(&self, body: &[u8]) -> Result<Value, (u16, anyhow::Error)> {
        let path = self.settings_path()?;
        let value: Value = serde_json::from_slice(body)
            .map_err(|e| bad(anyhow!("the configuration is not JSON: {e}")))?;
        let name = value
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| bad(anyhow!("the configuration needs a \"name\"")))?;
        let params: Vec<(String, String)> = value
            .get("params")
            .and_then(Value::as_object)
            .ok_or_else(|| bad(anyhow!("the configuration needs \"params\"")))?
            .iter()
            .map(|(k, v)| match v.as_str() {
                Some(v) => Ok((k.clone(), v.to_string())),
                None => Err(bad(anyhow!("parameter {k:?} is not a string"))),
            })
            .collect::<Result<_, _>>()?;
        query::parse(&query::encode(&params), &self.base).map_err(bad)?;
        settings::save(path, (name.to_string(), params)).map_err(bad)?;
        self.configs()
    }

    fn delete_config(&self, query: &str) -> Result<Value, (u16, anyhow::Error)> {
        let path = self.settings_path()?;
        let pairs = query::decode(query).map_err(bad)?;
        let name = pairs
            .iter()
            .find(|(k, _)| k == "name")
            .map(|(_, v)| v.as_str())
            .ok_or_else(|| bad(anyhow!("which configuration? give name=")))?;
        settings::delete(path, name).map_err(|e| (404, e))?;
        self.configs()
    }
}

/// The answer refusing a request the web UI's address rules forbid: from another machine or
/// for another host name when serving this machine only, or a change sent by another site's
/// page. `None` when the request may be answered.
pub(crate) fn refusal(local_only: bool, method: &str, client: Client) -> Option<Answer> {
    if local_only {
        if client.peer.is_some_and(|ip| !ip.is_loopback()) {
            return Some(Answer::error(403, "this server only serves this machine (start it with -http=HOST:PORT to serve others)"));
        }
        if !client.host.is_some_and(address::is_local_host_header) {
            return Some(Answer::error(
                403,
                "this server only answers requests for localhost",
            ));
        }
    }
    // A page of another site may send changes here (its browser allows a plain POST), but
    // its browser names that site as the origin.
    if method != "GET" && client.origin.is_some_and(|o| !same_origin(o, client.host)) {
        return Some(Answer::error(
            403,
            "changes are only taken from this server's own page",
        ));
    }
    None
}

/// Whether `origin` (`http://host:port`) is the server the request was sent to.
fn same_origin(origin: &str, host: Option<&str>) -> bool {
    host.is_some_and(|h| origin.strip_prefix("http://") == Some(h))
}

/// A request's mistake.
fn bad(e: anyhow::Error) -> (u16, anyhow::Error) {
    (400, e)
}

/// The views by their API name, each with how it is computed.
type Compute = fn(&views::Input) -> Result<Value>;
const VIEWS: &[(&str, Compute)] = &[
    ("flame", views::flame),
    ("top", views::top),
    ("graph", views::graph),
    ("peek", views::peek),
    ("source", views::source),
    ("disasm", views::disassembly),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn app(local_only: bool) -> App {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/go/cpu.pprof");
        let profile = Profile::parse(&std::fs::read(path).unwrap()).unwrap();
        App::new(profile, &Config::default(), local_only, None).unwrap()
    }

    fn client(peer: &str, host: &str) -> Client<'static> {
        Client {
            peer: Some(peer.parse().unwrap()),
            host: Some(Box::leak(host.to_string().into_boxed_str())),
            origin: None,
        }
    }

    #[test]
    fn other_machines_are_refused_when_serving_this_one() {
        let local = app(true);
        let refused = local.handle("GET", "/", b"", client("10.1.2.3", "localhost:8080"));
        assert_eq!(refused.status, 403);
        assert_eq!(
            String::from_utf8(refused.body).unwrap(),
            r#"{"error":"this server only serves this machine (start it with -http=HOST:PORT to serve others)"}"#
        );
        let missing_host = local.handle(
            "GET",
            "/",
            b"",
            Client {
                peer: Some("127.0.0.1".parse().unwrap()),
                host: None,
                origin: None,
            },
        );
        assert_eq!(missing_host.status, 403);
        for peer in ["127.0.0.1", "::1"] {
            let page = local.handle("GET", "/", b"", client(peer, "localhost:8080"));
            assert_eq!(
                (page.status, page.content_type),
                (200, "text/html; charset=utf-8")
            );
        }
        let open = app(false);
        let served = open.handle(
            "GET",
            "/api/meta",
            b"",
            client("10.1.2.3", "profiles.example"),
        );
        assert_eq!(served.status, 200);
    }

    #[test]
    fn filtered_profiles_are_kept_for_the_next_request() {
        let app = app(true);
        let localhost = client("127.0.0.1", "localhost");
        for query in [
            "focus=main",
            "focus=main&view=top",
            "hide=x",
            "focus=main&nodecount=3",
            "hide=x",
        ] {
            assert_eq!(
                app.handle("GET", &format!("/api/top?{query}"), b"", localhost)
                    .status,
                200
            );
        }
        let answers: Vec<String> = app
            .answers
            .lock()
            .unwrap()
            .iter()
            .map(|a| a.0.clone())
            .collect();
        assert_eq!(
            answers,
            [
                "top?focus=main",
                "top?focus=main&view=top",
                "top?hide=x",
                "top?focus=main&nodecount=3"
            ],
            "each answer once"
        );
        let kept = app.prepared.lock().unwrap();
        let filters: Vec<(&str, &str)> = kept
            .iter()
            .map(|(k, _)| (k.filters.focus.as_str(), k.filters.hide.as_str()))
            .collect();
        assert_eq!(
            filters,
            [("", "x"), ("main", "")],
            "at most two, the latest last"
        );
    }
}
