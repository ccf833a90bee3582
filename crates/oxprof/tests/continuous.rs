//! The continuous agent against a server that records what it is sent: the pushes are
//! Pyroscope pushes (read here with a protobuf reader written from Pyroscope's published
//! `push.proto` and `types.proto` field numbers, not with the agent's own message types), carry
//! the labels Pyroscope requires and the program's labels, keep block and mutex apart, and send
//! cumulative profiles as deltas: two periods of the same work push the same values.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use oxprof::continuous::Agent;
use oxprof_profile::Profile;

#[global_allocator]
static ALLOC: oxprof::heap::Profiled = oxprof::heap::Profiled::system();

/// One agent at a time: one CPU profile runs at a time in a process.
static ONE_AGENT: Mutex<()> = Mutex::new(());

/// A request received: path, headers (lowercased names), body.
type Received = (String, BTreeMap<String, String>, Vec<u8>);

/// An HTTP/1.1 server that answers 200 to everything and keeps what it was sent.
fn capture() -> (String, Arc<Mutex<Vec<Received>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let got = Arc::new(Mutex::new(Vec::new()));
    let kept = got.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let kept = kept.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut writer = stream;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let path = line
                        .split_whitespace()
                        .nth(1)
                        .unwrap_or_default()
                        .to_owned();
                    let mut headers = BTreeMap::new();
                    loop {
                        let mut h = String::new();
                        reader.read_line(&mut h).unwrap();
                        let h = h.trim_end();
                        if h.is_empty() {
                            break;
                        }
                        let (k, v) = h.split_once(':').unwrap();
                        headers.insert(k.to_ascii_lowercase(), v.trim().to_owned());
                    }
                    let n: usize = headers["content-length"].parse().unwrap();
                    let mut body = vec![0; n];
                    reader.read_exact(&mut body).unwrap();
                    kept.lock().unwrap().push((path, headers, body));
                    writer
                        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                        .unwrap();
                }
            });
        }
    });
    (url, got)
}

/// Protobuf fields of `buf`: (field number, varint or bytes).
fn fields(mut buf: &[u8]) -> Vec<(u64, Result<u64, &[u8]>)> {
    fn varint(buf: &mut &[u8]) -> u64 {
        let mut v = 0;
        for shift in (0..64).step_by(7) {
            let b = buf[0];
            *buf = &buf[1..];
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                break;
            }
        }
        v
    }
    let mut out = Vec::new();
    while !buf.is_empty() {
        let key = varint(&mut buf);
        match key & 7 {
            0 => out.push((key >> 3, Ok(varint(&mut buf)))),
            2 => {
                let n = varint(&mut buf) as usize;
                out.push((key >> 3, Err(&buf[..n])));
                buf = &buf[n..];
            }
            wire => panic!("unexpected wire type {wire}"),
        }
    }
    out
}

fn bytes(field: &Result<u64, &[u8]>) -> Vec<u8> {
    field.unwrap_err().to_vec()
}

/// A push read with Pyroscope's field numbers: PushRequest.series = 1; RawProfileSeries.labels
/// = 1, .samples = 2; LabelPair.name = 1, .value = 2; RawSample.raw_profile = 1, .ID = 2.
fn series_of(body: &[u8]) -> Vec<(BTreeMap<String, String>, Vec<Profile>)> {
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(body)
        .read_to_end(&mut plain)
        .unwrap();
    let mut out = Vec::new();
    for (n, series) in fields(&plain) {
        assert_eq!(n, 1, "PushRequest has only series");
        let series = bytes(&series);
        let mut labels = BTreeMap::new();
        let mut profiles = Vec::new();
        for (n, part) in fields(&series) {
            let part = bytes(&part);
            match n {
                1 => {
                    let pair = fields(&part);
                    let text = |i: usize| String::from_utf8(bytes(&pair[i].1)).unwrap();
                    assert_eq!((pair[0].0, pair[1].0), (1, 2));
                    labels.insert(text(0), text(1));
                }
                2 => {
                    let sample = fields(&part);
                    assert_eq!(sample[0].0, 1, "raw_profile");
                    profiles.push(Profile::decode(&bytes(&sample[0].1)).unwrap());
                }
                n => panic!("RawProfileSeries has no field {n}"),
            }
        }
        out.push((labels, profiles));
    }
    out
}

