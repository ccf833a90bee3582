//! `oxprof trace` on a trace this test binary records of itself (threads, nested regions, a
//! task, logs, a contended lock): the Chrome JSON export follows the Trace Event Format's field
//! rules, the Perfetto export decodes with Perfetto's own protobuf bindings (PyPI `perfetto`)
//! with nothing unknown and everything balanced, `-d` prints the events, mistakes are one line.

use std::{
    collections::{BTreeMap, HashMap},
    path::{Path, PathBuf},
    process::Command,
    sync::{mpsc, Arc, OnceLock},
    time::Duration,
};

use serde_json::Value;

use crate::{run, scratch, stderr, success};

/// The trace of a small program, recorded once for every test (tracing is process-wide).
fn recorded() -> &'static Path {
    static TRACE: OnceLock<PathBuf> = OnceLock::new();
    TRACE.get_or_init(|| record(&scratch("trace-recorded")))
}

/// Records a small program into `dir/app.trace`.
fn record(dir: &Path) -> PathBuf {
    let path = dir.join("app.trace");
    oxprof::trace::start(std::fs::File::create(&path).unwrap()).unwrap();
    let request = oxprof::trace::new_task(None, "request");
    let lock = Arc::new(oxprof::sync::Mutex::new(0u64));
    let (held_tx, held_rx) = mpsc::channel();
    let holder = {
        let lock = Arc::clone(&lock);
        std::thread::Builder::new()
            .name("holder".into())
            .spawn(move || {
                oxprof::trace::with_region("outer", || {
                    oxprof::trace::with_region("inner", || {
                        let guard = lock.lock().unwrap();
                        held_tx.send(()).unwrap();
                        std::thread::sleep(Duration::from_millis(30));
                        drop(guard);
                    })
                })
            })
            .unwrap()
    };
    held_rx.recv().unwrap();
    request.in_scope(|| {
        oxprof::trace::log("step", "waiting for \"the\" lock");
        *lock.lock().unwrap() += 1;
    });
    holder.join().unwrap();
    request.end();
    oxprof::trace::stop().unwrap();
    path
}

fn number(v: &Value, field: &str, e: &Value) -> f64 {
    v[field]
        .as_f64()
        .unwrap_or_else(|| panic!("{field} is not a number in {e}"))
}

