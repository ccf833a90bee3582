//! `oxprof serve` from the outside: pushes and uploads over HTTP, bad input refused with a 4xx
//! and nothing stored, queries, the analyzer over a range, and `oxprof URL` reading a range.

use std::path::PathBuf;
use std::process::Command;

use oxprof_profile::{Function, Line, Location, Profile, Sample, ValueType};
use oxprof_push::proto::{LabelPair, PushRequest, RawProfileSeries, RawSample};
use prost::Message;

use super::serve_process::Serve;

fn now_nanos() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as i64
}

/// A CPU profile of the stack `frames` (leaf first) with `value` nanoseconds, dated `t`.
pub(crate) fn cpu_profile(frames: &[&str], value: i64, t: i64) -> Profile {
    let n = frames.len() as u64;
    Profile {
        sample_type: vec![ValueType::new("cpu", "nanoseconds")],
        period_type: Some(ValueType::new("cpu", "nanoseconds")),
        period: 10_000_000,
        sample: vec![Sample {
            location_id: (1..=n).collect(),
            value: vec![value],
            label: vec![],
        }],
        location: (1..=n)
            .map(|id| Location {
                id,
                address: 0x1000 * id,
                line: vec![Line {
                    function_id: id,
                    line: 1,
                    ..Default::default()
                }],
                ..Default::default()
            })
            .collect(),
        function: frames
            .iter()
            .zip(1..)
            .map(|(name, id)| Function {
                id,
                name: (*name).into(),
                ..Default::default()
            })
            .collect(),
        time_nanos: t,
        duration_nanos: 10_000_000_000,
        ..Default::default()
    }
}

pub(crate) fn push_body(labels: &[(&str, &str)], profiles: &[Profile]) -> Vec<u8> {
    PushRequest {
        series: vec![RawProfileSeries {
            labels: labels.iter().map(|(n, v)| LabelPair::new(*n, *v)).collect(),
            samples: profiles
                .iter()
                .map(|p| RawSample {
                    raw_profile: p.encode_gzip(),
                    id: String::new(),
                })
                .collect(),
        }],
    }
    .encode_to_vec()
}

pub(crate) const PROTO: (&str, &str) = ("Content-Type", "application/proto");
const LABELS: [(&str, &str); 2] = [("__name__", "process_cpu"), ("service_name", "shop")];

fn scratch_store(name: &str) -> PathBuf {
    super::scratch(name).join("store")
}

#[test]
fn bad_input_is_refused_with_a_4xx_and_nothing_is_stored() {
    let serve = Serve::start(&scratch_store("serve-bad"), "127.0.0.1:0");
    let now = now_nanos();
    let good = push_body(&LABELS, &[cpu_profile(&["work", "main"], 5, now)]);
    let future = push_body(
        &LABELS,
        &[cpu_profile(&["work"], 5, now + 3_600_000_000_000)],
    );
    let bad_label = push_body(
        &[
            ("__name__", "process_cpu"),
            ("service_name", "shop"),
            ("bad-name", "x"),
        ],
        &[cpu_profile(&["work"], 5, now)],
    );
    let no_service = push_body(
        &[("__name__", "process_cpu")],
        &[cpu_profile(&["work"], 5, now)],
    );
    let huge = vec![0u8; 40 << 20];
    let push = oxprof_push::PUSH_PATH;
    // What is sent (path, headers, body) and what must come back (status, message).
    type Case<'a> = (
        &'a str,
        &'a str,
        Vec<(&'a str, &'a str)>,
        &'a [u8],
        u16,
        &'a str,
    );
    let cases: Vec<Case> = vec![
        (
            "garbage",
            push,
            vec![PROTO],
            b"\xff\xff\xffgarbage",
            400,
            "not a push.v1.PushRequest",
        ),
        ("huge", push, vec![PROTO], &huge, 413, "larger than"),
        (
            "wrong content type",
            push,
            vec![("Content-Type", "text/plain")],
            &good,
            415,
            "text/plain is not supported",
        ),
        (
            "no content type",
            push,
            vec![],
            &good,
            415,
            "no Content-Type",
        ),
        (
            "not gzip",
            push,
            vec![PROTO, ("Content-Encoding", "gzip")],
            &good,
            400,
            "not gzip",
        ),
        (
            "bad label",
            push,
            vec![PROTO],
            &bad_label,
            400,
            "\\\"bad-name\\\" is not a valid label name",
        ),
        (
            "no service",
            push,
            vec![PROTO],
            &no_service,
            400,
            "service_name is missing",
        ),
        ("future", push, vec![PROTO], &future, 400, "in the future"),
        (
            "legacy label syntax",
            "/ingest?name=shop%7Benv%7D",
            vec![],
            b"main 1\n",
            400,
            "not of the form key=value",
        ),
        (
            "legacy garbage",
            "/ingest?name=shop&format=pprof",
            vec![],
            b"garbage",
            400,
            "malformed profile",
        ),
        (
            "legacy prev_profile",
            "/ingest?name=shop",
            vec![("Content-Type", "multipart/form-data; boundary=b")],
            b"--b\r\nContent-Disposition: form-data; name=\"prev_profile\"\r\n\r\nx\r\n--b--\r\n",
            400,
            "prev_profile",
        ),
    ];
    for (what, path, headers, body, status, message) in cases {
        let (got, text) = serve.post(path, &headers, body);
        let text = String::from_utf8_lossy(&text);
        assert_eq!(got, status, "{what}: {text}");
        assert!(text.contains(message), "{what}: {text:?} lacks {message:?}");
        if path == push {
            assert!(
                text.starts_with("{\"code\":"),
                "{what}: a Connect error: {text}"
            );
        }
        assert_eq!(serve.profiles(), 0, "{what}: nothing stored");
    }
    let (status, body) = serve.post(push, &[PROTO], &good);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(serve.profiles(), 1, "the server keeps serving");
}