fn has_frame(profile: &Profile, sample: &oxprof_profile::Sample, name: &str) -> bool {
    oxprof_testutil::profiles::has_function(profile, sample, name)
}

/// The sum of sample type `ty` over samples with a frame named `frame`.
fn total(profile: &Profile, ty: &str, frame: &str) -> i64 {
    let i = profile.sample_type.iter().position(|t| t.ty == ty).unwrap();
    profile
        .sample
        .iter()
        .filter(|s| has_frame(profile, s, frame))
        .map(|s| s.value[i])
        .sum()
}

#[inline(never)]
fn steady_allocator(round: u64) -> u64 {
    let mut sum = round;
    for i in 0..1000u64 {
        let block = std::hint::black_box(vec![(i % 251) as u8; 1000]);
        sum = sum.wrapping_add(block[7] as u64 + 0x5eed);
    }
    std::hint::black_box(sum)
}

#[inline(never)]
fn blocked_waiter(lock: &oxprof::sync::Mutex<u64>, started: &std::sync::atomic::AtomicBool) -> u64 {
    started.store(true, std::sync::atomic::Ordering::Release);
    let value = *lock.lock().unwrap() + 0xb10c;
    std::hint::black_box(value)
}

/// Three waits per call: a holder keeps the lock while a waiter wants it, released 50 ms after
/// the waiter started (a loaded machine may start a thread late).
fn contend() {
    let lock = Arc::new(oxprof::sync::Mutex::new(1u64));
    for _ in 0..3 {
        let guard = lock.lock().unwrap();
        let started = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let waiter = {
            let (lock, started) = (lock.clone(), started.clone());
            std::thread::spawn(move || blocked_waiter(&lock, &started))
        };
        while !started.load(std::sync::atomic::Ordering::Acquire) {
            std::thread::sleep(Duration::from_millis(1));
        }
        std::thread::sleep(Duration::from_millis(50));
        drop(guard);
        waiter.join().unwrap();
    }
}

#[inline(never)]
fn burn_cpu(ms: u64) -> u64 {
    let end = std::time::Instant::now() + Duration::from_millis(ms);
    let mut x = 0x00c0_ffeeu64;
    while std::time::Instant::now() < end {
        for _ in 0..1000 {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
        }
    }
    x
}

