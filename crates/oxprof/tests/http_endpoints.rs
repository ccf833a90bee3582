//! The live endpoints from the outside, over real loopback connections: every path, parameter,
//! header and error text of Go's `net/http/pprof`, deltas that hold only what happened in their
//! window, one CPU profile at a time, the token, the Host check and the connection bounds, the
//! axum router mounted in a service, and a burst of 200 concurrent profile requests while that
//! service keeps answering its own traffic.
//!
//! `go tool pprof` and `oxprof` reading these endpoints are tested in `oxprof-cli`'s
//! `live_endpoints` tests.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use oxprof::Profile;

#[global_allocator]
static ALLOC: oxprof::heap::Profiled = oxprof::heap::Profiled::system();

/// One HTTP answer.
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn profile(&self) -> Profile {
        Profile::parse(&self.body).expect("a profile")
    }

    /// Checks Go's error form: the status, text/plain, X-Go-Pprof, the text and a newline.
    fn assert_error(&self, status: u16, text: &str) {
        assert_eq!(self.status, status, "{}", self.text());
        assert_eq!(
            self.header("content-type"),
            Some("text/plain; charset=utf-8")
        );
        assert_eq!(self.header("x-go-pprof"), Some("1"));
        assert_eq!(self.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(self.header("content-disposition"), None);
        assert_eq!(self.text(), format!("{text}\n"));
    }

    /// Checks a profile served as a download named `filename`.
    fn assert_attachment(&self, filename: &str) {
        assert_eq!(self.status, 200, "{}", self.text());
        assert_eq!(
            self.header("content-type"),
            Some("application/octet-stream")
        );
        assert_eq!(
            self.header("content-disposition"),
            Some(format!("attachment; filename=\"{filename}\"").as_str())
        );
        assert_eq!(self.header("x-content-type-options"), Some("nosniff"));
    }
}

/// Parses a whole HTTP/1.1 answer, with a Content-Length or chunked.
fn parse_reply(raw: &[u8]) -> Reply {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .map(|l| {
            let (k, v) = l.split_once(':').unwrap();
            (k.trim().to_owned(), v.trim().to_owned())
        })
        .collect();
    let mut reply = Reply {
        status,
        headers,
        body: raw[end + 4..].to_vec(),
    };
    if reply.header("transfer-encoding") == Some("chunked") {
        reply.body = unchunk(&reply.body);
    }
    reply
}

/// The data of a chunked body.
fn unchunk(mut raw: &[u8]) -> Vec<u8> {
    let mut data = Vec::new();
    loop {
        let line_end = raw
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("chunk size line");
        let size = std::str::from_utf8(&raw[..line_end]).unwrap().trim();
        let size = usize::from_str_radix(size, 16).expect("hex chunk size");
        if size == 0 {
            return data;
        }
        let start = line_end + 2;
        data.extend_from_slice(&raw[start..start + size]);
        raw = &raw[start + size + 2..];
    }
}

/// Sends `head` (request line and headers, without the final blank line) and `body`, on a
/// connection of its own, and reads the whole answer.
fn request(addr: SocketAddr, head: &str, body: &[u8]) -> Reply {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut message = format!("{head}\r\nConnection: close\r\n").into_bytes();
    if !body.is_empty() {
        message.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    }
    message.extend_from_slice(b"\r\n");
    message.extend_from_slice(body);
    stream.write_all(&message).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    parse_reply(&raw)
}

fn get(addr: SocketAddr, path: &str) -> Reply {
    request(addr, &format!("GET {path} HTTP/1.1\r\nHost: {addr}"), b"")
}

/// The server most tests share, with the test workload running.
fn server() -> SocketAddr {
    static SERVER: OnceLock<SocketAddr> = OnceLock::new();
    *SERVER.get_or_init(|| {
        workload();
        let server = oxprof::http::serve("127.0.0.1:0").expect("serve");
        server.local_addr()
    })
}

/// Profiles are process-wide: tests that take a CPU profile take turns.
fn cpu_turn() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock().unwrap_or_else(|e| e.into_inner())
}

