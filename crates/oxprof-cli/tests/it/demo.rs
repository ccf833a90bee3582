//! `oxprof demo` end to end on a reduced graph: the havlak example is built as the workspace
//! builds it (`cargo build -p havlak`, the dev profile the tests use), then the demo profiles
//! it, reports, compares and points further.

use std::{
    io::{BufRead, BufReader},
    path::PathBuf,
    process::{Command, Stdio},
};

use crate::{run, scratch, stderr, success};

/// The havlak example's binary, built with the cargo running the tests.
fn havlak() -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.toml");
    let mut child = Command::new(cargo)
        .args([
            "build",
            "-p",
            "havlak",
            "--bin",
            "havlak",
            "--message-format=json",
        ])
        .args(["--manifest-path", manifest])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("cargo runs");
    let mut executable = None;
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if line.contains(r#""reason":"compiler-artifact""#) && line.contains(r#""name":"havlak""#) {
            let message: serde_json::Value = serde_json::from_str(&line).unwrap();
            if let Some(path) = message["executable"].as_str() {
                executable = Some(PathBuf::from(path));
            }
        }
    }
    assert!(
        child.wait().unwrap().success(),
        "cargo build -p havlak failed"
    );
    executable.expect("cargo names the havlak binary")
}

#[test]
fn demo_profiles_compares_and_points_further() {
    let dir = scratch("demo");
    let havlak = havlak();
    let dir_flag = format!("-dir={}", dir.display());
    let havlak_flag = format!("-havlak={}", havlak.display());
    let out = success(&run(&["demo", &havlak_flag, &dir_flag, "-trees=1"]));

    for file in [
        "havlak-v1.cpu.pprof",
        "havlak-v1.heap.pprof",
        "havlak-tuned.cpu.pprof",
        "havlak-v1.bench.txt",
        "havlak-tuned.bench.txt",
    ] {
        assert!(dir.join(file).is_file(), "{file} missing:\n{out}");
    }
    // Both tops, each with its sentence, and the measured numbers in them.
    let v1_top = format!(
        "$ oxprof -top -nodecount=15 {}",
        dir.join("havlak-v1.cpu.pprof").display()
    );
    assert!(out.contains(&v1_top), "{out}");
    let share =
        regex::Regex::new(r"(\d+)% of\nv1's CPU time is inside HashMap and HashSet code").unwrap();
    let percent: u32 = share.captures(&out).unwrap_or_else(|| panic!("{out}"))[1]
        .parse()
        .unwrap();
    assert!(percent > 0, "{out}");
    assert!(out.contains("called from\nhavlak::stages::v1::"), "{out}");
    assert!(
        out.contains("-sample_index=alloc_space -show='havlak::'"),
        "{out}"
    );
    assert!(
        out.contains("Look at the flat column: havlak::stages::v1::find_loops allocated"),
        "{out}"
    );
    assert!(
        out.contains("No hash-map code is left (0% of the time)"),
        "{out}"
    );
    // benchstat's three tables, every change significant.
    for unit in ["sec/op", "B/op", "allocs/op"] {
        assert!(out.contains(unit), "{unit}: {out}");
    }
    assert_eq!(out.matches("(p=0.000 n=10)").count(), 3, "{out}");
    assert!(out.contains("oxprof -http=:8080 "), "{out}");
    assert!(out.contains("oxprof -list='stages::v1::dfs' "), "{out}");
}

#[test]
fn demo_errors_are_one_line() {
    let out = run(&["demo", "-havlak=/nonexistent/havlak", "-trees=1"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("oxprof: cannot run /nonexistent/havlak: "),
        "{err}"
    );
    let out = run(&["demo", "-trees=many"]);
    assert_eq!(
        stderr(&out),
        "oxprof: oxprof demo: -trees=many: give a number of trees from 1 to 100\n"
    );
}