/// The Trace Event Format's rules, as Perfetto's JSON importer applies them.
fn check_chrome(json: &Value) {
    assert_eq!(json["displayTimeUnit"], "ns");
    let events = json["traceEvents"].as_array().expect("traceEvents");
    let mut flows_out: HashMap<String, usize> = HashMap::new();
    let mut flows_in: HashMap<String, usize> = HashMap::new();
    let mut asyncs: HashMap<(String, String), Vec<(String, f64)>> = HashMap::new();
    let mut slices: BTreeMap<i64, Vec<(f64, f64)>> = BTreeMap::new();
    for e in events {
        let ph = e["ph"].as_str().expect("ph");
        assert!(e["pid"].is_i64(), "pid: {e}");
        assert!(e["name"].is_string(), "name: {e}");
        if ph != "M" {
            assert!(number(e, "ts", e) >= 0.0, "ts: {e}");
        }
        if e.get("bind_id").is_some() {
            assert_eq!(ph, "X", "v2 flows bind to complete slices: {e}");
            let id = e["bind_id"].as_str().unwrap().to_owned();
            if e["flow_out"] == true {
                *flows_out.entry(id.clone()).or_default() += 1;
            }
            if e["flow_in"] == true {
                *flows_in.entry(id).or_default() += 1;
            }
        }
        match ph {
            "M" => {
                let name = e["name"].as_str().unwrap();
                assert!(["process_name", "thread_name"].contains(&name), "{e}");
                assert!(e["args"]["name"].is_string(), "{e}");
            }
            "X" => {
                let dur = number(e, "dur", e);
                assert!(dur >= 0.0, "{e}");
                let tid = e["tid"].as_i64().expect("tid");
                slices
                    .entry(tid)
                    .or_default()
                    .push((number(e, "ts", e), dur));
            }
            "i" => {
                assert!(["t", "p", "g"].contains(&e["s"].as_str().unwrap()), "{e}");
                assert!(e["tid"].is_i64());
            }
            "C" => {
                let args = e["args"].as_object().expect("counter args");
                assert!(
                    !args.is_empty() && args.values().all(Value::is_number),
                    "{e}"
                );
            }
            "b" | "e" => {
                let key = (
                    e["cat"].as_str().expect("cat").to_owned(),
                    e["id"].as_str().expect("id").to_owned(),
                );
                asyncs
                    .entry(key)
                    .or_default()
                    .push((ph.to_owned(), number(e, "ts", e)));
            }
            other => panic!("unexpected phase {other}: {e}"),
        }
    }
    for (id, n) in &flows_out {
        assert_eq!(*n, 1, "flow {id} leaves once");
        assert_eq!(flows_in.get(id), Some(&1), "flow {id} arrives once");
    }
    assert_eq!(flows_out.len(), flows_in.len());
    for (key, phases) in asyncs {
        assert_eq!(phases.len(), 2, "{key:?}");
        assert_eq!(
            (phases[0].0.as_str(), phases[1].0.as_str()),
            ("b", "e"),
            "{key:?}"
        );
        assert!(phases[1].1 >= phases[0].1, "{key:?}");
    }
    // Complete slices of a thread nest: none overlaps another partly.
    for (tid, mut s) in slices {
        s.sort_by(|a, b| a.0.total_cmp(&b.0).then(b.1.total_cmp(&a.1)));
        let mut open: Vec<f64> = Vec::new();
        for (ts, dur) in s {
            while open.last().is_some_and(|&end| end <= ts + 1e-9) {
                open.pop();
            }
            if let Some(&end) = open.last() {
                assert!(
                    ts + dur <= end + 1e-6,
                    "thread {tid}: slice at {ts} overlaps its parent"
                );
            }
            open.push(ts + dur);
        }
    }
}

#[test]
fn chrome_json_follows_the_trace_event_format_and_holds_the_program() {
    let dir = scratch("trace-chrome");
    let trace = recorded();
    let out = dir.join("app.json");
    let out_flag = format!("-output={}", out.display());
    success(&run(&[
        "trace",
        "-format=chrome",
        &out_flag,
        trace.to_str().unwrap(),
    ]));
    let json: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    check_chrome(&json);
    let events = json["traceEvents"].as_array().unwrap();
    let named = |name: &str| events.iter().filter(|e| e["name"] == name).count();
    assert_eq!(named("outer"), 1);
    assert_eq!(named("inner"), 1);
    assert_eq!(named("request"), 2, "the task's b and e");
    assert!(events
        .iter()
        .any(|e| e["ph"] == "M" && e["args"]["name"] == "holder"));
    assert!(events
        .iter()
        .any(|e| e["name"] == "step" && e["args"]["message"] == "waiting for \"the\" lock"));
    let wait = events
        .iter()
        .find(|e| e["name"] == "wait: sync")
        .expect("the contended lock's wait");
    assert_eq!(wait["flow_in"], true);
    let unblock = events
        .iter()
        .find(|e| e["flow_out"] == true && e["bind_id"] == wait["bind_id"])
        .unwrap();
    assert_ne!(
        unblock["tid"], wait["tid"],
        "the flow goes from the holder to the waiter"
    );
    assert!(wait["dur"].as_f64().unwrap() >= 20_000.0, "{wait}");
}

/// Decodes a Perfetto trace with Perfetto's Python bindings and checks it; prints a summary.
const PERFETTO_CHECK: &str = r#"
import sys
from collections import Counter, defaultdict
from google.protobuf import unknown_fields
from perfetto.protos.perfetto.trace import perfetto_trace_pb2 as pb

