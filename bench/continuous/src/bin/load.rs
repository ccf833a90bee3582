//! oxprof serve under load. `load ingest URL N CONNECTIONS`: pushes N synthetic CPU profiles
//! (one per push, as an agent sends them) over CONNECTIONS connections at once and prints
//! `profiles_per_s bytes_per_profile`. `load fill URL N STEP_S`: pushes N profiles dated STEP_S
//! apart, ending now (8,640 ten-second profiles are a day). `load query URL ROUNDS`: times the
//! merge and the timeline of the last 24 h, printing one `merge_s timeline_s` line per round.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use oxprof_profile::{Function, Line, Location, Profile, Sample, ValueType};
use oxprof_push::proto::{LabelPair, PushRequest, RawProfileSeries, RawSample};
use prost::Message;

const FUNCTIONS: u64 = 400;

/// Distinct stacks the service has: each profile samples some of them, as a real service's
/// profiles repeat its stacks.
const STACKS: u64 = 2000;

fn xorshift(mut x: u64) -> impl FnMut() -> u64 {
    x |= 1;
    move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    }
}

/// Stack `i` of the service: depth 12..28 over 400 functions.
fn stack(i: u64) -> Vec<u64> {
    let mut next = xorshift(i.wrapping_mul(0x2545_f491_4f6c_dd1d));
    let depth = 12 + next() % 16;
    (0..depth).map(|_| 1 + next() % FUNCTIONS).collect()
}

/// A CPU profile like an agent's for a busy service: 150 of its stacks, the mix shifting with
/// `seed` (skewed: low-numbered stacks are hot).
fn profile(seed: u64, time_nanos: i64) -> Profile {
    let mut next = xorshift(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let sample = (0..150)
        .map(|_| {
            let i = (next() % STACKS) * (next() % STACKS) / STACKS;
            let n = 1 + (next() % 20) as i64;
            Sample { location_id: stack(i), value: vec![n, n * 10_000_000], label: vec![] }
        })
        .collect();
    Profile {
        sample_type: vec![ValueType::new("samples", "count"), ValueType::new("cpu", "nanoseconds")],
        period_type: Some(ValueType::new("cpu", "nanoseconds")),
        period: 10_000_000,
        sample,
        location: (1..=FUNCTIONS)
            .map(|id| Location {
                id,
                address: 0x40_0000 + id * 64,
                line: vec![Line { function_id: id, line: id as i64, ..Default::default() }],
                ..Default::default()
            })
            .collect(),
        function: (1..=FUNCTIONS)
            .map(|id| Function {
                id,
                name: format!("service::module_{}::function_{id}", id % 17),
                filename: format!("src/module_{}.rs", id % 17),
                ..Default::default()
            })
            .collect(),
        time_nanos,
        duration_nanos: 10_000_000_000,
        ..Default::default()
    }
}

fn body(profile: &Profile) -> Vec<u8> {
    let request = PushRequest {
        series: vec![RawProfileSeries {
            labels: vec![
                LabelPair::new("__name__", "process_cpu"),
                LabelPair::new("service_name", "bench"),
            ],
            samples: vec![RawSample { raw_profile: profile.encode(), id: String::new() }],
        }],
    };
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &request.encode_to_vec()).unwrap();
    gz.finish().unwrap()
}

fn now_nanos() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as i64
}

fn push(agent: &ureq::Agent, url: &str, body: &[u8]) {
    let response = agent
        .post(&format!("{url}/push.v1.PusherService/Push"))
        .header("Content-Type", "application/proto")
        .header("Content-Encoding", "gzip")
        .send(body)
        .expect("push");
    assert_eq!(response.status().as_u16(), 200);
}

/// Pushes `bodies` over `connections` threads; returns the seconds taken.
fn push_all(url: &str, bodies: &[Vec<u8>], connections: usize) -> f64 {
    let next = AtomicU64::new(0);
    let start = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..connections {
            scope.spawn(|| {
                let agent: ureq::Agent = ureq::Agent::config_builder().build().into();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                    let Some(body) = bodies.get(i) else { return };
                    push(&agent, url, body);
                }
            });
        }
    });
    start.elapsed().as_secs_f64()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let url = args[2].trim_end_matches('/').to_owned();
    match args[1].as_str() {
        "ingest" => {
            let (n, connections): (u64, usize) = (args[3].parse().unwrap(), args[4].parse().unwrap());
            let now = now_nanos();
            let bodies: Vec<Vec<u8>> = (0..n).map(|i| body(&profile(i, now - 1_000_000_000))).collect();
            let seconds = push_all(&url, &bodies, connections);
            let bytes = bodies.iter().map(Vec::len).sum::<usize>() as u64 / n;
            println!("{:.1} {bytes}", n as f64 / seconds);
        }
        "fill" => {
            let (n, step): (i64, i64) = (args[3].parse().unwrap(), args[4].parse().unwrap());
            let now = now_nanos();
            let bodies: Vec<Vec<u8>> = (0..n)
                .map(|i| body(&profile(i as u64, now - (n - i) * step * 1_000_000_000)))
                .collect();
            push_all(&url, &bodies, 2);
        }
        "query" => {
            let rounds: u32 = args[3].parse().unwrap();
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .timeout_global(Some(Duration::from_secs(600)))
                .build()
                .into();
            let query = "process_cpu%3Acpu%3Ananoseconds%3Acpu%3Ananoseconds%7Bservice_name%3D%22bench%22%7D";
            for _ in 0..rounds {
                let start = Instant::now();
                let mut merged = agent
                    .get(&format!("{url}/api/merge?query={query}&from=now-24h&until=now"))
                    .call()
                    .expect("merge");
                let profile = merged.body_mut().with_config().limit(u64::MAX).read_to_vec().unwrap();
                let merge = start.elapsed().as_secs_f64();
                let start = Instant::now();
                agent
                    .get(&format!("{url}/api/timeline?query={query}&from=now-24h&until=now"))
                    .call()
                    .expect("timeline");
                let timeline = start.elapsed().as_secs_f64();
                println!("{merge:.3} {timeline:.4} {}", profile.len());
            }
        }
        other => panic!("unknown mode {other}"),
    }
}