#[test]
fn pushes_are_pyroscope_pushes_and_cumulative_profiles_arrive_as_deltas() {
    let _one = ONE_AGENT.lock().unwrap_or_else(|e| e.into_inner());
    oxprof::heap::set_sample_rate(1);
    // This thread's countdown to its next sample was drawn at the old rate: spend it.
    for i in 0..64u64 {
        std::hint::black_box(vec![i as u8; 64 << 10]);
    }
    oxprof::block::set_rate(1);
    oxprof::mutex::set_fraction(1);
    let (url, received) = capture();
    let agent = Agent::builder()
        .service_name("conformance")
        .labels([("env", "test")])
        .endpoint(&url)
        .period(Duration::from_secs(600))
        .bearer_token("t0k3n")
        .tenant_id("team-a")
        .start()
        .unwrap();
    // The agent takes its first snapshots on its own thread: a flush waits for them.
    assert!(agent.flush(Duration::from_secs(30)), "{:?}", agent.stats());
    for round in 0..2 {
        steady_allocator(round);
        contend();
        oxprof::labels::scope(&[("phase", "burn")], || burn_cpu(300));
        assert!(agent.flush(Duration::from_secs(30)), "{:?}", agent.stats());
    }
    let stats = agent.stop();
    assert_eq!((stats.dropped, stats.retries), (0, 0), "{stats:?}");
    let received = received.lock().unwrap();
    // One push per flush and one at the stop: the two rounds are the second and third.
    assert_eq!(received.len(), 4, "{stats:?}");
    let mut by_name: BTreeMap<String, Vec<Profile>> = BTreeMap::new();
    for (path, headers, body) in received[1..3].iter() {
        assert_eq!(path, "/push.v1.PusherService/Push");
        assert_eq!(headers["content-type"], "application/proto");
        assert_eq!(headers["content-encoding"], "gzip");
        assert_eq!(headers["authorization"], "Bearer t0k3n");
        assert_eq!(headers["x-scope-orgid"], "team-a");
        for (labels, profiles) in series_of(body) {
            assert_eq!(labels["service_name"], "conformance");
            assert_eq!(labels["env"], "test");
            let name = labels["__name__"].clone();
            assert!(
                ["process_cpu", "memory", "block", "mutex"].contains(&name.as_str()),
                "{name}"
            );
            by_name.entry(name).or_default().extend(profiles);
        }
    }
    let memory = &by_name["memory"];
    assert_eq!(memory.len(), 2, "a memory profile each round");
    let allocated: Vec<i64> = memory
        .iter()
        .map(|p| total(p, "alloc_space", "steady_allocator"))
        .collect();
    for bytes in &allocated {
        assert!(
            (990_000..=1_010_000).contains(bytes),
            "each period allocated 1000 blocks of 1000 bytes, not a running total: {allocated:?}"
        );
    }
    for name in ["block", "mutex"] {
        let profiles = &by_name[name];
        assert!(profiles.len() >= 2, "{name}: {} pushes", profiles.len());
        let frame = if name == "block" {
            "blocked_waiter"
        } else {
            "contend"
        };
        let events: Vec<i64> = profiles[..2]
            .iter()
            .map(|p| total(p, "contentions", frame))
            .collect();
        assert_eq!(events, [3, 3], "{name}: three waits each period");
    }
    let cpu = &by_name["process_cpu"];
    let labelled = cpu.iter().any(|p| {
        p.sample
            .iter()
            .any(|s| s.has_label("phase", "burn") && has_frame(p, s, "burn_cpu"))
    });
    assert!(labelled, "the program's labels are kept on CPU samples");
    let sent: i64 = received
        .iter()
        .flat_map(|(_, _, body)| series_of(body))
        .filter(|(labels, _)| labels["__name__"] == "process_cpu")
        .flat_map(|(_, profiles)| profiles)
        .map(|p| p.sample.iter().map(|s| s.value[1]).sum::<i64>())
        .sum();
    assert_eq!(
        stats.sent_totals["process_cpu:cpu:nanoseconds:cpu:nanoseconds"], sent,
        "the agent's count of what was sent"
    );
}

#[test]
fn pushes_spooled_while_the_server_is_down_are_sent_by_the_next_run() {
    let _one = ONE_AGENT.lock().unwrap_or_else(|e| e.into_inner());
    let spool = std::env::temp_dir().join(format!("oxprof-spool-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&spool);
    let down = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let first = Agent::builder()
        .service_name("spool-a")
        .endpoint(&down)
        .period(Duration::from_secs(600))
        .timeout(Duration::from_secs(1))
        .spool_dir(&spool)
        .start()
        .unwrap();
    oxprof::labels::scope(&[("run", "first")], || burn_cpu(200));
    assert!(!first.flush(Duration::from_secs(2)), "nothing can be sent");
    let stats = first.stop();
    assert!(stats.retries > 0 && stats.queued > 0, "{stats:?}");
    assert_eq!(stats.dropped, 0, "spooled, not dropped: {stats:?}");
    let files = std::fs::read_dir(&spool).unwrap().count();
    assert_eq!(files as u64, stats.queued, "one file per waiting push");

    // The program again, the server up: the first run's pushes go first.
    let (url, received) = capture();
    let second = Agent::builder()
        .service_name("spool-b")
        .endpoint(&url)
        .period(Duration::from_secs(600))
        .spool_dir(&spool)
        .start()
        .unwrap();
    oxprof::labels::scope(&[("run", "second")], || burn_cpu(200));
    assert!(
        second.flush(Duration::from_secs(30)),
        "{:?}",
        second.stats()
    );
    let stats = second.stop();
    let services: Vec<String> = received
        .lock()
        .unwrap()
        .iter()
        .flat_map(|(_, _, body)| series_of(body))
        .map(|(labels, _)| labels["service_name"].clone())
        .collect();
    assert_eq!(
        services.first().map(String::as_str),
        Some("spool-a"),
        "{services:?}"
    );
    assert!(services.iter().any(|s| s == "spool-b"), "{services:?}");
    assert_eq!((stats.dropped, stats.queued), (0, 0), "{stats:?}");
    assert_eq!(
        std::fs::read_dir(&spool).unwrap().count(),
        0,
        "sent pushes leave the spool"
    );
    let _ = std::fs::remove_dir_all(&spool);
}
