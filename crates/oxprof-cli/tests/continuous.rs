//! The continuous agent end to end: this test program runs the agent (1 s period) against a
//! real `oxprof serve` on loopback for about ten seconds; the server is killed mid-run and
//! started again on the same store, the agent's spool keeps what it could not send and replays
//! it, and in the end the server's merged profiles add up to exactly what the agent says the
//! server acknowledged. `bench/continuous.sh` runs the same for 60 s.

// Shared with the CLI's tests, which use all of it.
#[allow(dead_code)]
#[path = "it/serve_process.rs"]
mod serve_process;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use oxprof::continuous::Agent;
use oxprof_profile::Profile;
use serve_process::Serve;

#[inline(never)]
fn busy_work(stop: &AtomicBool) -> u64 {
    let mut x = 0x0e2e_u64;
    let lock = Arc::new(oxprof::sync::Mutex::new(0u64));
    while !stop.load(Ordering::Relaxed) {
        for _ in 0..200_000 {
            x = std::hint::black_box(x.wrapping_mul(2862933555777941757).wrapping_add(3));
        }
        // A little contention, so block and mutex profiles have something to send.
        let guard = lock.lock().unwrap();
        let other = {
            let lock = lock.clone();
            std::thread::spawn(move || *lock.lock().unwrap() + 1)
        };
        std::thread::sleep(Duration::from_millis(2));
        drop(guard);
        x ^= other.join().unwrap();
    }
    x
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("oxprof-e2e-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn seconds_from_env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn an_agent_pushes_through_a_server_restart_and_nothing_acknowledged_is_lost() {
    // The benchmark script sets a longer run.
    let run = seconds_from_env("OXPROF_E2E_SECONDS", 10);
    let (store, spool) = (scratch("store"), scratch("spool"));
    let mut serve = Serve::start(&store, "127.0.0.1:0");
    let addr = serve.addr.clone();
    oxprof::block::set_rate(1);
    oxprof::mutex::set_fraction(1);
    let agent = Agent::builder()
        .service_name("e2e")
        .labels([("run", "test")])
        .endpoint(format!("http://{addr}"))
        .period(Duration::from_secs(1))
        .timeout(Duration::from_secs(2))
        .spool_dir(&spool)
        .start()
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let worker = {
        let stop = stop.clone();
        std::thread::spawn(move || busy_work(&stop))
    };
    std::thread::sleep(Duration::from_secs(run * 3 / 10));
    serve.kill();
    std::thread::sleep(Duration::from_secs(run * 3 / 10));
    let down = agent.stats();
    assert!(
        down.retries > 0,
        "pushes failed while the server was down: {down:?}"
    );
    assert!(down.queued > 0, "and waited in the spool: {down:?}");
    let serve = Serve::start(&store, &addr);
    std::thread::sleep(Duration::from_secs(run * 4 / 10));
    stop.store(true, Ordering::Relaxed);
    worker.join().unwrap();
    assert!(agent.flush(Duration::from_secs(30)), "{:?}", agent.stats());
    let stats = agent.stop();
    assert_eq!(stats.dropped, 0, "{stats:?}");
    assert!(stats.collections >= run / 2, "{stats:?}");
    assert_eq!(serve.profiles(), stats.profiles_sent, "{stats:?}");
    let until = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        + 60_000;
    for name in ["process_cpu", "block", "mutex"] {
        assert!(
            stats
                .sent_totals
                .keys()
                .any(|t| t.starts_with(&format!("{name}:"))),
            "{name} was sent: {stats:?}"
        );
    }
    for (type_id, sent) in &stats.sent_totals {
        let query = format!("{type_id}{{service_name=\"e2e\",run=\"test\"}}");
        let url = format!(
            "/api/merge?query={}&from=now-1h&until={until}",
            query
                .replace('"', "%22")
                .replace('{', "%7B")
                .replace('}', "%7D")
        );
        let (status, body) = serve.get(&url);
        if *sent == 0 && status == 404 {
            continue;
        }
        assert_eq!(status, 200, "{type_id}: {}", String::from_utf8_lossy(&body));
        let merged = Profile::parse(&body).unwrap();
        let i = merged
            .sample_type
            .iter()
            .position(|t| type_id.split(':').nth(1) == Some(t.ty.as_str()))
            .unwrap();
        let stored: i64 = merged.sample.iter().map(|s| s.value[i]).sum();
        assert_eq!(
            stored, *sent,
            "{type_id}: what the server stored is what it acknowledged"
        );
    }
    println!("{stats:?}");
}