/// Something in every profile, once: live memory, a contended lock, a custom profile entry.
fn workload() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(start_workload);
}

fn start_workload() {
    oxprof::block::set_rate(1);
    oxprof::mutex::set_fraction(1);
    static LIVE: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    LIVE.get_or_init(|| (0..8u8).map(|i| vec![i; 1 << 20]).collect());
    let lock = std::sync::Arc::new(oxprof::sync::Mutex::new(0u64));
    let held = lock.lock().unwrap();
    let waiter = {
        let lock = lock.clone();
        std::thread::spawn(move || *lock.lock().unwrap() += 1)
    };
    std::thread::sleep(Duration::from_millis(20));
    drop(held);
    waiter.join().unwrap();
    let custom = oxprof::custom::Profile::new("http_endpoints.sessions").unwrap();
    custom.add(1u32, 0).unwrap();
    std::mem::forget(custom);
}

#[test]
fn the_index_lists_every_profile_with_links_and_counts() {
    let addr = server();
    let index = get(addr, "/debug/pprof/");
    assert_eq!(index.status, 200);
    assert_eq!(
        index.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(index.header("x-content-type-options"), Some("nosniff"));
    let html = index.text();
    for name in [
        "allocs",
        "block",
        "cmdline",
        "goroutine",
        "heap",
        "mutex",
        "profile",
        "symbol",
        "threadcreate",
        "trace",
        "http_endpoints.sessions",
    ] {
        assert!(
            html.contains(&format!("'>{name}</a></td></tr>")),
            "{name}:\n{html}"
        );
    }
    assert!(
        html.contains("<tr><td>1</td><td><a href='http_endpoints.sessions?debug=1'>"),
        "{html}"
    );
    // Without its slash the mount point is the index too, with links that stay under it.
    let bare = get(addr, "/debug/pprof");
    assert_eq!(bare.status, 200);
    assert!(bare
        .text()
        .contains("<a href='pprof/heap?debug=1'>heap</a>"));
    get(addr, "/other").assert_error(404, "404 page not found");
    get(addr, "/debug/pprofile").assert_error(404, "404 page not found");
}

#[test]
fn named_profiles_come_in_go_forms_with_go_headers() {
    let addr = server();
    for name in [
        "heap",
        "allocs",
        "block",
        "mutex",
        "goroutine",
        "threadcreate",
    ] {
        let reply = get(addr, &format!("/debug/pprof/{name}"));
        reply.assert_attachment(name);
        let profile = reply.profile();
        assert!(!profile.sample.is_empty(), "{name} has samples");
    }
    let heap = get(addr, "/debug/pprof/heap?gc=1").profile();
    assert_eq!(heap.sample_type[3].ty, "inuse_space");
    let mutex = get(addr, "/debug/pprof/mutex").profile();
    assert_eq!(mutex.sample_type[1].ty, "delay");

    let texts = [
        ("heap?debug=1", "heap profile: "),
        ("allocs?debug=1", "heap profile: "),
        ("block?debug=1", "--- contention:\n"),
        ("mutex?debug=1", "--- mutex:\n"),
        ("goroutine?debug=1", "goroutine profile: total "),
        ("goroutine?debug=2", "thread "),
        ("threads?debug=1", "goroutine profile: total "),
        ("threadcreate?debug=1", "threadcreate profile: total "),
        (
            "http_endpoints.sessions?debug=1",
            "http_endpoints.sessions profile: total 1\n",
        ),
    ];
    for (path, start) in texts {
        let reply = get(addr, &format!("/debug/pprof/{path}"));
        assert_eq!(reply.status, 200, "{path}");
        assert_eq!(
            reply.header("content-type"),
            Some("text/plain; charset=utf-8")
        );
        assert_eq!(reply.header("content-disposition"), None);
        assert!(reply.text().starts_with(start), "{path}:\n{}", reply.text());
    }
    let custom = get(addr, "/debug/pprof/http_endpoints.sessions");
    custom.assert_attachment("http_endpoints.sessions");
    assert_eq!(custom.profile().sample[0].value, [1]);
}

#[test]
fn bad_requests_get_go_status_codes_and_texts() {
    let addr = server();
    let bad_seconds = r#"invalid value for "seconds" - must be a positive integer"#;
    let cases = [
        ("/debug/pprof/nope", 404, "Unknown profile"),
        ("/debug/pprof/heap/", 404, "Unknown profile"),
        ("/debug/pprof/%zz", 404, "Unknown profile"),
        ("/debug/pprof/../../etc/passwd", 404, "Unknown profile"),
        ("/debug/pprof/heap?seconds=abc", 400, bad_seconds),
        ("/debug/pprof/heap?seconds=-1", 400, bad_seconds),
        ("/debug/pprof/heap?seconds=0", 400, bad_seconds),
        ("/debug/pprof/heap?seconds=1.5", 400, bad_seconds),
        (
            "/debug/pprof/heap?seconds=1&debug=1",
            400,
            "seconds and debug params are incompatible",
        ),
        (
            "/debug/pprof/http_endpoints.sessions?seconds=1",
            400,
            r#""seconds" parameter is not supported for this profile type"#,
        ),
        (
            "/debug/pprof/heap?seconds=301",
            400,
            "profile duration exceeds the server's maximum of 300 seconds",
        ),
        (
            "/debug/pprof/goroutine?seconds=99999999999999999999999",
            400,
            "profile duration exceeds the server's maximum of 300 seconds",
        ),
        ("/debug/pprof/profile?seconds=-5", 400, bad_seconds),
        ("/debug/pprof/profile?seconds=ten", 400, bad_seconds),
        (
            "/debug/pprof/profile?seconds=86400",
            400,
            "profile duration exceeds the server's maximum of 300 seconds",
        ),
        (
            "/debug/pprof/heap?debug=x",
            400,
            r#"invalid value for "debug" - must be a non-negative integer"#,
        ),
    ];
    for (path, status, text) in cases {
        let reply = get(addr, path);
        assert_eq!(reply.status, status, "{path}: {}", reply.text());
        reply.assert_error(status, text);
    }
    let post = request(
        addr,
        &format!("POST /debug/pprof/heap HTTP/1.1\r\nHost: {addr}"),
        b"x",
    );
    post.assert_error(405, "Method Not Allowed");
    assert_eq!(post.header("allow"), Some("GET, HEAD"));
    // Another process's profile cannot be asked for: there is no such parameter, and the
    // answer is this process's.
    let cmdline = get(addr, "/debug/pprof/cmdline?pid=1");
    assert!(cmdline
        .text()
        .starts_with(&std::env::args().next().unwrap()));
}

#[test]
fn cmdline_and_symbol_answer_as_go_does() {
    let addr = server();
    let cmdline = get(addr, "/debug/pprof/cmdline");
    assert_eq!(cmdline.status, 200);
    assert_eq!(
        cmdline.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    let args: Vec<String> = std::env::args().collect();
    assert_eq!(cmdline.text(), args.join("\0"));

    let probe = get(addr, "/debug/pprof/symbol");
    assert_eq!(probe.status, 200);
    assert_eq!(probe.text(), "num_symbols: 1\n");

    let pc = symbol_target as fn(u64) -> u64 as usize as u64;
    assert_ne!(std::hint::black_box(symbol_target)(5), 0);
    let expected = format!("num_symbols: 1\n{pc:#x} http_endpoints::symbol_target\n");
    let by_get = get(addr, &format!("/debug/pprof/symbol?{pc:#x}+0x10+junk"));
    assert_eq!(by_get.text(), expected);
    let by_post = request(
        addr,
        &format!("POST /debug/pprof/symbol HTTP/1.1\r\nHost: {addr}"),
        format!("0x10+{pc}").as_bytes(),
    );
    assert_eq!(by_post.status, 200);
    assert_eq!(by_post.text(), expected);
}

/// A function for `symbol` to name: plain operators, so no inlined function claims its entry.
#[inline(never)]
fn symbol_target(x: u64) -> u64 {
    (x ^ 0x5eed_0002) | (x >> 9)
}

/// Allocates and keeps `MiB` MiB in 256 KiB blocks.
#[inline(never)]
fn http_delta_before_window(mib: usize) -> Vec<Vec<u8>> {
    let blocks: Vec<Vec<u8>> = (0..mib * 4).map(|i| vec![i as u8; 256 << 10]).collect();
    std::hint::black_box(blocks)
}

#[inline(never)]
fn http_delta_in_window(mib: usize) -> Vec<Vec<u8>> {
    let blocks: Vec<Vec<u8>> = (0..mib * 4).map(|i| vec![i as u8 ^ 7; 256 << 10]).collect();
    std::hint::black_box(blocks)
}

fn functions(profile: &Profile) -> Vec<String> {
    profile.function.iter().map(|f| f.name.clone()).collect()
}

#[test]
fn deltas_hold_only_what_happened_in_their_window() {
    let addr = server();
    let before = http_delta_before_window(16);
    let during = std::thread::spawn(|| {
        std::thread::sleep(Duration::from_millis(300));
        http_delta_in_window(16)
    });
    let started = Instant::now();
    let reply = get(addr, "/debug/pprof/allocs?seconds=1");
    assert!(started.elapsed() >= Duration::from_secs(1));
    reply.assert_attachment("allocs-delta");
    let delta = reply.profile();
    let names = functions(&delta);
    assert!(
        names.iter().any(|n| n.ends_with("http_delta_in_window")),
        "{names:?}"
    );
    assert!(
        !names
            .iter()
            .any(|n| n.ends_with("http_delta_before_window")),
        "{names:?}"
    );
    let duration = Duration::from_nanos(delta.duration_nanos as u64);
    assert!(
        duration >= Duration::from_millis(900) && duration < Duration::from_secs(10),
        "{duration:?}"
    );
    drop((before, during.join().unwrap()));
}

/// The known CPU-bound function of the CPU profile tests.
#[inline(never)]
fn http_cpu_spin(until: Instant) -> u64 {
    let mut x = 0x0123_4567_89ab_cdefu64;
    while Instant::now() < until {
        for _ in 0..1_000 {
            x = std::hint::black_box(x.rotate_left(5) ^ 0x3c3c_0003);
        }
    }
    x
}

#[test]
fn one_cpu_profile_at_a_time_and_the_second_gets_go_text() {
    let _turn = cpu_turn();
    let addr = server();
    let until = Instant::now() + Duration::from_millis(2500);
    let spinner = std::thread::spawn(move || http_cpu_spin(until));
    let first = std::thread::spawn(move || get(addr, "/debug/pprof/profile?seconds=2"));
    std::thread::sleep(Duration::from_millis(300));
    let second = get(addr, "/debug/pprof/profile?seconds=2");
    let first = first.join().unwrap();
    spinner.join().unwrap();
    second.assert_error(
        500,
        "Could not enable CPU profiling: cpu profiling already in use",
    );
    first.assert_attachment("profile");
    let profile = first.profile();
    assert_eq!(profile.sample_type[1].ty, "cpu");
    let names = functions(&profile);
    assert!(
        names.iter().any(|n| n.ends_with("http_cpu_spin")),
        "{names:?}"
    );
    let seconds = profile.duration_nanos as f64 / 1e9;
    assert!((1.9..4.0).contains(&seconds), "{seconds}");
}

#[test]
fn a_client_that_leaves_ends_its_cpu_profile() {
    let _turn = cpu_turn();
    let addr = server();
    let mut leaving = TcpStream::connect(addr).unwrap();
    write!(
        leaving,
        "GET /debug/pprof/profile?seconds=60 HTTP/1.1\r\nHost: {addr}\r\n\r\n"
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    drop(leaving);
    // The profiler is free again within moments, not after 60 s.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let reply = get(addr, "/debug/pprof/profile?seconds=1");
        if reply.status == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "still busy: {}", reply.text());
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[cfg(not(feature = "trace"))]
#[test]
fn without_the_tracer_traces_are_not_implemented() {
    get(server(), "/debug/pprof/trace?seconds=1").assert_error(
        501,
        "Could not enable tracing: this program was built without oxprof's trace feature",
    );
}

#[cfg(feature = "trace")]
#[test]
fn traces_are_streamed_one_at_a_time() {
    let addr = server();
    get(addr, "/debug/pprof/trace?seconds=0").assert_error(
        400,
        r#"invalid value for "seconds" - must be a positive number"#,
    );
    get(addr, "/debug/pprof/trace?seconds=301").assert_error(
        400,
        "profile duration exceeds the server's maximum of 300 seconds",
    );
    let first = std::thread::spawn(move || get(addr, "/debug/pprof/trace?seconds=1.5"));
    std::thread::sleep(Duration::from_millis(300));
    get(addr, "/debug/pprof/trace")
        .assert_error(500, "Could not enable tracing: tracing is already enabled");
    let region = std::thread::spawn(|| {
        oxprof::trace::with_region("http_endpoints_region", || {
            std::thread::sleep(Duration::from_millis(50))
        })
    });
    region.join().unwrap();
    let started = Instant::now();
    let trace = first.join().unwrap();
    assert!(started.elapsed() < Duration::from_secs(10));
    trace.assert_attachment("trace");
    assert_eq!(trace.header("content-length"), None, "streamed");
    let parsed = oxprof_trace::parse(&trace.body).expect("a trace");
    assert!(
        parsed.events.iter().any(|e| matches!(
            e.kind,
            oxprof_trace::EventKind::RegionBegin { name, .. }
                if parsed.str(name) == "http_endpoints_region"
        )),
        "the region traced while the endpoint recorded"
    );
    // The endpoint is free again once the trace is sent.
    assert_eq!(get(addr, "/debug/pprof/trace?seconds=0.1").status, 200);
}

#[test]
fn a_token_is_required_when_set() {
    let server = oxprof::http::serve_with(oxprof::http::Config {
        addr: ":0".into(),
        token: Some("s3cret".into()),
        ..Default::default()
    })
    .unwrap();
    let addr = server.local_addr();
    let denied = get(addr, "/debug/pprof/goroutine?debug=1");
    denied.assert_error(
        401,
        "unauthorized: send the server's token as \"Authorization: Bearer <token>\"",
    );
    assert_eq!(
        denied.header("www-authenticate"),
        Some("Bearer realm=\"oxprof\"")
    );
    let wrong = request(
        addr,
        &format!("GET /debug/pprof/ HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer s3cre"),
        b"",
    );
    assert_eq!(wrong.status, 401);
    let allowed = request(
        addr,
        &format!(
            "GET /debug/pprof/goroutine?debug=1 HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer s3cret"
        ),
        b"",
    );
    assert_eq!(allowed.status, 200);
    server.stop();
}

#[test]
fn loopback_servers_refuse_other_sites_host_names() {
    let addr = server();
    let rebound = request(
        addr,
        "GET /debug/pprof/cmdline HTTP/1.1\r\nHost: attacker.example:6060",
        b"",
    );
    assert_eq!(rebound.status, 403, "{}", rebound.text());
    assert!(rebound.text().contains("attacker.example"));
    let local = request(
        addr,
        "GET /debug/pprof/cmdline HTTP/1.1\r\nHost: localhost:6060",
        b"",
    );
    assert_eq!(local.status, 200);
}

#[test]
fn silent_clients_are_dropped_and_connections_are_bounded() {
    let server = oxprof::http::serve_with(oxprof::http::Config {
        addr: ":0".into(),
        max_connections: 2,
        io_timeout: Duration::from_millis(1500),
        ..Default::default()
    })
    .unwrap();
    let addr = server.local_addr();
    let started = Instant::now();
    let silent: Vec<TcpStream> = (0..2).map(|_| TcpStream::connect(addr).unwrap()).collect();
    // The third connection is accepted by the kernel, but the server takes it only when a
    // silent one is dropped, after io_timeout.
    let answer = get(addr, "/debug/pprof/cmdline");
    assert_eq!(answer.status, 200);
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(1400) && waited < Duration::from_secs(20),
        "{waited:?}"
    );
    for mut stream in silent {
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut rest = Vec::new();
        // Closed by the server: end of stream (or a reset), not a read timeout.
        match stream.read_to_end(&mut rest) {
            Ok(_) => {}
            Err(e) => assert_ne!(e.kind(), std::io::ErrorKind::WouldBlock, "{e}"),
        }
    }
    server.stop();
}

/// An axum service with its own `/work` route and the endpoints under `/debug/pprof`, mounted
/// with `nest` or `nest_service`.
fn axum_service(runtime: &tokio::runtime::Runtime, nest_service: bool) -> SocketAddr {
    let app = axum::Router::new().route(
        "/work",
        axum::routing::get(|| async {
            let sum: u64 = (0..20_000u64).map(|i| i ^ 0x77).sum();
            sum.to_string()
        }),
    );
    let app = if nest_service {
        app.nest_service("/debug/pprof", oxprof::http::router())
    } else {
        app.nest("/debug/pprof", oxprof::http::router())
    };
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        addr
    })
}

