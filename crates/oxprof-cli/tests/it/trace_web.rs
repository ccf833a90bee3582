//! `oxprof trace FILE`'s web UI from the outside, on a trace made with the encoder whose every
//! duration is known: the window API (lanes, exact slices, merging, bad parameters as 400s with
//! one line), slice details with the wait's stack and its releaser, the breakdown and latency
//! numbers to the nanosecond, the blocking and region CPU profiles served to the analyzer and
//! as pprof, and a bad file as a one-line error. The page itself is driven in Chromium by
//! `trace_browser`.

use std::path::{Path, PathBuf};

use oxprof_trace::encode::{Events, GenerationEncoder};
use serde_json::Value;

use crate::{run, scratch, stderr, web::Server};

/// Threads of the small trace.
pub(crate) const MAIN: u64 = 11;
pub(crate) const WORKER: u64 = 12;
pub(crate) const TICKER: u64 = 13;

/// A trace of three threads whose timings are all known (ns from the start):
/// - main (11) from 500: task 1 "request" begins at 1000; region "handle" 1000..5000 (task 1);
///   a log at 1500; it releases 0xabc at 3000 (release 7);
/// - worker (12) from 600 to 30000: "outer" 2000..9000 and inside it "inner" 2500..4000
///   (task 1), inside that a wait on 0xabc 2600..3500 ended by release 7; it ends task 1 at
///   20000;
/// - ticker (13): regions "tick" of 100, 200 and 400 ns at 10000, 11000 and 12000;
/// - the process: CPU samples of the worker at 2550, 3800 and 8000 and of the ticker at 10050;
///   the worker's CPU time (0 at 0, 25000 at 50000); heap live bytes 4096 then 8192.
///
/// The trace ends at 100000.
pub(crate) fn small_trace(dir: &Path) -> PathBuf {
    let mut g = GenerationEncoder::new(1, 0, 1_700_000_000_000_000_000);
    g.strings(MAIN, [(1, "request"), (2, "handle"), (3, "step")]);
    g.strings(
        WORKER,
        [(1, "request"), (2, "outer"), (3, "inner"), (4, "sync")],
    );
    g.strings(TICKER, [(1, "tick")]);
    g.strings(
        0,
        [
            (1, "heap live bytes"),
            (2, "app::wait_here"),
            (3, "app::release"),
            (4, "app::compute"),
            (5, "src/app.rs"),
        ],
    );
    g.stacks(WORKER, [(1, &[0x1000u64][..])]);
    g.stacks(MAIN, [(1, &[0x2000u64][..])]);
    g.stacks(0, [(1, &[0x3000u64, 0x1000][..])]);
    g.symbols([
        (0x1000, &[(2, 5, 10)][..]),
        (0x2000, &[(3, 5, 20)][..]),
        (0x3000, &[(4, 5, 30)][..]),
    ]);
    g.threads([(MAIN, "main"), (WORKER, "worker"), (TICKER, "ticker")]);

    let mut main = Events::new(0);
    main.thread_start(500);
    main.task_begin(1000, 1, 0, 1);
    main.region_begin(1000, 1, 2);
    main.log(1500, 1, 3, "start");
    main.unblock(3000, 0xabc, 7, 1);
    main.region_end(5000, 1, 2);
    g.events(MAIN, &main);

    let mut worker = Events::new(0);
    worker.thread_start(600);
    worker.region_begin(2000, 1, 2);
    worker.region_begin(2500, 1, 3);
    worker.wait(3500, 2600, 4, 0xabc, 7, 1);
    worker.region_end(4000, 1, 3);
    worker.region_end(9000, 1, 2);
    worker.task_end(20_000, 1);
    worker.thread_end(30_000);
    g.events(WORKER, &worker);

    let mut ticker = Events::new(0);
    for (start, len) in [(10_000, 100), (11_000, 200), (12_000, 400)] {
        ticker.region_begin(start, 0, 1);
        ticker.region_end(start + len, 0, 1);
    }
    g.events(TICKER, &ticker);

    let mut process = Events::new(0);
    process.thread_cpu(0, WORKER, 0);
    process.counter(1000, 1, 4096);
    process.cpu_sample(2550, WORKER, 1);
    process.cpu_sample(3800, WORKER, 1);
    process.cpu_sample(8000, WORKER, 1);
    process.cpu_sample(10_050, TICKER, 1);
    process.counter(50_000, 1, 8192);
    process.thread_cpu(50_000, WORKER, 25_000);
    g.events(0, &process);

    let mut file = oxprof_trace::wire::MAGIC.to_vec();
    file.extend(g.finish(100_000));
    let path = dir.join("small.trace");
    std::fs::write(&path, file).unwrap();
    path
}

