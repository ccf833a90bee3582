//! A small axum service with oxprof's `/debug/pprof` endpoints mounted beside its own routes,
//! and some work to profile: a CPU-bound route, one that allocates and keeps a cache behind a
//! lock, and an optional load of its own. Its handlers are `tracing` spans, which oxprof's
//! `TraceLayer` turns into tasks and regions of the execution trace.
//!
//! ```sh
//! cargo run --release -p web-service -- --load          # serves on 127.0.0.1:8080
//! go tool pprof -top http://127.0.0.1:8080/debug/pprof/profile?seconds=5
//! oxprof -top http://127.0.0.1:8080/debug/pprof/heap
//! curl http://127.0.0.1:8080/debug/pprof/goroutine?debug=1
//! curl -o app.trace 'http://127.0.0.1:8080/debug/pprof/trace?seconds=2' && oxprof trace app.trace
//! ```
//!
//! Flags: `--addr HOST:PORT` (default `127.0.0.1:8080`), `--load` (keep a few clients busy
//! with the service's own routes, so profiles have something in them).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{RawQuery, State};
use axum::routing::get;
use axum::Router;
use oxprof::sync::Mutex;
use tracing_subscriber::layer::SubscriberExt;

#[global_allocator]
static ALLOC: oxprof::heap::Profiled = oxprof::heap::Profiled::system();

/// How many reports the cache keeps.
const CACHED_REPORTS: usize = 64;

/// The last reports rendered, shared by every request: the contended lock of the mutex profile.
#[derive(Default)]
struct ReportCache {
    reports: Mutex<VecDeque<String>>,
}

/// The `n` parameter of a query string.
fn size(query: Option<String>) -> Option<u32> {
    query?
        .split('&')
        .find_map(|pair| pair.strip_prefix("n="))?
        .parse()
        .ok()
}

/// Counts primes below `n` with a sieve: the CPU-bound work.
#[inline(never)]
fn count_primes(n: u32) -> usize {
    let n = n.clamp(2, 20_000_000) as usize;
    let mut composite = vec![false; n];
    let mut count = 0;
    for i in 2..n {
        if !composite[i] {
            count += 1;
            let mut j = i * i;
            while j < n {
                composite[j] = true;
                j += i;
            }
        }
    }
    count
}

/// Renders a report of `rows` rows: the allocating work, kept in the cache.
#[inline(never)]
fn render_report(rows: u32) -> String {
    let rows = rows.clamp(1, 100_000);
    let mut report = String::new();
    for row in 0..rows {
        report.push_str(&format!(
            "row {row:>6}: {:>12}\n",
            row.wrapping_mul(2_654_435_761)
        ));
    }
    report
}

#[tracing::instrument(skip_all)]
async fn primes(RawQuery(query): RawQuery) -> String {
    let n = size(query).unwrap_or(200_000);
    // CPU-bound: off the async workers, as a real service would; in the request's span, so the
    // trace shows the blocking thread's work as a region of the request's task.
    let span = tracing::info_span!("count_primes", n);
    let count = tokio::task::spawn_blocking(move || span.in_scope(|| count_primes(n)))
        .await
        .unwrap_or(0);
    format!("{count} primes below {n}\n")
}

#[tracing::instrument(skip_all)]
async fn report(State(cache): State<Arc<ReportCache>>, RawQuery(query): RawQuery) -> String {
    let report = render_report(size(query).unwrap_or(2_000));
    let summary = format!("{} bytes\n", report.len());
    let mut reports = cache.reports.lock().unwrap_or_else(|e| e.into_inner());
    reports.push_back(report);
    if reports.len() > CACHED_REPORTS {
        reports.pop_front();
    }
    summary
}

/// The service: its own routes and the profiling endpoints.
fn app() -> Router {
    Router::new()
        .route(
            "/",
            get(|| async { "try /primes?n=200000, /report?n=2000, /debug/pprof/\n" }),
        )
        .route("/primes", get(primes))
        .route("/report", get(report))
        .with_state(Arc::new(ReportCache::default()))
        .nest_service("/debug/pprof", oxprof::http::router())
}

/// A few clients of the service's own routes, for ever.
async fn load(addr: std::net::SocketAddr) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    for client in 0..4u32 {
        tokio::spawn(async move {
            loop {
                let path = if client % 2 == 0 {
                    "/primes?n=300000"
                } else {
                    "/report?n=3000"
                };
                if let Ok(mut stream) = tokio::net::TcpStream::connect(addr).await {
                    let request =
                        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
                    let mut answer = Vec::new();
                    let _ = stream.write_all(request.as_bytes()).await;
                    let _ = stream.read_to_end(&mut answer).await;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        });
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut addr = String::from("127.0.0.1:8080");
    let mut with_load = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--addr" => addr = args.next().unwrap_or(addr),
            "--load" => with_load = true,
            other => {
                eprintln!(
                    "web-service: unknown argument {other:?} (flags: --addr HOST:PORT, --load)"
                );
                std::process::exit(2);
            }
        }
    }
    oxprof::block::set_rate(1);
    oxprof::mutex::set_fraction(1);
    // Spans become the execution trace's tasks and regions while a trace is taken
    // (/debug/pprof/trace?seconds=N); otherwise the layer costs one load per span event.
    tracing::subscriber::set_global_default(
        tracing_subscriber::registry().with(oxprof::trace::TraceLayer::new()),
    )
    .expect("no other subscriber is set");
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    let local = listener.local_addr()?;
    eprintln!("web-service on http://{local}/ (profiles at http://{local}/debug/pprof/)");
    if with_load {
        load(local).await;
    }
    axum::serve(listener, app()).await
}