#[test]
fn pushes_in_every_encoding_and_legacy_uploads_are_stored_and_queried() {
    let serve = Serve::start(&scratch_store("serve-ok"), "127.0.0.1:0");
    let now = now_nanos();
    let body = push_body(
        &LABELS,
        &[cpu_profile(&["work", "main"], 100, now - 60_000_000_000)],
    );
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &body).unwrap();
    let gzipped = gz.finish().unwrap();
    let (status, _) = serve.post(
        oxprof_push::PUSH_PATH,
        &[PROTO, ("Content-Encoding", "gzip")],
        &gzipped,
    );
    assert_eq!(status, 200);
    // Connect's JSON form, as Pyroscope's documentation shows it with curl.
    let raw = cpu_profile(&["work", "main"], 20, now - 50_000_000_000).encode_gzip();
    let json = serde_json::json!({"series": [{
        "labels": [{"name": "__name__", "value": "process_cpu"}, {"name": "service_name", "value": "shop"}],
        "samples": [{"rawProfile": base64_encode(&raw)}]}]});
    let (status, answer) = serve.post(
        oxprof_push::PUSH_PATH,
        &[("Content-Type", "application/json")],
        json.to_string().as_bytes(),
    );
    assert_eq!((status, answer.as_slice()), (200, &b"{}"[..]));
    // Legacy uploads: folded stacks, and a block profile in a form that says it is one.
    let (status, _) = serve.post(
        "/ingest?name=shop&from=now-40s&until=now-30s&sampleRate=100",
        &[],
        b"main;work 3\n",
    );
    assert_eq!(status, 200);
    let mut block = cpu_profile(&["wait", "main"], 7, now - 30_000_000_000);
    block.sample_type = vec![
        ValueType::new("contentions", "count"),
        ValueType::new("delay", "nanoseconds"),
    ];
    block.period_type = Some(ValueType::new("contentions", "count"));
    block.sample[0].value = vec![1, 7];
    let mut form =
        b"--XX\r\nContent-Disposition: form-data; name=\"profile\"; filename=\"p\"\r\n\r\n"
            .to_vec();
    form.extend(block.encode_gzip());
    form.extend(b"\r\n--XX\r\nContent-Disposition: form-data; name=\"sample_type_config\"\r\n\r\n");
    form.extend(br#"{"contentions":{"display-name":"block_count"},"delay":{"display-name":"block_duration"}}"#);
    form.extend(b"\r\n--XX--\r\n");
    let (status, text) = serve.post(
        "/ingest?name=shop%7Benv%3Dprod%7D&spyName=gospy",
        &[("Content-Type", "multipart/form-data; boundary=XX")],
        &form,
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&text));
    assert_eq!(serve.profiles(), 4);

    let (_, types) = serve.get("/api/profile_types?selector=%7Bservice_name%3D%22shop%22%7D");
    let types: Vec<String> = serde_json::from_slice(&types).unwrap();
    assert_eq!(
        types,
        [
            "block:contentions:count:contentions:count",
            "block:delay:nanoseconds:contentions:count",
            "process_cpu:cpu:nanoseconds:cpu:nanoseconds",
            "process_cpu:samples:count:cpu:nanoseconds",
        ]
    );
    let (_, values) = serve.get("/api/label_values?name=pyroscope_spy");
    assert_eq!(values, br#"["gospy"]"#);

    // The CPU range, merged: 100 + 20 + 3 samples of 10 ms.
    let query = "query=process_cpu%3Acpu%3Ananoseconds%3Acpu%3Ananoseconds%7Bservice_name%3D%22shop%22%7D&from=now-2m&until=now";
    let (status, pprof) = serve.get(&format!("/api/merge?{query}"));
    assert_eq!(status, 200);
    let merged = Profile::parse(&pprof).unwrap();
    let total: i64 = merged.sample.iter().map(|s| s.value[0]).sum();
    assert_eq!(total, 100 + 20 + 30_000_000);
    let (status, timeline) = serve.get(&format!("/api/timeline?{query}&step=1m"));
    assert_eq!(status, 200);
    let timeline: serde_json::Value = serde_json::from_slice(&timeline).unwrap();
    let sum: i64 = timeline["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p[1].as_i64().unwrap())
        .sum();
    assert_eq!(sum, total);

    // `oxprof URL` reads the range as any profile.
    let out = Command::new(env!("CARGO_BIN_EXE_oxprof"))
        .args([
            "-top",
            "-nodecount=1",
            &serve.url(&format!("/api/merge?{query}")),
        ])
        .env("OXPROF_TMPDIR", super::scratch("serve-top"))
        .output()
        .unwrap();
    let top = String::from_utf8_lossy(&out.stdout);
    assert!(
        top.contains("work"),
        "{top}{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The analyzer over the range, and over range A against range B.
    let key = |extra: &str| percent_encode(&format!("{query}{extra}"));
    let (status, flame) = serve.get(&format!("/a/{}/api/flame", key("")));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&flame));
    assert!(String::from_utf8_lossy(&flame).contains("\"work\""));
    let (status, page) = serve.get(&format!("/a/{}/", key("")));
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&page).contains("app.js"));
    let (status, diff) = serve.get(&format!(
        "/a/{}/api/flame",
        key("&base_from=now-2m&base_until=now-55s")
    ));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&diff));
    let (status, none) = serve.get("/api/merge?query=memory%7B%7D");
    assert_eq!(status, 404, "{}", String::from_utf8_lossy(&none));
    let (status, page) = serve.get("/");
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&page).contains("store.js"));
}

fn base64_encode(data: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(data)
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            b => format!("%{b:02X}"),
        })
        .collect()
}
