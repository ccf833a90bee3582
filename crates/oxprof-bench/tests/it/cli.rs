//! Flag errors and -timeout.

use std::process::Command;
use std::time::Duration;

use oxprof_bench::B;

use crate::support;

fn quick(b: &mut B) {
    for _ in 0..b.n() {}
}

pub fn flag_errors_exit_2_with_usage() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["-benchtime=fast"],
            "invalid value \"fast\" for flag -benchtime: invalid duration",
        ),
        (
            &["-count", "many"],
            "invalid value \"many\" for flag -count: parse error",
        ),
        (
            &["-cpu=1,zero"],
            "invalid value \"1,zero\" for flag -cpu: need positive integers",
        ),
        (
            &["-frobnicate"],
            "flag provided but not defined: -frobnicate",
        ),
        (
            &["-bench=Map/(x"],
            "invalid regexp for element 1 of -bench (\"(x\"): ",
        ),
        (&["-timeout"], "flag needs an argument: -timeout"),
    ];
    for (args, message) in cases {
        let run = support::run(args, &crate::benches!(quick));
        assert_eq!(run.status, 2, "{args:?}");
        let mut lines = run.stderr.lines();
        let first = lines.next().unwrap();
        assert!(
            first.starts_with(&format!("oxprof-bench: {message}")),
            "{args:?}: {first}"
        );
        assert!(
            lines.next().unwrap().starts_with("usage: cargo bench"),
            "{args:?}"
        );
        assert!(run.stdout.is_empty(), "{args:?} ran: {}", run.stdout);
    }
    let help = support::run(&["-h"], &crate::benches!(quick));
    assert_eq!(help.status, 0);
    assert!(help.stderr.contains("-benchtime d"));

    let unwritable = support::run(
        &[
            "--bench",
            "-benchtime=1x",
            "-cpuprofile=/nonexistent/dir/cpu.pprof",
        ],
        &crate::benches!(quick),
    );
    assert_eq!(unwritable.status, 2);
    assert!(
        unwritable
            .stderr
            .starts_with("oxprof-bench: can't create /nonexistent/dir/cpu.pprof: "),
        "{}",
        unwritable.stderr
    );
}

const CHILD: &str = "OXPROF_BENCH_IT_CHILD";

fn sleepy(b: &mut B) {
    for _ in 0..b.n() {
        std::thread::sleep(Duration::from_secs(5));
    }
}

/// The scenario a re-executed test binary runs instead of the checks, if any.
pub fn child_scenario() -> Option<fn()> {
    match std::env::var(CHILD).ok()?.as_str() {
        "timeout" => Some(|| {
            oxprof_bench::run_and_exit("oxprof-bench/it", &crate::benches!(quick, sleepy));
        }),
        other => panic!("unknown {CHILD} scenario {other:?}"),
    }
}

pub fn timeout_exits_2_naming_the_benchmark() {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--bench", "-benchtime=2x", "-timeout=300ms"])
        .env(CHILD, "timeout")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("panic: test timed out after 300ms\nrunning benchmark:\n\tBenchmarkSleepy"),
        "{stderr}"
    );
    // The benchmark before it was reported.
    assert!(String::from_utf8_lossy(&out.stdout).contains("BenchmarkQuick"));
}