/// `oxprof trace -http=:0 FILE` on the small trace.
pub(crate) fn serve_small() -> Server {
    let path = small_trace(&scratch("trace-web"));
    Server::spawn(&["trace", "-http=:0", path.to_str().unwrap()], &[])
}

fn ok(server: &Server, target: &str) -> Value {
    let (status, value) = server.get(target);
    assert_eq!(status, 200, "{target}: {value}");
    value
}

/// The items of a window's lane as (name, start, end, depth, count).
fn items(w: &Value, lane: usize) -> Vec<(String, u64, u64, u64, u64)> {
    let names = &w["names"];
    w["lanes"][lane]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let name = names[i[7].as_u64().unwrap().to_string()]
                .as_str()
                .unwrap()
                .to_owned();
            (
                name,
                i[0].as_u64().unwrap(),
                i[1].as_u64().unwrap(),
                i[2].as_u64().unwrap(),
                i[4].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn the_window_api_answers_lanes_slices_flows_and_counters() {
    let server = serve_small();
    let meta = ok(&server, "/api/meta");
    assert_eq!(meta["duration"], 100_000);
    let threads: Vec<(u64, &str)> = meta["threads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["tid"].as_u64().unwrap(), t["name"].as_str().unwrap()))
        .collect();
    assert_eq!(
        threads,
        [(MAIN, "main"), (WORKER, "worker"), (TICKER, "ticker")]
    );
    assert_eq!(meta["counters"], serde_json::json!(["heap live bytes"]));
    assert_eq!(meta["samples"], 4);

    let w = ok(&server, "/api/window?from=0&to=100000&width=1000");
    assert_eq!(w["resolution"], 100);
    assert_eq!(
        items(&w, 1),
        [
            ("outer".to_owned(), 2000, 9000, 0, 1),
            ("inner".to_owned(), 2500, 4000, 1, 1),
            ("sync".to_owned(), 2600, 3500, 2, 1),
        ]
    );
    // The flow from main's release at 3000 to the worker's wait (depth 2) ending at 3500.
    assert_eq!(w["flows"], serde_json::json!([[0, 3000, 1, 3500, 2]]));
    assert_eq!(w["tasks"][0].as_array().unwrap()[..3], [1000, 20000, 0]);
    assert_eq!(w["lanes"][0]["logs"][0].as_array().unwrap()[..2], [1500, 1]);
    assert_eq!(
        w["counters"][0],
        serde_json::json!([[1000, 4096, 4096], [50000, 8192, 8192]])
    );
    // At 1000 ns per pixel the ticks (100..400 ns, 1 us apart) merge into one item.
    let w = ok(&server, "/api/window?from=0&to=100000&width=100");
    assert_eq!(items(&w, 2), [("tick".to_owned(), 10_000, 12_400, 0, 3)]);
    assert_eq!(
        w["lanes"][2]["items"][0][5], 700,
        "busy time of the merged ticks"
    );
    // Zoomed in: only what overlaps the window.
    let w = ok(&server, "/api/window?from=3000&to=3400&width=400");
    assert_eq!(items(&w, 1).len(), 3);
    assert_eq!(items(&w, 2).len(), 0);
}

#[test]
fn bad_window_parameters_are_400s_with_one_line() {
    let server = serve_small();
    for (target, message) in [
        ("/api/window?from=10&to=10", "from=10 is not before to=10"),
        (
            "/api/window?from=abc",
            "from=abc: want a whole number (nanoseconds, pixels or an index)",
        ),
        (
            "/api/window?from=-5&to=10",
            "from=-5: want a whole number (nanoseconds, pixels or an index)",
        ),
        (
            "/api/window?from=0&to=100&width=0",
            "width=0: want 1 to 100000 pixels",
        ),
        (
            "/api/window?from=200000&to=300000",
            "from=200000 is past the trace's end (100000 ns)",
        ),
        ("/api/window?from=%zz", "bad escape in query \"%zz\""),
        ("/api/slice?lane=9&index=0", "no slice 0 on lane 9"),
        ("/api/slice?lane=0", "give index="),
        ("/api/nothing", "no page at /api/nothing"),
        (
            "/profile/heap/x/",
            "no profile \"heap/x\": use wait/REASON, wait/all or cpu/REGION",
        ),
    ] {
        let (status, value) = server.get(target);
        let expected = if target.contains("slice?lane=9")
            || target.contains("nothing")
            || target.contains("heap")
        {
            404
        } else {
            400
        };
        assert_eq!(status, expected, "{target}: {value}");
        assert_eq!(value["error"], message, "{target}");
        assert!(!message.contains('\n'));
    }
}

#[test]
fn details_of_a_wait_name_its_stack_task_and_releaser() {
    let server = serve_small();
    let w = ok(&server, "/api/window?from=0&to=100000&width=1000");
    let wait = &w["lanes"][1]["items"][2];
    let d = ok(
        &server,
        &format!("/api/slice?lane=1&index={}", wait[3].as_u64().unwrap()),
    );
    assert_eq!(d["kind"], "wait");
    assert_eq!(d["name"], "sync");
    assert_eq!(
        (d["start"].as_u64(), d["duration"].as_u64()),
        (Some(2600), Some(900))
    );
    assert_eq!(d["thread"], "worker");
    assert_eq!(d["object"], "0xabc");
    assert_eq!(d["stack"], serde_json::json!(["app::wait_here"]));
    assert_eq!(d["regions_around"], serde_json::json!(["inner", "outer"]));
    assert_eq!(d["task"]["name"], "request");
    assert_eq!(d["released_by"]["tid"], MAIN);
    assert_eq!(d["released_by"]["time"], 3000);
    assert_eq!(d["released_by"]["woken_for"], 500);
    assert_eq!(
        d["released_by"]["stack"],
        serde_json::json!(["app::release"])
    );
}

#[test]
fn breakdown_and_latency_numbers_are_exact() {
    let server = serve_small();
    let s = ok(&server, "/api/summary");
    let worker = &s["threads"][1];
    assert_eq!(worker["tid"], WORKER);
    // Alive 600..30000; outer 7000 of which inner 1500 of which the wait 900: 400 blocked
    // and 500 from the release to the wait's end.
    for (field, value) in [
        ("alive", 29_400),
        ("in_regions", 6100),
        ("outside", 22_400),
        ("blocked", 400),
        ("runnable", 500),
        ("on_cpu", 25_000),
    ] {
        assert_eq!(worker[field], value, "worker {field}");
    }
    assert_eq!(
        worker["waits"],
        serde_json::json!([["sync", "0xabc", 1, 400, 500]])
    );
    assert_eq!(s["threads"][0]["in_regions"], 4000);
    assert_eq!(s["threads"][0]["on_cpu"], Value::Null);
    assert_eq!(s["threads"][2]["alive"], 100_000);
    // Task 1: 19000 ns; in its regions (handle 4000, outer and inner 8500 less the wait 900).
    assert_eq!(
        s["tasks"],
        serde_json::json!([[1, "request", 19_000, 10_100, 400, 500, 3]])
    );
    let regions: Vec<&Value> = s["regions"].as_array().unwrap().iter().collect();
    assert_eq!(regions[0], &serde_json::json!(["outer", 1, 7000, 5500]));

    // A range: 2000..3000 cuts outer, inner and the wait.
    let s = ok(&server, "/api/summary?from=2000&to=3000");
    let worker = &s["threads"][1];
    assert_eq!(
        (&worker["alive"], &worker["in_regions"], &worker["blocked"]),
        (
            &serde_json::json!(1000),
            &serde_json::json!(600),
            &serde_json::json!(400)
        )
    );

    let l = ok(&server, "/api/latency");
    let find = |of: &str, name: &str| {
        l["latencies"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["of"] == of && x["name"] == name)
            .unwrap_or_else(|| panic!("{of} {name} in {l}"))
            .clone()
    };
    let tick = find("region", "tick");
    assert_eq!(
        (
            &tick["count"],
            &tick["p50"],
            &tick["p90"],
            &tick["p99"],
            &tick["max"]
        ),
        (
            &serde_json::json!(3),
            &serde_json::json!(200),
            &serde_json::json!(400),
            &serde_json::json!(400),
            &serde_json::json!(400)
        )
    );
    assert_eq!(tick["buckets"], serde_json::json!([[100, 1], [200, 2]]));
    assert_eq!(find("task", "request")["p50"], 19_000);
    assert_eq!(
        find("region", "handle")["buckets"],
        serde_json::json!([[2000, 1]])
    );
}

#[test]
fn blocking_and_region_cpu_profiles_open_in_the_analyzer() {
    let server = serve_small();
    // The analyzer's page and its API under /profile/wait/all/.
    let (status, _, page) = server.raw("GET", "/profile/wait/all/", &server.authority, "", "");
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&page).contains("<nav id=\"views\">"));
    let top = ok(&server, "/profile/wait/all/api/top?sample_index=delay");
    let rows = top["rows"].as_array().unwrap();
    assert_eq!(rows[0][0], "app::wait_here");
    assert_eq!(rows[0][1], 900);
    let top = ok(&server, "/profile/wait/sync/api/top");
    assert_eq!(top["rows"][0][0], "app::wait_here");
    let (status, value) = server.get("/profile/wait/chan%20send/api/top");
    assert_eq!(
        (status, value["error"].as_str()),
        (404, Some("the trace has no waits for chan send"))
    );
    // CPU samples inside "inner" (2 of the worker's), "outer" (3), "tick" (1).
    for (region, samples) in [("inner", 2), ("outer", 3), ("tick", 1)] {
        let top = ok(&server, &format!("/profile/cpu/{region}/api/top"));
        assert_eq!(top["total"], samples, "{region}");
        assert_eq!(top["rows"][0][0], "app::compute", "{region}");
    }
    // The same as pprof to download, read back.
    let (status, _, body) = server.raw("GET", "/pprof/cpu/outer.pb.gz", &server.authority, "", "");
    assert_eq!(status, 200);
    let profile = oxprof_profile::Profile::parse(&body).unwrap();
    assert_eq!(profile.sample_type[0].ty, "samples");
    assert_eq!(profile.sample.iter().map(|s| s.value[0]).sum::<i64>(), 3);
    assert_eq!(profile.sample[0].label[0].key, "thread");
}

#[test]
fn a_bad_file_is_a_one_line_error() {
    let dir = scratch("trace-web-bad");
    let junk = dir.join("junk.trace");
    std::fs::write(&junk, b"not a trace at all, no magic here").unwrap();
    for (file, start) in [
        (
            junk.to_str().unwrap().to_owned(),
            format!("oxprof: {}: ", junk.display()),
        ),
        (
            dir.join("missing").to_str().unwrap().to_owned(),
            format!("oxprof: cannot read {}", dir.join("missing").display()),
        ),
    ] {
        let out = run(&["trace", "-http=:0", "-no_browser", &file]);
        assert!(!out.status.success());
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with(&start), "{err}");
    }
    let out = run(&["trace", "-http=nohost", "-no_browser", "x"]);
    assert_eq!(
        stderr(&out).trim(),
        "oxprof: -http=nohost: want host:port, such as :8080, localhost:8080 or 0.0.0.0:8080"
    );
}
