//! `oxprof -http`: the web UI's server from the outside. Each view's API with parameters, bad
//! parameters answered 400 with a message naming them, requests for another host refused,
//! saved configurations, the address rules and their errors, and the browser opened (or not).
//! The page itself is tested in Chromium by `web_browser`.

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Duration,
};

use serde_json::Value;

use crate::{scratch, testdata};

/// A running `oxprof -http`, killed when dropped.
pub(crate) struct Server {
    child: Child,
    /// The page's address as the server printed it.
    pub url: String,
    /// `host:port` of the server.
    pub authority: String,
    /// Its `$XDG_CONFIG_HOME`.
    pub config_home: PathBuf,
}

impl Server {
    /// Starts `oxprof -http=:0 -no_browser args...` and waits for its address.
    pub(crate) fn start(args: &[&str]) -> Server {
        Server::start_with("-http=:0", args, &[])
    }

    /// Starts `oxprof http -no_browser args...` with `env` and waits for its address.
    pub(crate) fn start_with(http: &str, args: &[&str], env: &[(&str, &Path)]) -> Server {
        let mut all = vec![http];
        all.extend_from_slice(args);
        Server::spawn(&all, env)
    }

    /// Starts `oxprof args... -no_browser` (unless `env` sets `BROWSER`) with `env` and waits
    /// for the address it serves on.
    pub(crate) fn spawn(args: &[&str], env: &[(&str, &Path)]) -> Server {
        let dir = scratch("web");
        let config_home = dir.join("config");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_oxprof"));
        cmd.args(args)
            .env("XDG_CONFIG_HOME", &config_home)
            .env("OXPROF_TMPDIR", &dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if !env.iter().any(|(k, _)| *k == "BROWSER") {
            cmd.arg("-no_browser");
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("run oxprof");
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let url = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(url) = line.strip_prefix("Serving web UI on ") {
                        break url.to_string();
                    }
                }
                _ => panic!("oxprof -http ended without serving"),
            }
        };
        // The rest of its standard error is read so that it never blocks writing it.
        std::thread::spawn(move || lines.for_each(drop));
        let authority = url
            .trim_start_matches("http://")
            .split('/')
            .next()
            .unwrap()
            .to_string();
        Server {
            child,
            url,
            authority,
            config_home,
        }
    }

    /// Sends a request with `Host: host` and returns the status, headers and body.
    pub(crate) fn raw(
        &self,
        method: &str,
        target: &str,
        host: &str,
        extra: &str,
        body: &str,
    ) -> (u16, String, Vec<u8>) {
        let mut stream = TcpStream::connect(&self.authority).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        write!(
            stream,
            "{method} {target} HTTP/1.1\r\nHost: {host}\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut reply = Vec::new();
        stream.read_to_end(&mut reply).expect("read the answer");
        let split = reply
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a header");
        let head = String::from_utf8(reply[..split].to_vec()).unwrap();
        let status = head.split(' ').nth(1).unwrap().parse().unwrap();
        (status, head, reply[split + 4..].to_vec())
    }

    /// `GET target` as a browser on this machine sends it: status and JSON body.
    pub(crate) fn get(&self, target: &str) -> (u16, Value) {
        self.json("GET", target, "")
    }

    fn json(&self, method: &str, target: &str, body: &str) -> (u16, Value) {
        let (status, _, body) = self.raw(method, target, &self.authority, "", body);
        let value = serde_json::from_slice(&body)
            .unwrap_or_else(|e| panic!("{target}: {e}: {}", String::from_utf8_lossy(&body)));
        (status, value)
    }

    /// `GET target`, which must succeed.
    pub(crate) fn ok(&self, target: &str) -> Value {
        let (status, value) = self.get(target);
        assert_eq!(status, 200, "{target}: {value}");
        value
    }

    /// `GET target`, which must fail with `status`; its error message.
    pub(crate) fn error(&self, target: &str, status: u16) -> String {
        let (got, value) = self.get(target);
        assert_eq!(got, status, "{target}: {value}");
        value["error"]
            .as_str()
            .expect("an error message")
            .to_string()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A frame of a flame graph answer: (name, parent index, value, self value).
fn frames(flame: &Value) -> Vec<(String, usize, i64, i64)> {
    let names = flame["names"].as_array().unwrap();
    flame["frames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let name = names[f[0].as_u64().unwrap() as usize].as_str().unwrap();
            let n = |i: usize| f[i].as_i64().unwrap();
            (name.to_string(), n(1) as usize, n(2), n(3))
        })
        .collect()
}

#[test]
fn every_view_answers_with_its_parameters() {
    let server = Server::start(&[&testdata("go/cpu.pprof")]);

    let meta = server.ok("/api/meta");
    assert_eq!(
        meta["sample_types"],
        serde_json::json!([["samples", "count"], ["cpu", "nanoseconds"]])
    );
    assert_eq!(meta["default_sample"], 1);
    assert_eq!(meta["total"], 5_740_000_000i64);
    assert_eq!(meta["tags"], serde_json::json!([]));

    // The flame graph: the root holds every sample; zooming keeps the chain above the frame.
    let flame = server.ok("/api/flame");
    let f = frames(&flame);
    assert_eq!((f[0].0.as_str(), f[0].2), ("root", 5_740_000_000));
    assert_eq!(flame["zoom"], 0);
    assert_eq!(flame["min_value"], 5_740_000);
    let hot: i64 = f.iter().filter(|x| x.0 == "main.hot").map(|x| x.3).sum();
    assert_eq!(hot, 2_280_000_000, "main.hot's self time, as top gives it");
    let zoomed = server.ok("/api/flame?path=main.main.func1&path=main.mapHeavy");
    let z = frames(&zoomed);
    assert_eq!(zoomed["zoom"], 2);
    assert_eq!(
        (z[2].0.as_str(), z[2].2, z[1].1, z[2].1),
        ("main.mapHeavy", 3_110_000_000, 0, 1)
    );
    assert!(z[3..].iter().all(|x| x.1 >= 2), "only the zoomed subtree");
    // Another sample type, another total.
    let count = server.ok("/api/flame?sample_index=samples");
    assert_eq!(frames(&count)[0].2, 574);
    assert_eq!(count["unit"], "count");

    // Top, filtered: the header names the filter; percentages still refer to the whole.
    let top = server.ok("/api/top?focus=mapHeavy&hide=runtime%5C.memhash");
    let rows = top["rows"].as_array().unwrap();
    assert_eq!(rows[0][0], "runtime.mapassign_fast64");
    assert!(rows
        .iter()
        .all(|r| r[0] != "main.hot" && r[0] != "runtime.memhash64"));
    assert_eq!(top["total"], 5_740_000_000i64);
    let labels = top["labels"].to_string();
    assert!(labels.contains("focus=mapHeavy") && labels.contains("hide=runtime\\\\.memhash"));
    let lines = server.ok("/api/top?granularity=lines&nodecount=3");
    let rows = lines["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert!(rows[0][0]
        .as_str()
        .unwrap()
        .starts_with("main.hot cpuhot/main.go:"));

    // The call graph, as -web draws it.
    let graph = server.ok("/api/graph?nodecount=10");
    let svg = graph["svg"].as_str().unwrap();
    assert!(svg.contains("<svg") && svg.contains("main.hot (2.30s)"));

    // Peek, Source and Disassembly show the functions `re` names.
    let peek = server.ok("/api/peek?re=%5Emain%5C.mapHeavy%24");
    let text = peek["text"].as_str().unwrap();
    assert!(text.contains("| main.mapHeavy\n") && text.contains("|   runtime.mapassign_fast64\n"));
    let source = server.ok("/api/source?re=main%5C.mapHeavy");
    assert_eq!(source["functions"][0]["name"], "main.mapHeavy");
    assert_eq!(source["functions"][0]["cum"], 3_110_000_000i64);
    let disasm = server.error("/api/disasm?re=main%5C.hot", 400);
    assert!(
        disasm.starts_with("no object file found for mapping /tmp/anc/bin/cpuhot"),
        "{disasm}"
    );

    // Notes from filters come along.
    let none = server.ok("/api/top?ignore=no_such_function");
    assert_eq!(
        none["notes"],
        serde_json::json!(["Ignore expression matched no samples"])
    );
}

#[test]
fn bad_parameters_are_400_with_a_message() {
    let server = Server::start(&[&testdata("go/cpu.pprof")]);
    let cases = [
        ("/api/top?output=x", "unknown parameter \"output\""),
        (
            "/api/top?focus=(",
            "parsing focus regexp \"(\": unclosed group",
        ),
        (
            "/api/flame?sample_index=nosuch",
            "sample_index \"nosuch\" not found; choose one of samples, cpu",
        ),
        (
            "/api/top?nodecount=x",
            "invalid integer value \"x\" for nodecount",
        ),
        (
            "/api/top?granularity=atoms",
            "unrecognized value for granularity: \"atoms\". Use one of addresses, filefunctions, files, functions, lines",
        ),
        (
            "/api/peek",
            "Peek needs functions: select one, or search for a regexp",
        ),
        (
            "/api/peek?re=nothing.matches",
            "no matches found for regexp: nothing.matches",
        ),
        (
            "/api/source?re=(",
            "parsing argument regexp (: unclosed group",
        ),
        (
            "/api/flame?mean=true",
            "mean does not apply to a flame graph: a flame graph adds frames up, and means do not add up",
        ),
        ("/api/top?view=pie", "unknown view \"pie\": use one of flame, top, graph, peek, source, disasm"),
        ("/api/top?focus=%GG", "bad escape in query \"%GG\""),
    ];
    for (target, want) in cases {
        assert_eq!(server.error(target, 400), want, "{target}");
    }
    assert_eq!(server.error("/api/nosuch", 404), "no page at /api/nosuch");
    let (status, value) = server.json("POST", "/api/top", "");
    assert_eq!(
        (status, value["error"].as_str().unwrap()),
        (405, "POST is not allowed on /api/top")
    );
}

#[test]
fn pages_and_assets_are_served_and_answers_compressed() {
    let server = Server::start(&[&testdata("go/cpu.pprof")]);
    let host = server.authority.clone();
    let (status, head, page) = server.raw("GET", "/", &host, "", "");
    assert_eq!(status, 200);
    assert!(head.contains("Content-Type: text/html"));
    let page = String::from_utf8(page).unwrap();
    assert!(page.contains("<script src=\"app.js\">"));
    for (asset, kind) in [("/app.js", "text/javascript"), ("/app.css", "text/css")] {
        let (status, head, body) = server.raw("GET", asset, &host, "", "");
        assert_eq!(status, 200, "{asset}");
        assert!(head.contains(kind) && !body.is_empty(), "{asset}");
    }
    let (status, head, body) =
        server.raw("GET", "/api/flame", &host, "Accept-Encoding: gzip\r\n", "");
    assert_eq!(status, 200);
    assert!(head.contains("Content-Encoding: gzip"), "{head}");
    let mut json = String::new();
    flate2::read::GzDecoder::new(&body[..])
        .read_to_string(&mut json)
        .unwrap();
    assert!(json.contains("\"main.hot\""));
}

#[test]
fn without_a_host_other_hosts_are_refused() {
    let server = Server::start(&[&testdata("go/cpu.pprof")]);
    assert!(
        server.url.starts_with("http://127.0.0.1:"),
        "{}",
        server.url
    );
    for host in ["evil.example", "evil.example:80", "10.0.0.1"] {
        let (status, _, body) = server.raw("GET", "/api/top", host, "", "");
        assert_eq!(status, 403, "{host}");
        assert!(String::from_utf8_lossy(&body).contains("only answers requests for localhost"));
    }
    let port = server.authority.rsplit(':').next().unwrap();
    for host in [format!("localhost:{port}"), format!("127.0.0.1:{port}")] {
        assert_eq!(server.raw("GET", "/", &host, "", "").0, 200, "{host}");
    }
    // Bound as told to every interface, any host is served (a loopback host, as without one,
    // serves only localhost).
    let open = Server::start_with("-http=0.0.0.0:0", &[&testdata("go/cpu.pprof")], &[]);
    assert!(open.url.starts_with("http://localhost:"), "{}", open.url);
    assert_eq!(open.raw("GET", "/api/meta", "evil.example", "", "").0, 200);
}

#[test]
fn configurations_are_saved_listed_and_deleted() {
    let server = Server::start(&[&testdata("go/cpu.pprof")]);
    assert_eq!(
        server.ok("/api/configs"),
        serde_json::json!({"configs": []})
    );
    let saved = r#"{"name": "hot only", "params": {"view": "top", "focus": "main\\.hot"}}"#;
    let (status, list) = server.json("POST", "/api/configs", saved);
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["configs"][0]["name"], "hot only");
    assert_eq!(list["configs"][0]["params"]["focus"], "main\\.hot");
    let file = server.config_home.join("oxprof/settings.json");
    let on_disk: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(on_disk, list);
    // What is saved must be what a view takes.
    let (status, err) = server.json(
        "POST",
        "/api/configs",
        r#"{"name": "x", "params": {"output": "/etc/passwd"}}"#,
    );
    assert_eq!(
        (status, err["error"].as_str().unwrap()),
        (400, "unknown parameter \"output\"")
    );
    let (status, err) = server.json("POST", "/api/configs", "{");
    assert_eq!(status, 400);
    assert!(err["error"]
        .as_str()
        .unwrap()
        .starts_with("the configuration is not JSON"));
    // Another site's page cannot change them; this server's page can.
    let host = server.authority.clone();
    let (status, _, body) = server.raw(
        "DELETE",
        "/api/configs?name=hot+only",
        &host,
        "Origin: http://evil.example\r\n",
        "",
    );
    assert_eq!(status, 403, "{}", String::from_utf8_lossy(&body));
    assert!(String::from_utf8_lossy(&body).contains("only taken from this server's own page"));
    let own = format!("Origin: http://{host}\r\n");
    let (status, _, _) = server.raw("POST", "/api/configs", &host, &own, saved);
    assert_eq!(status, 200);
    let (status, list) = server.json("DELETE", "/api/configs?name=hot+only", "");
    assert_eq!((status, list), (200, serde_json::json!({"configs": []})));
    let (status, err) = server.json("DELETE", "/api/configs?name=hot+only", "");
    assert_eq!(
        (status, err["error"].as_str().unwrap()),
        (404, "no configuration called \"hot only\"")
    );
}