trace = pb.Trace()
trace.ParseFromString(open(sys.argv[1], "rb").read())

def no_unknown(msg, path):
    assert len(unknown_fields.UnknownFieldSet(msg)) == 0, "unknown fields in " + path
    for field, value in msg.ListFields():
        if field.type == field.TYPE_MESSAGE:
            values = value if getattr(field, "is_repeated", False) or (hasattr(value, "__len__") and not hasattr(value, "ListFields")) else [value]
            for v in values:
                no_unknown(v, path + "." + field.name)

tracks, open_slices, names = {}, defaultdict(list), Counter()
flows, terminating = Counter(), Counter()
for p in trace.packet:
    no_unknown(p, "packet")
    if p.HasField("track_descriptor"):
        d = p.track_descriptor
        tracks[d.uuid] = d.thread.thread_name if d.HasField("thread") else d.name
    elif p.HasField("track_event"):
        e = p.track_event
        assert e.track_uuid in tracks, "event on an undeclared track"
        assert p.trusted_packet_sequence_id == 1
        if e.type == e.TYPE_SLICE_BEGIN:
            open_slices[e.track_uuid].append(p.timestamp)
            names[e.name] += 1
        elif e.type == e.TYPE_SLICE_END:
            assert open_slices[e.track_uuid], "end without begin"
            assert open_slices[e.track_uuid].pop() <= p.timestamp
        elif e.type == e.TYPE_INSTANT:
            names[e.name] += 1
        else:
            assert e.type == e.TYPE_COUNTER
        flows.update(e.flow_ids)
        terminating.update(e.terminating_flow_ids)
    else:
        raise AssertionError("packet without descriptor or event")
assert all(not s for s in open_slices.values()), "unclosed slices"
assert flows == terminating and flows, "every flow ends once"
print("threads", sorted(n for n in tracks.values() if n))
for n in ["outer", "inner", "request", "wait: sync", "step", "unblock"]:
    print(n, names[n])
"#;

#[test]
fn perfetto_protobuf_decodes_with_perfettos_schema() {
    let Some(python) = oxprof_testutil::python_perfetto() else {
        return;
    };
    let dir = scratch("trace-perfetto");
    let trace = recorded();
    let out = dir.join("app.pftrace");
    let out_flag = format!("-output={}", out.display());
    success(&run(&[
        "trace",
        "-format=perfetto",
        &out_flag,
        trace.to_str().unwrap(),
    ]));
    let checked = Command::new(python)
        .args(["-c", PERFETTO_CHECK, out.to_str().unwrap()])
        .output()
        .unwrap();
    let summary = String::from_utf8_lossy(&checked.stdout);
    assert!(
        checked.status.success(),
        "{}{summary}",
        String::from_utf8_lossy(&checked.stderr)
    );
    assert!(summary.contains("'holder'"), "{summary}");
    for line in [
        "outer 1",
        "inner 1",
        "request 1",
        "wait: sync 1",
        "step 1",
        "unblock 1",
    ] {
        assert!(summary.lines().any(|l| l == line), "{line} in {summary}");
    }
}

#[test]
fn the_dump_lists_events_and_mistakes_are_one_line_errors() {
    let dir = scratch("trace-dump");
    let trace = recorded();
    let text = success(&run(&["trace", "-d", trace.to_str().unwrap()]));
    assert!(text.lines().next().unwrap().contains(" events"), "{text}");
    assert!(text.contains("region begin \"outer\""), "{text}");
    assert!(text.contains("wait \"sync\""), "{text}");

    let junk = dir.join("junk");
    std::fs::write(&junk, b"not a trace").unwrap();
    let out = run(&["trace", "-d", junk.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        format!(
            "oxprof: {}: not an oxprof trace (bad header)\n",
            junk.display()
        )
    );
    let out = run(&["trace", "-format=svg", "x"]);
    assert_eq!(
        stderr(&out),
        "oxprof: oxprof trace: -format=svg: the formats are perfetto and chrome\n"
    );
}
