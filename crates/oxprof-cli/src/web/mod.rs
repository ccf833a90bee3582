//! `-http=host:port`: the web UI. A page with the views Flame graph, Top, Graph, Peek, Source
//! and Disassembly, menus to refine (focus, ignore, hide, show, show_from), pick the sample type
//! and filter by tags, with its state in its address, and named configurations saved under
//! `~/.config/oxprof`. The page, script and styles are compiled into the binary.
//!
//! [`address`] reads `-http`, [`app`] answers requests, [`views`] computes each view, [`query`]
//! reads a view's state from its URL and [`settings`] keeps the saved configurations; this file
//! runs the server: a few threads taking requests from `tiny_http`.

pub(crate) mod address;
pub(crate) mod app;
pub(crate) mod kept;
pub(crate) mod query;
pub(crate) mod settings;
mod views;

use std::{
    net::{SocketAddr, TcpListener},
    path::Path,
    sync::Arc,
};

use anyhow::{anyhow, Result};
use flate2::{write::GzEncoder, Compression};
use oxprof_profile::Profile;

use crate::flags::Config;

/// Requests answered at once: views compute in parallel with page and asset requests.
const WORKERS: usize = 4;

/// Answers smaller than this are sent as they are.
const GZIP_FROM: usize = 1024;

/// The web UI's socket, bound before the profile is read so a bad address fails at once.
pub(crate) struct Listening {
    pub(crate) listener: TcpListener,
    pub(crate) local_only: bool,
}

/// Binds the address `-http` names (`spec`).
pub(crate) fn listen(spec: &str) -> Result<Listening> {
    let address = address::parse(spec)?;
    Ok(Listening {
        listener: address::bind(&address)?,
        local_only: address.local_only,
    })
}

/// Serves the web UI for `profile` until the process is stopped, opening it in a browser
/// unless `-no_browser` is set.
pub(crate) fn serve(profile: Profile, config: &Config, listening: Listening) -> Result<()> {
    let app = Arc::new(app::App::new(
        profile,
        config,
        listening.local_only,
        settings::default_path(),
    )?);
    let warm = app.clone();
    std::thread::spawn(move || warm.warm_up());
    let query = app.initial_query().to_owned();
    run(
        listening.listener,
        &query,
        config.no_browser,
        Arc::new(move |method: &str, target: &str, body: &[u8], client| {
            app.handle(method, target, body, client)
        }),
    )
}

/// What answers requests: method, path with query, body, client.
pub(crate) type Handler = Arc<dyn Fn(&str, &str, &[u8], app::Client) -> app::Answer + Send + Sync>;

/// Serves `handler` on `listener` until the process is stopped: prints the page's address
/// (with `query`) and opens it in a browser unless `no_browser`.
pub(crate) fn run(
    listener: TcpListener,
    query: &str,
    no_browser: bool,
    handler: Handler,
) -> Result<()> {
    let bound = listener.local_addr()?;
    let server = Arc::new(
        tiny_http::Server::from_listener(listener, None)
            .map_err(|e| anyhow!("cannot serve on {bound}: {e}"))?,
    );
    let url = page_url(bound, query);
    eprintln!("Serving web UI on {url}");
    if !no_browser {
        let browsers = crate::browser::browsers();
        if browsers.is_empty() {
            eprintln!(
                "(no display to open a browser on: open the address in one, or set $BROWSER)"
            );
        } else if let Err(e) = crate::browser::open(Path::new(&url), &browsers, true) {
            eprintln!("oxprof: {e:#}");
        }
    }
    let workers: Vec<_> = (0..WORKERS)
        .map(|_| {
            let (server, handler) = (server.clone(), handler.clone());
            std::thread::spawn(move || {
                while let Ok(request) = server.recv() {
                    answer(&handler, request);
                }
            })
        })
        .collect();
    for worker in workers {
        let _ = worker.join();
    }
    Ok(())
}

/// The address to open: a wildcard bind is reached through localhost.
fn page_url(bound: SocketAddr, query: &str) -> String {
    let host = match bound.ip() {
        ip if ip.is_unspecified() => "localhost".to_string(),
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        ip => ip.to_string(),
    };
    let query = if query.is_empty() {
        String::new()
    } else {
        format!("?{query}")
    };
    format!("http://{host}:{}/{query}", bound.port())
}

fn answer(handler: &Handler, mut request: tiny_http::Request) {
    let header = |name: &str| {
        request
            .headers()
            .iter()
            .find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str().to_string())
    };
    let host = header("Host");
    let origin = header("Origin");
    let gzip = header("Accept-Encoding").is_some_and(|v| v.contains("gzip"));
    let mut body = Vec::new();
    if request.as_reader().read_to_end(&mut body).is_err() {
        return;
    }
    let client = app::Client {
        peer: request.remote_addr().map(|a| a.ip()),
        host: host.as_deref(),
        origin: origin.as_deref(),
    };
    let method = request.method().as_str().to_string();
    let answer = handler(&method, request.url(), &body, client);
    respond(request, answer, gzip);
}

/// Sends `answer`, gzipped when the client takes gzip and it is worth it.
pub(crate) fn respond(request: tiny_http::Request, answer: app::Answer, gzip: bool) {
    let mut body = answer.body;
    let mut response_headers = vec![
        header_line("Content-Type", answer.content_type),
        header_line("Cache-Control", "no-store"),
    ];
    if gzip && body.len() >= GZIP_FROM {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
        if std::io::Write::write_all(&mut encoder, &body).is_ok() {
            if let Ok(compressed) = encoder.finish() {
                body = compressed;
                response_headers.push(header_line("Content-Encoding", "gzip"));
            }
        }
    }
    let mut response =
        tiny_http::Response::from_data(body).with_status_code(tiny_http::StatusCode(answer.status));
    for h in response_headers {
        response.add_header(h);
    }
    // A client that went away is no concern of the server's.
    let _ = request.respond(response);
}

fn header_line(name: &str, value: &str) -> tiny_http::Header {
    tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes())
        .expect("header names and values here are ASCII")
}
