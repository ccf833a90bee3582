//! Profiles written by oxprof's runtime (the `oxprof` crate) profiling this very test binary:
//! `go tool pprof` and `oxprof` both read them, with demangled Rust names and source lines.

use std::hint::black_box;
use std::time::{Duration, Instant};

use oxprof_testutil::go_pprof;

use crate::{run, scratch, success};

/// The known hot function: all the profiled CPU time is spent here.
#[inline(never)]
fn interop_hot_loop(wall: Duration) -> u64 {
    let end = Instant::now() + wall;
    let mut x = 0x243f_6a88_85a3_08d3u64;
    while Instant::now() < end {
        for _ in 0..1_000 {
            x = black_box(x.rotate_left(7).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x55);
        }
    }
    x
}

/// Profiles are process-wide: the tests here take turns.
pub(crate) fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn profile_of_hot_loop(symbolize: bool) -> std::path::PathBuf {
    let _serial = serial();
    let profiler = oxprof::cpu::Profiler::builder()
        .frequency(250)
        .symbolize(symbolize)
        .start()
        .expect("start the cpu profiler");
    // Other tests of this binary may run in-process work meanwhile, and the profile covers every
    // thread: the label tells this thread's samples apart.
    oxprof::labels::scope(&[("test", "interop")], || {
        black_box(interop_hot_loop(Duration::from_millis(400)))
    });
    let profile = profiler.stop().expect("stop the cpu profiler");
    let path = scratch("runtime").join(if symbolize { "cpu.pprof" } else { "raw.pprof" });
    profile
        .write_to(std::fs::File::create(&path).unwrap())
        .unwrap();
    path
}

#[test]
fn go_tool_pprof_and_oxprof_show_the_hot_rust_function() {
    let path = profile_of_hot_loop(true);
    let path_s = path.to_str().unwrap();
    let ours = success(&run(&["-top", path_s]));
    let hot = "it::runtime::interop_hot_loop";
    assert!(ours.contains(hot), "oxprof -top:\n{ours}");
    assert!(
        !ours.contains("interop_hot_loop17h"),
        "names keep no hash:\n{ours}"
    );
    let lines = success(&run(&["-top", "-lines", path_s]));
    assert!(
        lines.contains(&format!("{hot} ")) && lines.contains("runtime.rs:"),
        "oxprof -top -lines shows file:line:\n{lines}"
    );
    let Some(mut go) = go_pprof() else { return };
    let out = go
        .args(["-top", "-tagfocus=test=interop", path_s])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "go tool pprof -top failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains(hot), "go tool pprof -top:\n{text}");
    let cum_percent: f64 = text
        .lines()
        .find(|l| l.ends_with(hot))
        .and_then(|l| l.split_whitespace().nth(4))
        .and_then(|c| c.trim_end_matches('%').parse().ok())
        .unwrap_or(0.0);
    assert!(
        cum_percent >= 90.0,
        "go tool pprof charges the hot loop with {cum_percent}% of the test thread's samples:\n{text}"
    );
}

#[test]
fn an_unsymbolized_profile_is_symbolized_later_from_the_binary() {
    let path = profile_of_hot_loop(false);
    let exe = std::env::current_exe().unwrap();
    let out = success(&run(&[
        "-top",
        exe.to_str().unwrap(),
        path.to_str().unwrap(),
    ]));
    assert!(
        out.contains("it::runtime::interop_hot_loop"),
        "oxprof -top BINARY PROFILE symbolizes by build id:\n{out}"
    );
}