fn multi_thread_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn the_axum_router_serves_every_endpoint_where_it_is_nested() {
    workload();
    let runtime = multi_thread_runtime();
    for nest_service in [false, true] {
        let addr = axum_service(&runtime, nest_service);
        assert_eq!(get(addr, "/work").status, 200);
        let index = get(addr, "/debug/pprof");
        assert_eq!(index.status, 200);
        assert!(index.text().contains("<title>/debug/pprof</title>"));
        assert!(index
            .text()
            .contains("<a href='pprof/heap?debug=1'>heap</a>"));
        // axum's nest leaves the path with a slash to the outer router; nest_service takes it.
        let slash = get(addr, "/debug/pprof/");
        if nest_service {
            assert_eq!(slash.status, 200);
            assert!(slash.text().contains("<a href='heap?debug=1'>heap</a>"));
        } else {
            assert_eq!(slash.status, 404);
        }
        get(addr, "/debug/pprof/heap").assert_attachment("heap");
        let text = get(addr, "/debug/pprof/goroutine?debug=1");
        assert!(text.text().starts_with("goroutine profile: total "));
        get(addr, "/debug/pprof/nope").assert_error(404, "Unknown profile");
        get(addr, "/debug/pprof/heap?seconds=x").assert_error(
            400,
            r#"invalid value for "seconds" - must be a positive integer"#,
        );
        let symbol = request(
            addr,
            &format!("POST /debug/pprof/symbol HTTP/1.1\r\nHost: {addr}"),
            b"0x10",
        );
        assert_eq!(symbol.text(), "num_symbols: 1\n");
    }
}

