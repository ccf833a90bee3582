//! Helpers shared by oxprof's tests: where the bundled test data lives, and how to run the
//! reference implementation, `go tool pprof`, and Graphviz's `dot`; [`chromium`] drives a
//! headless browser for the web UI's tests; [`profiles`] asks questions of a profile's
//! samples.
//!
//! Interop tests need `go` (and graph tests Graphviz's `dot`). On a developer machine without
//! them they skip with a note; under `CI=true` a missing one fails the test, because CI must
//! install it (`.ci/run` does).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod chromium;
pub mod profiles;

use std::{
    path::{Path, PathBuf},
    process::Command,
};

/// The path of a file under the repository's `testdata/` directory.
///
/// ```
/// let cpu = oxprof_testutil::testdata("go/cpu.pprof");
/// assert!(cpu.exists());
/// ```
pub fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(rel)
}

/// Reads a file under `testdata/`, panicking with its path when it is missing.
///
/// ```
/// let bytes = oxprof_testutil::read_testdata("go/heap.pprof");
/// assert_eq!(&bytes[..2], b"\x1f\x8b");
/// ```
pub fn read_testdata(rel: &str) -> Vec<u8> {
    let path = testdata(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// A `go tool pprof` command ready for arguments, or `None` (after printing why) when `go` is
/// not installed outside CI. Panics when `go` is missing and `CI` is set.
///
/// Its cache of fetched profiles goes to the system temp directory, never the home directory.
///
/// ```no_run
/// if let Some(mut pprof) = oxprof_testutil::go_pprof() {
///     let out = pprof.args(["-top", "cpu.pprof"]).output().unwrap();
///     assert!(out.status.success());
/// }
/// ```
pub fn go_pprof() -> Option<Command> {
    let found = Command::new("go")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "go is not installed but CI is set: .ci/run must install golang-go"
        );
        eprintln!("note: go is not installed; skipping a go tool pprof interop check");
        return None;
    }
    let mut cmd = Command::new("go");
    cmd.args(["tool", "pprof"])
        .env("PPROF_TMPDIR", std::env::temp_dir());
    Some(cmd)
}

/// Graphviz's `dot` command ready for arguments, or `None` (after printing why) when it is not
/// installed outside CI. Panics when `dot` is missing and `CI` is set.
///
/// ```no_run
/// if let Some(mut dot) = oxprof_testutil::graphviz_dot() {
///     assert!(dot.arg("-V").output().unwrap().status.success());
/// }
/// ```
pub fn graphviz_dot() -> Option<Command> {
    let found = Command::new("dot")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "Graphviz's dot is not installed but CI is set: .ci/run must install graphviz"
        );
        eprintln!("note: Graphviz's dot is not installed; skipping a Graphviz check");
        return None;
    }
    Some(Command::new("dot"))
}

/// A Python interpreter that has Perfetto's protobuf bindings (PyPI `perfetto`, with
/// `protobuf`), or `None` (after printing why) when there is none outside CI. Panics when they
/// are missing and `CI` is set.
///
/// ```no_run
/// if let Some(python) = oxprof_testutil::python_perfetto() {
///     let ok = std::process::Command::new(python).arg("-c").arg("pass").status().unwrap();
///     assert!(ok.success());
/// }
/// ```
pub fn python_perfetto() -> Option<&'static str> {
    let found = Command::new("python3")
        .args([
            "-c",
            "import perfetto.protos.perfetto.trace.perfetto_trace_pb2",
        ])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "Python's perfetto bindings are missing but CI is set: .ci/run must pip install perfetto"
        );
        eprintln!("note: python3 with the perfetto package is missing; skipping a Perfetto check");
        return None;
    }
    Some("python3")
}
