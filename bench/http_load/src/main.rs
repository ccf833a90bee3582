//! The live endpoints under load. Three roles, each its own process:
//!
//! - `serve ADDR`: an axum service with a route of its own, `/work` (about 100 µs of hashing
//!   and a small allocation per request), and `oxprof::http::router()` nested at
//!   `/debug/pprof`; oxprof's allocator is the global one, block and mutex profiles are on.
//! - `own ADDR SECONDS CONNECTIONS`: the service's own traffic: CONNECTIONS keep-alive
//!   clients asking for `/work` back to back for SECONDS; prints requests per second and the
//!   latency median and 99th percentile.
//! - `burst ADDR REQUESTS`: REQUESTS concurrent requests, each on a connection of its own, half
//!   for `heap` and half for `goroutine?debug=1`; checks every answer (status 200, a heap
//!   profile that decodes with Go's four sample types, a goroutine text that starts as Go's) and prints how
//!   long the burst took, the answers' latency median and maximum, and any failures.
//!
//! Output lines are `key=value` pairs for the script to collect.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[global_allocator]
static ALLOC: oxprof::heap::Profiled = oxprof::heap::Profiled::system();

/// The service's own work: hashing and a small allocation, about 100 µs.
#[inline(never)]
fn own_work(seed: u64) -> String {
    let mut x = seed ^ 0x9e37_79b9_7f4a_7c15;
    let mut kept = Vec::with_capacity(64);
    for i in 0..40_000u64 {
        x = (x ^ i).rotate_left(13).wrapping_mul(0xff51_afd7_ed55_8ccd);
        if i % 1_000 == 0 {
            kept.push(x);
        }
    }
    format!("{:x}\n", kept.iter().fold(0, |a, b| a ^ b))
}

async fn serve(addr: &str) -> std::io::Result<()> {
    oxprof::block::set_rate(1);
    oxprof::mutex::set_fraction(1);
    let app = axum::Router::new()
        .route(
            "/work",
            axum::routing::get(|| async {
                let seed = std::hint::black_box(Instant::now().elapsed().as_nanos() as u64);
                own_work(seed)
            }),
        )
        .nest("/debug/pprof", oxprof::http::router());
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("listening={}", listener.local_addr()?);
    axum::serve(listener, app).await
}

/// Reads one HTTP/1.1 response with a Content-Length from `stream`; (status, body).
async fn read_response(
    stream: &mut TcpStream,
    buffer: &mut Vec<u8>,
) -> std::io::Result<(u16, Vec<u8>)> {
    let bad = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned());
    let head_end = loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        let mut chunk = [0u8; 16384];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(bad("connection closed before the headers"));
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).to_ascii_lowercase();
    let status: u16 = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("no status"))?;
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| bad("no content-length"))?;
    while buffer.len() < head_end + length {
        let mut chunk = [0u8; 65536];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(bad("connection closed in the body"));
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
    let body = buffer[head_end..head_end + length].to_vec();
    buffer.drain(..head_end + length);
    Ok((status, body))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1e3)
}

async fn own(addr: SocketAddr, seconds: u64, connections: usize) {
    let until = Instant::now() + Duration::from_secs(seconds);
    let clients: Vec<_> = (0..connections)
        .map(|_| {
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut errors = 0u64;
                while Instant::now() < until {
                    let Ok(mut stream) = TcpStream::connect(addr).await else {
                        errors += 1;
                        continue;
                    };
                    let _ = stream.set_nodelay(true);
                    let mut buffer = Vec::new();
                    while Instant::now() < until {
                        let started = Instant::now();
                        let request = format!("GET /work HTTP/1.1\r\nHost: {addr}\r\n\r\n");
                        if stream.write_all(request.as_bytes()).await.is_err() {
                            errors += 1;
                            break;
                        }
                        match read_response(&mut stream, &mut buffer).await {
                            Ok((200, _)) => latencies.push(started.elapsed()),
                            _ => {
                                errors += 1;
                                break;
                            }
                        }
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut errors = 0;
    for client in clients {
        let (l, e) = client.await.unwrap();
        latencies.extend(l);
        errors += e;
    }
    latencies.sort();
    println!(
        "own_rps={:.0} own_p50_ms={} own_p99_ms={} own_errors={errors}",
        latencies.len() as f64 / seconds as f64,
        ms(percentile(&latencies, 0.5)),
        ms(percentile(&latencies, 0.99)),
    );
}

/// One profile request on a connection of its own, checked; its latency or what was wrong.
async fn profile_request(addr: SocketAddr, heap: bool) -> Result<Duration, String> {
    let path = if heap {
        "/debug/pprof/heap"
    } else {
        "/debug/pprof/goroutine?debug=1"
    };
    let started = Instant::now();
    let mut stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("{path}: {e}"))?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| format!("{path}: {e}"))?;
    let (status, body) = read_response(&mut stream, &mut Vec::new())
        .await
        .map_err(|e| format!("{path}: {e}"))?;
    let elapsed = started.elapsed();
    if status != 200 {
        return Err(format!(
            "{path}: status {status}: {}",
            String::from_utf8_lossy(&body)
        ));
    }
    if heap {
        // A heap profile, though perhaps without samples yet (a service that has just started
        // may not have allocated 512 KiB).
        let profile = oxprof::Profile::parse(&body).map_err(|e| format!("{path}: {e}"))?;
        let types: Vec<&str> = profile.sample_type.iter().map(|t| t.ty.as_str()).collect();
        if types
            != [
                "alloc_objects",
                "alloc_space",
                "inuse_objects",
                "inuse_space",
            ]
        {
            return Err(format!("{path}: not a heap profile: {types:?}"));
        }
    } else if !body.starts_with(b"goroutine profile: total ") {
        return Err(format!("{path}: not goroutine text"));
    }
    Ok(elapsed)
}

async fn burst(addr: SocketAddr, requests: usize) {
    let started = Instant::now();
    let all: Vec<_> = (0..requests)
        .map(|i| tokio::spawn(profile_request(addr, i % 2 == 0)))
        .collect();
    let mut latencies = Vec::new();
    let mut failures = Vec::new();
    for request in all {
        match request.await.unwrap() {
            Ok(latency) => latencies.push(latency),
            Err(e) => failures.push(e),
        }
    }
    let took = started.elapsed();
    latencies.sort();
    println!(
        "burst_ms={} burst_ok={} burst_failed={} burst_p50_ms={} burst_max_ms={}",
        ms(took),
        latencies.len(),
        failures.len(),
        ms(percentile(&latencies, 0.5)),
        ms(latencies.last().copied().unwrap_or_default()),
    );
    for failure in failures.iter().take(5) {
        eprintln!("failure: {failure}");
    }
}

fn usage() -> ! {
    eprintln!("usage: http_load serve ADDR | own ADDR SECONDS CONNECTIONS | burst ADDR REQUESTS");
    std::process::exit(2)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).cloned().unwrap_or_else(|| usage());
    let number = |i: usize| arg(i).parse::<u64>().unwrap_or_else(|_| usage());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    match args.first().map(String::as_str) {
        Some("serve") => runtime.block_on(serve(&arg(1))).expect("serve"),
        Some("own") => {
            let addr = arg(1).parse().unwrap_or_else(|_| usage());
            runtime.block_on(own(addr, number(2), number(3) as usize));
        }
        Some("burst") => {
            let addr = arg(1).parse().unwrap_or_else(|_| usage());
            runtime.block_on(burst(addr, number(2) as usize));
        }
        _ => usage(),
    }
}
