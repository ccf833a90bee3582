//! `oxprof record` and `cargo oxprof` from the outside, on programs that know nothing of
//! oxprof: C programs built here with `cc` (one without unwind tables, one that forks and
//! execs, one killed by SIGTERM, one statically linked, one allocating on eight threads at
//! once while it loads a library), and the Rust crate in
//! `tests/fixtures/workload`, whose tests, bench and program spend their CPU time in `hot_spin`
//! and allocate in `alloc_heavy`. The fixture is built by cargo into a target directory shared
//! by this test binary, so it is compiled once per profile however many tests use it.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use oxprof_testutil::go_pprof;

use crate::{run, scratch, stderr, success};

/// The fixture crate's manifest.
fn fixture_manifest() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/workload/Cargo.toml")
}

/// Where the fixture is built, and where the preload library is cached, for every test here.
fn shared(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(name)
}

/// A command for `bin` (`oxprof` or `cargo`) run as a user would run it in `dir`: the binaries
/// under test first in `PATH`, the preload cached in this test binary's directory, the fixture
/// built into its own target directory.
fn user_command(bin: &str, dir: &Path) -> Command {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_oxprof")).parent().unwrap();
    let path = std::env::join_paths(std::iter::once(bin_dir.to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    let program = match bin {
        "oxprof" => PathBuf::from(env!("CARGO_BIN_EXE_oxprof")),
        other => PathBuf::from(other),
    };
    let mut command = Command::new(program);
    command
        .current_dir(dir)
        .env("PATH", path)
        .env("XDG_CACHE_HOME", shared("cache"))
        .env("CARGO_TARGET_DIR", shared("fixture-target"))
        .env_remove("OXPROF_PRELOAD")
        .env_remove("LD_PRELOAD")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS");
    command
}

/// Runs `oxprof record args` in `dir`.
fn record(dir: &Path, args: &[&str]) -> Output {
    user_command("oxprof", dir)
        .arg("record")
        .args(args)
        .output()
        .expect("run oxprof record")
}

/// Builds a C program from `source` with `cc` and `flags`.
fn cc(dir: &Path, name: &str, source: &str, flags: &[&str]) -> PathBuf {
    let c = dir.join(format!("{name}.c"));
    std::fs::write(&c, source).unwrap();
    let out = dir.join(name);
    let built = Command::new("cc")
        .args(flags)
        .arg("-o")
        .arg(&out)
        .arg(&c)
        .output()
        .expect("cc is installed (.ci/run installs gcc)");
    assert!(
        built.status.success(),
        "cc: {}",
        String::from_utf8_lossy(&built.stderr)
    );
    out
}

/// The function names of `oxprof -top` rows, heaviest first, for `args` and `profile`.
fn top(profile: &Path, args: &[&str]) -> Vec<String> {
    let mut all = vec!["-top"];
    all.extend(args);
    let profile = profile.to_str().unwrap();
    all.push(profile);
    let text = success(&run(&all));
    text.lines()
        .skip_while(|l| !l.trim_start().starts_with("flat"))
        .skip(1)
        .map(|l| l.split_whitespace().skip(5).collect::<Vec<_>>().join(" "))
        .collect()
}

/// Asserts `go tool pprof -top` reads `profile` and shows `function`.
fn go_reads(profile: &Path, args: &[&str], function: &str) {
    let Some(mut pprof) = go_pprof() else {
        return;
    };
    let out = pprof.arg("-top").args(args).arg(profile).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains(function),
        "go tool pprof -top {}: {text}{}",
        profile.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

const C_WORK: &str = r#"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) unsigned long c_spin(unsigned long n) {
    volatile unsigned long x = 88172645463325252UL;
    for (unsigned long i = 0; i < n; i++) { x ^= x << 13; x ^= x >> 7; x ^= x << 17; }
    return x;
}

/* Blocks escape through `sink`, so the compiler cannot drop a malloc and free pair. */
void *volatile sink;

__attribute__((noinline)) size_t c_allocate(int n) {
    size_t total = 0;
    for (int i = 0; i < n; i++) {
        char *block = malloc(2048 + (i % 5) * 16);
        memset(block, i, 64);
        sink = block;
        total += block[7];
        free(block);
    }
    return total;
}

int main(void) {
    printf("%lu %zu\n", c_spin(150000000UL), c_allocate(100000));
    return 0;
}
"#;

#[test]
fn a_c_program_gets_cpu_and_heap_profiles_go_tool_pprof_reads() {
    let dir = scratch("record-c");
    let program = cc(&dir, "work", C_WORK, &["-O2"]);
    let out = record(
        &dir,
        &[
            "-cpuprofile",
            "cpu.out",
            "-memprofile",
            "mem.out",
            "--",
            program.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(said.contains("CPU profile of"), "{said}");
    assert!(
        said.contains("oxprof: view with: oxprof -top cpu.out"),
        "{said}"
    );
    let cpu = dir.join("cpu.out");
    assert_eq!(top(&cpu, &[])[0], "c_spin");
    let mem = dir.join("mem.out");
    // malloc and the preload's own frames are cut: the allocation is charged to its caller,
    // about 100,000 blocks of 2 KiB (one sample per 512 KiB, unsampled).
    assert_eq!(top(&mem, &["-sample_index=alloc_space"])[0], "c_allocate");
    let total = success(&run(&[
        "-top",
        "-sample_index=alloc_space",
        mem.to_str().unwrap(),
    ]));
    assert!(total.contains("MB total"), "{total}");
    go_reads(&cpu, &[], "c_spin");
    go_reads(&mem, &["-sample_index=alloc_space"], "c_allocate");
}

#[test]
fn code_without_unwind_tables_is_walked_by_its_frame_pointers() {
    let dir = scratch("record-no-cfi");
    let program = cc(
        &dir,
        "nocfi",
        C_WORK,
        &[
            "-O0",
            "-fno-omit-frame-pointer",
            "-fno-asynchronous-unwind-tables",
            "-fno-unwind-tables",
        ],
    );
    let out = record(&dir, &["--", program.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let cpu = dir.join("cpu.out");
    assert_eq!(top(&cpu, &[])[0], "c_spin");
    let traces = success(&run(&["-traces", cpu.to_str().unwrap()]));
    assert!(
        traces.contains("c_spin\n") && traces.contains("main\n"),
        "c_spin's callers are found without CFI:\n{traces}"
    );
}

const C_FORK: &str = r#"
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

__attribute__((noinline)) unsigned long spin(unsigned long n, unsigned long seed) {
    volatile unsigned long x = seed;
    for (unsigned long i = 0; i < n; i++) { x ^= x << 13; x ^= x >> 7; x ^= x << 17; }
    return x;
}
/* Work after each call keeps it a call, not a jump, so the callers stay on the stack. */
__attribute__((noinline)) unsigned long child_work(void) {
    unsigned long r = spin(120000000UL, 3);
    return r ^ (r >> 3);
}
__attribute__((noinline)) unsigned long parent_work(void) {
    unsigned long r = spin(120000000UL, 5);
    return r ^ (r >> 5);
}

int main(void) {
    fflush(stdout);
    pid_t forked = fork();
    if (forked == 0) {
        printf("child %d %lu\n", getpid(), child_work());
        exit(0);
    }
    pid_t execed = fork();
    if (execed == 0) {
        /* A program that ends through exit(), as most do (dash's `exit` calls _exit). */
        execlp("true", "true", (char *)0);
        _exit(127);
    }
    unsigned long x = parent_work();
    int status;
    waitpid(forked, &status, 0);
    waitpid(execed, &status, 0);
    printf("parent %lu\n", x);
    return 0;
}
"#;

#[test]
fn forked_and_execed_children_write_their_own_profiles() {
    let dir = scratch("record-fork");
    let program = cc(&dir, "forks", C_FORK, &["-O2"]);
    let out = record(
        &dir,
        &[
            "-cpuprofile",
            "cpu.out",
            "-trace",
            "t.trace",
            "--",
            program.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let child: u32 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("child "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|pid| pid.parse().ok())
        .unwrap_or_else(|| panic!("the child says its pid: {stdout}"));
    let parent = top(&dir.join("cpu.out"), &["-cum"]);
    assert!(parent.iter().any(|f| f == "parent_work"), "{parent:?}");
    assert!(!parent.iter().any(|f| f == "child_work"), "{parent:?}");
    let forked = top(&dir.join(format!("cpu.out.{child}")), &["-cum"]);
    assert!(forked.iter().any(|f| f == "child_work"), "{forked:?}");
    assert!(!forked.iter().any(|f| f == "parent_work"), "{forked:?}");
    // The exec'd `true` loaded the preload itself and wrote a file of its own.
    let files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("cpu.out."))
        .collect();
    assert_eq!(files.len(), 2, "{files:?}");
    let said = stderr(&out);
    assert!(said.contains(&format!("child process {child}")), "{said}");
    assert!(!said.contains(".tmp"), "no temporary file is left: {said}");
    // Traces: the parent's, whole, with its own samples only; none from the forked child (the
    // tracer's thread stays in the parent); one from the exec'd program.
    let trace = read_trace(&dir.join("t.trace"));
    let sampled: Vec<String> = trace_samples(&trace)
        .into_iter()
        .flat_map(|(_, f)| f)
        .collect();
    assert!(sampled.iter().any(|f| f == "parent_work"), "{sampled:?}");
    assert!(!sampled.iter().any(|f| f == "child_work"), "{sampled:?}");
    assert!(!dir.join(format!("t.trace.{child}")).exists());
    let traces: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("t.trace."))
        .collect();
    assert_eq!(traces.len(), 1, "{traces:?}");
    read_trace(&dir.join(&traces[0]));
}

const C_FOREVER: &str = r#"
#include <stdio.h>
#include <unistd.h>

__attribute__((noinline)) void spin_until_killed(void) {
    volatile unsigned long x = 7;
    for (;;) { x ^= x << 13; x ^= x >> 7; x ^= x << 17; }
}

int main(void) {
    printf("%d\n", getpid());
    fflush(stdout);
    spin_until_killed();
}
"#;

#[test]
fn a_program_killed_by_sigterm_leaves_its_profiles() {
    let dir = scratch("record-sigterm");
    let program = cc(&dir, "forever", C_FOREVER, &["-O2"]);
    let mut launcher = user_command("oxprof", &dir)
        .args([
            "record",
            "-memprofile",
            "mem.out",
            "-cpuprofile",
            "cpu.out",
            "--",
        ])
        .arg(&program)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(launcher.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let pid: i32 = line.trim().parse().expect("the program prints its pid");
    std::thread::sleep(Duration::from_millis(600));
    // SAFETY: kill has no memory preconditions; `pid` is the program's.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let out = launcher.wait_with_output().unwrap();
    let said = stderr(&out);
    assert_eq!(out.status.code(), Some(128 + libc::SIGTERM), "{said}");
    assert!(said.contains("was killed by signal 15"), "{said}");
    assert_eq!(top(&dir.join("cpu.out"), &[])[0], "spin_until_killed");
    assert!(dir.join("mem.out").exists(), "{said}");
}

#[test]
fn programs_the_loader_would_not_preload_into_are_refused() {
    let dir = scratch("record-static");
    let program = cc(&dir, "static", "int main(void) { return 0; }", &["-static"]);
    let out = record(&dir, &["--", program.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let said = stderr(&out);
    assert!(said.starts_with("oxprof: "), "{said}");
    assert!(said.contains("is statically linked"), "{said}");
    assert!(!dir.join("cpu.out").exists());

    let out = record(&dir, &["--", "no-such-program-anywhere"]);
    assert_eq!(
        stderr(&out),
        "oxprof: no-such-program-anywhere: no such program in $PATH\n"
    );
}

#[test]
fn libraries_of_another_version_are_refused() {
    let dir = scratch("record-version");
    let program = cc(&dir, "quick", "int main(void) { return 0; }", &["-O2"]);
    // Not a preload library at all.
    let libm = [
        "/lib/x86_64-linux-gnu/libm.so.6",
        "/lib/aarch64-linux-gnu/libm.so.6",
    ]
    .into_iter()
    .find(|p| Path::new(p).exists());
    if let Some(libm) = libm {
        let out = user_command("oxprof", &dir)
            .env("OXPROF_PRELOAD", libm)
            .args(["record", "--"])
            .arg(&program)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(
            stderr(&out).contains("not an oxprof preload library"),
            "{}",
            stderr(&out)
        );
    }
    // The library itself refuses settings from a launcher of another version.
    let ok = record(&dir, &["--", program.to_str().unwrap()]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    let library = std::fs::read_dir(shared("cache").join("oxprof"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "so"))
        .expect("the library was cached");
    let out = Command::new(&program)
        .current_dir(&dir)
        .env("LD_PRELOAD", &library)
        .env("OXPROF_VERSION", "0.0.0-other")
        .env("OXPROF_CPUPROFILE", dir.join("other.out"))
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        stderr(&out).contains("but the oxprof that injected it is version 0.0.0-other"),
        "{}",
        stderr(&out)
    );
    assert!(!dir.join("other.out").exists());
}

/// Runs `cargo oxprof subcommand args` on the fixture, from `dir`.
fn cargo_oxprof(dir: &Path, subcommand: &str, args: &[&str]) -> Output {
    user_command("cargo", dir)
        .args(["oxprof", subcommand, "--manifest-path"])
        .arg(fixture_manifest())
        .args(args)
        .output()
        .expect("run cargo oxprof")
}

#[test]
fn cargo_oxprof_test_profiles_a_crate_that_knows_nothing_of_oxprof() {
    let dir = scratch("cargo-test");
    let out = cargo_oxprof(
        &dir,
        "test",
        &[
            "--cpuprofile",
            "cpu.out",
            "--memprofile",
            "mem.out",
            "-per-binary",
        ],
    );
    let said = stderr(&out);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("test result: ok")
            || String::from_utf8_lossy(&out.stdout).contains("test result: ok")
    );
    assert!(
        said.contains("oxprof: view with: oxprof -top cpu.out"),
        "{said}"
    );
    let cpu = dir.join("cpu.out");
    assert_eq!(top(&cpu, &[])[0], "oxprof_fixture::hot_spin", "{said}");
    let mem = dir.join("mem.out");
    assert_eq!(
        top(&mem, &["-sample_index=alloc_space"])[0],
        "oxprof_fixture::alloc_heavy",
        "{said}"
    );
    // The integration tests' binary on its own.
    assert!(dir.join("cpu.out.work").exists(), "{said}");
    go_reads(&cpu, &[], "oxprof_fixture::hot_spin");
    go_reads(
        &mem,
        &["-sample_index=alloc_space"],
        "oxprof_fixture::alloc_heavy",
    );
}

#[test]
fn cargo_oxprof_bench_builds_optimized_code_with_line_tables() {
    let dir = scratch("cargo-bench");
    let out = cargo_oxprof(&dir, "bench", &["--cpuprofile", "cpu.out"]);
    let said = stderr(&out);
    assert!(out.status.success(), "{said}");
    let cpu = dir.join("cpu.out");
    let lines = top(&cpu, &["-lines"]);
    assert!(
        lines[0].starts_with("oxprof_fixture::hot_spin ") && lines[0].contains("lib.rs:"),
        "optimized, yet with file and line: {lines:?}"
    );
}

#[test]
fn oxprof_record_and_cargo_oxprof_run_profile_a_rust_program() {
    let dir = scratch("cargo-run");
    let out = cargo_oxprof(&dir, "run", &["--cpuprofile", "run.out", "--", "30"]);
    let said = stderr(&out);
    assert!(out.status.success(), "{said}");
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("spun "),
        "{said}"
    );
    assert_eq!(
        top(&dir.join("run.out"), &[])[0],
        "oxprof_fixture::hot_spin"
    );

    let program = shared("fixture-target").join("debug/oxprof-fixture");
    let out = record(
        &dir,
        &[
            "-o",
            "profiles",
            "-memprofile",
            "mem.out",
            "--",
            program.to_str().unwrap(),
            "10",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let mem = dir.join("profiles/mem.out");
    assert_eq!(
        top(&mem, &["-sample_index=alloc_space"])[0],
        "oxprof_fixture::alloc_heavy"
    );
}

/// The trace at `path`, which must parse whole.
fn read_trace(path: &Path) -> oxprof_trace::Trace {
    let data = std::fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let trace = oxprof_trace::parse(&data).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(trace.warnings.is_empty(), "{:?}", trace.warnings);
    trace
}

/// The CPU samples of `trace`: each one's thread and functions, leaf first.
fn trace_samples(trace: &oxprof_trace::Trace) -> Vec<(u64, Vec<String>)> {
    trace
        .events
        .iter()
        .filter_map(|e| match e.kind {
            oxprof_trace::EventKind::CpuSample { stack } => Some((
                e.thread,
                oxprof_trace::timeline::stack_functions(trace, stack),
            )),
            _ => None,
        })
        .collect()
}

#[test]
fn cargo_oxprof_test_traces_each_binary_apart() {
    let dir = scratch("cargo-trace");
    let out = cargo_oxprof(&dir, "test", &["--trace", "t.trace"]);
    let said = stderr(&out);
    assert!(out.status.success(), "{said}");
    // The library's unit tests, the program's, the integration tests: one process each.
    for (binary, comm) in [
        ("oxprof_fixture", "oxprof_fixture-"),
        ("oxprof-fixture", "oxprof_fixture-"),
        ("work", "work-"),
    ] {
        let path = dir.join(format!("t.trace.{binary}"));
        assert!(
            said.contains(&format!(
                "oxprof: execution trace of {binary} (1 process): t.trace.{binary}\n"
            )),
            "{said}"
        );
        let trace = read_trace(&path);
        assert!(
            trace.threads.values().any(|t| t.name.starts_with(comm)),
            "{binary}: the harness's main thread: {:?}",
            trace.threads
        );
        assert!(
            trace_samples(&trace).is_empty(),
            "no CPU profile, no samples"
        );
    }
    assert!(!dir.join("t.trace").exists(), "{said}");
    assert!(
        said.contains("oxprof: view with: oxprof trace t.trace.oxprof_fixture"),
        "{said}"
    );
    assert!(!said.contains("oxprof -top"), "no profile to show: {said}");
}

#[test]
fn oxprof_record_and_cargo_oxprof_run_trace_a_rust_program() {
    let dir = scratch("cargo-run-trace");
    let out = cargo_oxprof(
        &dir,
        "run",
        &[
            "--trace",
            "run.trace",
            "--cpuprofile",
            "cpu.out",
            "--",
            "30",
        ],
    );
    let said = stderr(&out);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("oxprof: view with: oxprof -top cpu.out\n")
            && said.contains("oxprof: view with: oxprof trace run.trace\n"),
        "{said}"
    );
    let trace = read_trace(&dir.join("run.trace"));
    let main = trace
        .threads
        .values()
        .find(|t| t.name == "oxprof-fixture")
        .unwrap_or_else(|| panic!("the program's thread: {:?}", trace.threads));
    // With the CPU profile on, its samples are in the trace, on the program's thread.
    let samples = trace_samples(&trace);
    assert!(
        samples
            .iter()
            .any(|(tid, f)| *tid == main.tid && f.iter().any(|f| f == "oxprof_fixture::hot_spin")),
        "{samples:?}"
    );

    let program = shared("fixture-target").join("debug/oxprof-fixture");
    let out = record(
        &dir,
        &[
            "-o",
            "traces",
            "-trace",
            "r.trace",
            "--",
            program.to_str().unwrap(),
            "5",
        ],
    );
    let said = stderr(&out);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("oxprof: view with: oxprof trace traces/r.trace"),
        "{said}"
    );
    let trace = read_trace(&dir.join("traces/r.trace"));
    assert!(
        trace.threads.values().any(|t| t.name == "oxprof-fixture"),
        "{:?}",
        trace.threads
    );
    assert!(trace_samples(&trace).is_empty());
}

/// Eight threads churning through `malloc`, `calloc`, `realloc` and `free` while the main
/// thread loads and unloads a library: the preload's allocation path under every thread at
/// once, with every allocation sampled.
const C_STORM: &str = r#"
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define THREADS 8
#define ROUNDS 20000

__attribute__((noinline)) void *storm(void *arg) {
    unsigned long x = (unsigned long)arg * 2654435761UL + 1;
    for (int i = 0; i < ROUNDS; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        size_t n = 16 + x % 1000;
        char *p = malloc(n);
        memset(p, 1, n);
        char *q = calloc(1, n);
        p = realloc(p, 2 * n);
        p[2 * n - 1] = q[n - 1];
        free(q);
        free(p);
    }
    return 0;
}

int main(void) {
    pthread_t t[THREADS];
    for (long i = 0; i < THREADS; i++) pthread_create(&t[i], 0, storm, (void *)i);
    for (int i = 0; i < 20; i++) {
        void *lib = dlopen("libz.so.1", RTLD_NOW);
        if (lib) dlclose(lib);
    }
    for (int i = 0; i < THREADS; i++) pthread_join(t[i], 0);
    return 0;
}
"#;

#[test]
fn an_allocation_storm_on_eight_threads_with_every_allocation_sampled() {
    let dir = scratch("record-storm");
    let program = cc(&dir, "storm", C_STORM, &["-O2", "-pthread", "-ldl"]);
    let started = std::time::Instant::now();
    let out = record(
        &dir,
        &[
            "-memprofile",
            "mem.out",
            "-memprofilerate",
            "1",
            "--",
            program.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        started.elapsed() < Duration::from_secs(120),
        "took {:?}",
        started.elapsed()
    );
    let profile =
        oxprof_profile::Profile::parse(&std::fs::read(dir.join("mem.out")).unwrap()).unwrap();
    let index = |ty: &str| profile.sample_type.iter().position(|t| t.ty == ty).unwrap();
    let (allocs, inuse) = (index("alloc_objects"), index("inuse_objects"));
    let in_storm =
        |s: &&oxprof_profile::Sample| oxprof_testutil::profiles::has_function(&profile, s, "storm");
    let sum = |i: usize| -> i64 {
        profile
            .sample
            .iter()
            .filter(in_storm)
            .map(|s| s.value[i])
            .sum()
    };
    // At rate 1 nothing is estimated: malloc, calloc and realloc (a new block, as pprof sees
    // it) on each of 20,000 rounds of 8 threads, all freed by the end.
    assert_eq!(sum(allocs), 8 * 20_000 * 3);
    assert_eq!(sum(inuse), 0);
}