#[test]
fn tags_are_offered_and_filter() {
    let server = Server::start(&[&testdata("go/heap.pprof")]);
    let meta = server.ok("/api/meta");
    let bytes = &meta["tags"][0];
    assert_eq!(
        (&bytes["key"], &bytes["numeric"]),
        (&Value::from("bytes"), &Value::from(true))
    );
    assert_eq!(bytes["values"][0][0], "64kB");
    let all = server.ok("/api/flame");
    let focused = server.ok("/api/flame?tagfocus=bytes%3D64kB");
    assert_eq!(
        focused["notes"],
        serde_json::json!(["tagfocus:Interpreted '64kB' as range, not regexp"])
    );
    let (all, some) = (frames(&all)[0].2, frames(&focused)[0].2);
    assert_eq!(some, 11_154_769, "10.64MB of inuse_space in 64kB objects");
    assert!(some < all);
    let ignored = server.ok("/api/flame?tagignore=bytes%3D64kB");
    assert_eq!(frames(&ignored)[0].2, all - some);
}

#[test]
fn a_comparison_gives_a_differential_flame_graph() {
    let dir = scratch("web-diff");
    let (before, after) = (dir.join("before.folded"), dir.join("after.folded"));
    std::fs::write(&before, "main;grew 2\nmain;shrank 5\n").unwrap();
    std::fs::write(&after, "main;grew 6\nmain;shrank 1\n").unwrap();
    let base = format!("-diff_base={}", before.display());
    let server = Server::start(&[&base, after.to_str().unwrap()]);
    let flame = server.ok("/api/flame");
    assert_eq!(flame["diff"], true);
    let names = flame["names"].as_array().unwrap();
    let rows: Vec<(String, Vec<i64>)> = flame["frames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let name = names[f[0].as_u64().unwrap() as usize].as_str().unwrap();
            let values = f.as_array().unwrap()[2..]
                .iter()
                .map(|v| v.as_i64().unwrap())
                .collect();
            (name.to_string(), values)
        })
        .collect();
    // [value, self, inline, base, base self]: sized by the new profile, with the base's values.
    assert_eq!(
        rows,
        [
            ("root".to_string(), vec![7, 0, 0, 7, 0]),
            ("main".to_string(), vec![7, 0, 0, 7, 0]),
            ("grew".to_string(), vec![6, 6, 0, 2, 2]),
            ("shrank".to_string(), vec![1, 1, 0, 5, 5]),
        ]
    );
}

