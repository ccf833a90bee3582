//! `oxprof serve [--store DIR] [--listen ADDR] [--retention DURATION]`: the embedded profile
//! store. Agents push to it with Pyroscope's push API (`push.v1.PusherService/Push`, Connect)
//! or its legacy `/ingest` form; it keeps what they send in `oxprof_store`, answers queries,
//! and serves a web UI that opens a chosen range in the analyzer's views.
//!
//! [`ingest`] reads pushes and uploads (their decoders are `oxprof_store`'s), [`api`] answers the
//! queries and mounts the analyzer; this file reads the flags and runs the server: a few
//! threads taking requests from `tiny_http`, and one enforcing retention.

mod api;
mod ingest;

use std::io::Read;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use oxprof_store::Store;

use crate::web::{self, app::Answer};

/// Requests answered at once.
const WORKERS: usize = 4;

/// The largest request body taken: a push of many profiles, compressed.
pub(crate) const MAX_BODY: u64 = 32 << 20;

/// How often retention runs.
const RETENTION_EVERY: Duration = Duration::from_secs(600);

const USAGE: &str = "usage: oxprof serve [--store DIR] [--listen ADDR] [--retention DURATION]

Stores profiles pushed by agents and serves queries and a web UI.

  --store DIR           where profiles are kept (default $XDG_DATA_HOME/oxprof/store,
                        else ~/.local/share/oxprof/store)
  --listen ADDR         host:port to serve on (default :4040, this machine only;
                        0.0.0.0:4040 serves other machines too)
  --retention DURATION  profiles older than this are deleted (default 30d; 0 keeps all)

Agents push to http://ADDR/push.v1.PusherService/Push (Pyroscope's push API) or
http://ADDR/ingest (its legacy form); the UI is at http://ADDR/.
";

struct Options {
    store: PathBuf,
    listen: String,
    retention_ns: i64,
}

/// Runs `oxprof serve` with its arguments (after `serve`), until the process is stopped.
pub(crate) fn run(args: Vec<String>) -> Result<()> {
    let Some(options) = parse(args)? else {
        print!("{USAGE}");
        return Ok(());
    };
    let address = web::address::parse_flag("--listen", &options.listen)?;
    let listener = web::address::bind_flag("--listen", &address)?;
    let bound = listener.local_addr()?;
    let store = Store::open(&options.store)
        .with_context(|| format!("cannot open the store in {}", options.store.display()))?;
    let server = Arc::new(api::Server::new(store, address.local_only));
    if options.retention_ns > 0 {
        let (server, keep) = (server.clone(), options.retention_ns);
        std::thread::spawn(move || loop {
            let cutoff = oxprof_store::time::now_nanos() - keep;
            if let Err(e) = server.store.delete_before(cutoff) {
                eprintln!("oxprof serve: retention: {e}");
            }
            std::thread::sleep(RETENTION_EVERY);
        });
    }
    let http = Arc::new(
        tiny_http::Server::from_listener(listener, None)
            .map_err(|e| anyhow!("cannot serve on {bound}: {e}"))?,
    );
    eprintln!(
        "oxprof serve: storing in {}, serving on http://{bound}/ (agents push to http://{bound}{})",
        options.store.display(),
        oxprof_push::PUSH_PATH
    );
    let workers: Vec<_> = (0..WORKERS)
        .map(|_| {
            let (http, server) = (http.clone(), server.clone());
            std::thread::spawn(move || {
                while let Ok(request) = http.recv() {
                    answer(&server, request);
                }
            })
        })
        .collect();
    for worker in workers {
        let _ = worker.join();
    }
    Ok(())
}

fn parse(args: Vec<String>) -> Result<Option<Options>> {
    let mut options = Options {
        store: default_store()
            .ok_or_else(|| anyhow!("no place for the store: give --store DIR or set $HOME"))?,
        listen: ":4040".into(),
        retention_ns: 30 * 86_400_000_000_000,
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let Some(body) = arg
            .strip_prefix("--")
            .or_else(|| arg.strip_prefix('-'))
            .filter(|b| !b.is_empty())
        else {
            bail!("unexpected argument {arg:?} (oxprof serve -h lists the flags)");
        };
        let (name, inline) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (body, None),
        };
        if matches!(name, "h" | "help") {
            return Ok(None);
        }
        if !matches!(name, "store" | "listen" | "retention") {
            bail!("unknown serve flag --{name} (oxprof serve -h lists the flags)");
        }
        let value = match inline {
            Some(v) => v,
            None => args
                .next()
                .ok_or_else(|| anyhow!("flag needs an argument: --{name}"))?,
        };
        match name {
            "store" => options.store = PathBuf::from(value),
            "listen" => options.listen = value,
            _ if value == "0" => options.retention_ns = 0,
            _ => {
                options.retention_ns = oxprof_store::time::duration(&value).ok_or_else(|| {
                    anyhow!("--retention={value}: want a duration such as 7d, 36h or 0")
                })?
            }
        }
    }
    Ok(Some(options))
}

/// `$XDG_DATA_HOME/oxprof/store`, else `~/.local/share/oxprof/store`.
fn default_store() -> Option<PathBuf> {
    let data = std::env::var_os("XDG_DATA_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
    Some(data.join("oxprof/store"))
}

/// A request as the handlers see it.
pub(crate) struct Request {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub peer: Option<IpAddr>,
}

impl Request {
    /// A header's value, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn answer(server: &api::Server, mut request: tiny_http::Request) {
    let headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .map(|h| {
            (
                h.field.as_str().as_str().to_owned(),
                h.value.as_str().to_owned(),
            )
        })
        .collect();
    let gzip = headers
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case("accept-encoding") && v.contains("gzip"));
    // A body past the limit is refused before it is read.
    let push = request.url() == oxprof_push::PUSH_PATH;
    if request.body_length().is_some_and(|n| n as u64 > MAX_BODY) {
        return web::respond(request, too_large(push), gzip);
    }
    let mut body = Vec::new();
    if request
        .as_reader()
        .take(MAX_BODY + 1)
        .read_to_end(&mut body)
        .is_err()
    {
        return;
    }
    if body.len() as u64 > MAX_BODY {
        return web::respond(request, too_large(push), gzip);
    }
    let url = request.url().to_owned();
    let (path, query) = url.split_once('?').unwrap_or((&url, ""));
    let parsed = Request {
        method: request.method().as_str().to_owned(),
        path: path.to_owned(),
        query: query.to_owned(),
        headers,
        body,
        peer: request.remote_addr().map(|a| a.ip()),
    };
    let reply = server.handle(&parsed);
    web::respond(request, reply, gzip);
}

/// 413, as a Connect error for a push.
fn too_large(push: bool) -> Answer {
    let message = format!("the request body is larger than {MAX_BODY} bytes");
    if push {
        ingest::connect_error(413, &message)
    } else {
        text(413, &message)
    }
}

/// A plain-text answer of one line, as `oxprof` and Pyroscope's clients show server errors.
pub(crate) fn text(status: u16, message: &str) -> Answer {
    let line = message.split_whitespace().collect::<Vec<_>>().join(" ");
    Answer {
        status,
        content_type: "text/plain; charset=utf-8",
        body: format!("{line}\n").into_bytes(),
    }
}

/// The status an error of the store is answered with.
pub(crate) fn status_of(e: &oxprof_store::Error) -> u16 {
    match e {
        oxprof_store::Error::BadInput(_) => 400,
        oxprof_store::Error::TooLarge(_) => 413,
        oxprof_store::Error::NotFound(_) => 404,
        oxprof_store::Error::Storage(_) => 500,
    }
}