/// Sends one GET on a new connection from a tokio task and reads the whole answer.
async fn get_async(addr: SocketAddr, path: &str) -> Reply {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    parse_reply(&raw)
}

#[test]
fn two_hundred_concurrent_profile_requests_are_all_answered_while_the_service_works() {
    workload();
    let runtime = multi_thread_runtime();
    let addr = axum_service(&runtime, false);
    runtime.block_on(async move {
        // The service's own traffic, one request at a time, for the whole test.
        let (stop_tx, mut stop_rx) = tokio::sync::oneshot::channel::<()>();
        let own = tokio::spawn(async move {
            let mut answered = 0u32;
            while stop_rx.try_recv().is_err() {
                let reply = get_async(addr, "/work").await;
                assert_eq!(reply.status, 200);
                answered += 1;
            }
            answered
        });
        let burst: Vec<_> = (0..200)
            .map(|i| {
                let path = if i % 2 == 0 {
                    "/debug/pprof/heap"
                } else {
                    "/debug/pprof/goroutine?debug=1"
                };
                tokio::spawn(async move { (path, get_async(addr, path).await) })
            })
            .collect();
        for task in burst {
            let (path, reply) = task.await.unwrap();
            assert_eq!(reply.status, 200, "{path}: {}", reply.text());
            if path.ends_with("heap") {
                assert!(!reply.profile().sample.is_empty());
            } else {
                assert!(reply.text().starts_with("goroutine profile: total "));
            }
        }
        stop_tx.send(()).unwrap();
        let answered = own.await.unwrap();
        assert!(answered > 0, "the service's own route went unanswered");
    });
}