#[test]
fn the_command_line_gives_the_first_state_and_opens_the_browser() {
    let dir = scratch("web-browser");
    let record = dir.join("opened");
    let browser = dir.join("browser.sh");
    std::fs::write(
        &browser,
        format!("#!/bin/sh\necho \"$1\" > {}\n", record.display()),
    )
    .unwrap();
    std::fs::set_permissions(
        &browser,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let server = Server::start_with(
        "-http=:0",
        &["-focus=main\\.hot", "-lines", &testdata("go/cpu.pprof")],
        &[("BROWSER", &browser)],
    );
    assert!(
        server
            .url
            .ends_with("/?focus=main%5C.hot&granularity=lines"),
        "{}",
        server.url
    );
    let mut opened = String::new();
    for _ in 0..500 {
        opened = std::fs::read_to_string(&record).unwrap_or_default();
        if !opened.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(opened.trim(), server.url);
}

#[test]
fn bad_addresses_and_busy_ports_fail_at_once() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let cpu = testdata("go/cpu.pprof");
    let busy = format!("-http=:{port}");
    let cases: [(&[&str], String); 4] = [
        (
            &[&busy, &cpu],
            format!("oxprof: cannot serve on 127.0.0.1:{port}: the port is in use (choose another with -http=:PORT, or :0 for any free port)\n"),
        ),
        (
            &["-http=8080", &cpu],
            "oxprof: -http=8080: want host:port, such as :8080, localhost:8080 or 0.0.0.0:8080\n".into(),
        ),
        (
            &["-http=:99999", &cpu],
            "oxprof: -http=:99999: port \"99999\" is not a number from 0 to 65535\n".into(),
        ),
        (
            &["-http=:0", "-top", &cpu],
            "oxprof: -http cannot be combined with an output format\n".into(),
        ),
    ];
    for (args, want) in cases {
        let out = crate::run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(crate::stderr(&out), want, "{args:?}");
    }
}
