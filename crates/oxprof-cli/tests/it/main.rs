//! The `oxprof` binary from the outside, in one test binary: `cli` checks flags, help, errors,
//! the shell and HTTP fetching; `golden` checks reports byte for byte against `go tool pprof`;
//! `runtime` reads profiles the `oxprof` runtime crate takes of this test binary. All run the
//! binary through the helpers here. `benchstat` checks `oxprof benchstat`, `demo` `oxprof demo`,
//! `serve` `oxprof serve`, `trace` `oxprof trace`; `record` checks `oxprof record` and `cargo oxprof` on programs that
//! know nothing of oxprof.

mod benchstat;
mod cli;
mod demo;
mod flame;
mod golden;
mod graphs;
mod listing;
mod record;
mod runtime;
mod serve;
mod serve_browser;
mod serve_process;
mod trace;
mod trace_browser;
mod trace_web;
mod web;
mod web_browser;

use std::{
    io::Write,
    path::{Path, PathBuf},
    process::{Command, Output, Stdio},
    sync::atomic::{AtomicUsize, Ordering},
};

/// The path of a file under the repository's `testdata/`, as an argument for `oxprof`.
fn testdata(rel: &str) -> String {
    let path = oxprof_testutil::testdata(rel);
    path.to_str().expect("utf-8 path").to_string()
}

/// A fresh directory for one test's saved profiles and history.
fn scratch(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("oxprof-cli-{name}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

/// Runs `oxprof args` with `tmp` as its temp directory and `stdin` as its input.
fn oxprof(tmp: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_oxprof"))
        .args(args)
        .env("OXPROF_TMPDIR", tmp)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run oxprof");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().expect("wait for oxprof")
}

/// Runs `oxprof args` with empty input and a temp directory of its own.
fn run(args: &[&str]) -> Output {
    oxprof(&scratch("run"), args, "")
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("utf-8 stdout")
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).expect("utf-8 stderr")
}

/// Asserts success and returns standard output.
fn success(out: &Output) -> String {
    assert!(out.status.success(), "failed: {}", stderr(out));
    stdout(out)
}
