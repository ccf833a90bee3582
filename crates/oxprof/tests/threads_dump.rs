//! Thread dumps of a program with eight named threads parked in known functions, four in each
//! of two, each four with their own labels: every form of the dump lists all eight with those
//! frames; the counted forms count four per function; `go tool pprof` reads the proto and the
//! text; oxprof's parser reads the text back as the samples it printed; the dump's own frames
//! never show.

use std::collections::HashMap;
use std::hint::black_box;
use std::process::Command;
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

use oxprof::Profile;

const ALPHA: &str = "threads_dump::parked_in_alpha";
const BETA: &str = "threads_dump::parked_in_beta";

/// A gate that never opens: the parked threads wait on it for the life of the test binary.
static GATE: (Mutex<bool>, Condvar) = (Mutex::new(false), Condvar::new());

#[inline(never)]
fn parked_in_alpha() -> u64 {
    let mut open = GATE.0.lock().unwrap();
    while !*open {
        open = GATE.1.wait(open).unwrap();
    }
    black_box(0xa1fa)
}

#[inline(never)]
fn parked_in_beta() -> u64 {
    let mut open = GATE.0.lock().unwrap();
    while !*open {
        open = GATE.1.wait(open).unwrap();
    }
    black_box(0xbe7a)
}

/// The parked threads' ids, by name (`parked-0` … `parked-7`), once all eight sleep in their
/// function.
fn parked() -> &'static HashMap<String, u32> {
    static PARKED: OnceLock<HashMap<String, u32>> = OnceLock::new();
    PARKED.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        for i in 0..8 {
            let tx = tx.clone();
            std::thread::Builder::new()
                .name(format!("parked-{i}"))
                .spawn(move || {
                    // SAFETY: gettid has no preconditions.
                    tx.send((i, unsafe { libc::gettid() } as u32)).unwrap();
                    drop(tx);
                    let (pool, park): (&str, fn() -> u64) = if i < 4 {
                        ("alpha", parked_in_alpha)
                    } else {
                        ("beta", parked_in_beta)
                    };
                    oxprof::labels::scope(&[("pool", pool)], park)
                })
                .unwrap();
        }
        drop(tx);
        let tids: HashMap<String, u32> = rx
            .iter()
            .map(|(i, tid)| (format!("parked-{i}"), tid))
            .collect();
        for &tid in tids.values() {
            wait_until_sleeping_on_futex(tid);
        }
        tids
    })
}

fn wait_until_sleeping_on_futex(tid: u32) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).unwrap();
        let state = stat.rsplit(')').next().unwrap().trim_start().chars().next();
        let wchan = std::fs::read_to_string(format!("/proc/self/task/{tid}/wchan")).unwrap();
        if state == Some('S') && wchan.contains("futex") {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "thread {tid} never parked: {state:?} {wchan}"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn dump(debug: u8) -> Vec<u8> {
    parked();
    let mut out = Vec::new();
    oxprof::threads::dump(debug, &mut out).unwrap();
    out
}

fn function_names(profile: &Profile, location_ids: &[u64]) -> Vec<String> {
    let mut names = Vec::new();
    for id in location_ids {
        let location = profile.location.iter().find(|l| l.id == *id).unwrap();
        for line in &location.line {
            let function = profile
                .function
                .iter()
                .find(|f| f.id == line.function_id)
                .unwrap();
            names.push(function.name.clone());
        }
    }
    names
}

#[test]
fn the_full_dump_lists_every_parked_thread_with_its_state_labels_and_frames() {
    let text = String::from_utf8(dump(2)).unwrap();
    let blocks: Vec<&str> = text.split("\n\n").filter(|b| !b.is_empty()).collect();
    for (name, tid) in parked() {
        let header = format!("thread {tid} \"{name}\" [sleeping, futex");
        let block = blocks
            .iter()
            .find(|b| b.starts_with(&header))
            .unwrap_or_else(|| panic!("no block starting {header:?} in\n{text}"));
        let index: usize = name["parked-".len()..].parse().unwrap();
        let (function, pool) = if index < 4 {
            (ALPHA, "alpha")
        } else {
            (BETA, "beta")
        };
        let lines: Vec<&str> = block.lines().collect();
        assert_eq!(
            lines[1],
            format!("# labels: {{\"pool\":\"{pool}\"}}"),
            "{block}"
        );
        let at = lines
            .iter()
            .position(|l| *l == format!("{function}(...)"))
            .unwrap_or_else(|| panic!("{function} missing from\n{block}"));
        assert!(
            lines[at + 1].starts_with('\t')
                && lines[at + 1].ends_with(&format!("threads_dump.rs:{}", line_of(function))),
            "{block}"
        );
    }
}

/// The line of the `wait` call in each parked function (symbolized return addresses point at
/// the call).
fn line_of(function: &str) -> u32 {
    let source = include_str!("threads_dump.rs");
    let start = source
        .find(&format!("fn {}()", function.rsplit("::").next().unwrap()))
        .unwrap();
    let offset = source[start..].find("GATE.1.wait").unwrap();
    source[..start + offset].lines().count() as u32
}

#[test]
fn the_calling_thread_comes_first_without_the_dump_machinery() {
    let text = String::from_utf8(dump(2)).unwrap();
    let first = text.split("\n\n").next().unwrap();
    let lines: Vec<&str> = first.lines().collect();
    // SAFETY: gettid has no preconditions.
    let me = unsafe { libc::gettid() };
    assert!(lines[0].starts_with(&format!("thread {me} ")), "{first}");
    assert!(lines[0].contains("[running"), "{first}");
    assert_eq!(lines[1], "threads_dump::dump(...)", "{first}");
    assert!(!first.contains("oxprof::"), "{first}");
}

#[test]
fn concurrent_dumps_take_turns_and_never_show_the_dump_machinery() {
    parked();
    let dumpers: Vec<_> = (0..3)
        .map(|_| {
            std::thread::spawn(|| {
                (0..2)
                    .map(|_| String::from_utf8(dump(2)).unwrap())
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for dumper in dumpers {
        for text in dumper.join().unwrap() {
            for name in parked().keys() {
                assert!(
                    text.contains(&format!(" \"{name}\" [")),
                    "{name} missing from\n{text}"
                );
            }
            // A dumper waiting for its turn, or symbolizing its own dump, is cut at its call.
            assert!(!text.contains("oxprof::threads::"), "{text}");
        }
    }
}

#[test]
fn the_proto_counts_four_threads_per_function_with_their_labels() {
    let profile = Profile::parse(&dump(0)).unwrap();
    assert_eq!(profile.sample_type[0].ty, "goroutine");
    assert_eq!(profile.sample_type[0].unit, "count");
    assert_eq!(profile.period, 1);
    for (function, pool) in [(ALPHA, "alpha"), (BETA, "beta")] {
        let matching: Vec<_> = profile
            .sample
            .iter()
            .filter(|s| {
                function_names(&profile, &s.location_id)
                    .iter()
                    .any(|n| n == function)
            })
            .collect();
        assert_eq!(matching.len(), 1, "one sample for {function}: {matching:?}");
        assert_eq!(matching[0].value, [4]);
        assert_eq!(
            matching[0].label,
            [oxprof_profile::Label::str("pool", pool)]
        );
    }
    let total: i64 = profile.sample.iter().map(|s| s.value[0]).sum();
    assert!(total >= 9, "{total}");
}

#[test]
fn the_counted_text_groups_each_function_and_parses_back() {
    let text = String::from_utf8(dump(1)).unwrap();
    let header = text.lines().next().unwrap();
    let total: i64 = header
        .strip_prefix("goroutine profile: total ")
        .unwrap_or_else(|| panic!("{header}"))
        .parse()
        .unwrap();
    let parsed = Profile::parse(text.as_bytes()).unwrap();
    assert_eq!(parsed.sample.iter().map(|s| s.value[0]).sum::<i64>(), total);
    let records = &text[header.len() + 1..];
    for (function, pool) in [(ALPHA, "alpha"), (BETA, "beta")] {
        let record = records
            .split("\n\n")
            .find(|r| r.contains(&format!("\t{function}\t")))
            .unwrap_or_else(|| panic!("no record of {function} in\n{text}"));
        let lines: Vec<&str> = record.lines().collect();
        let (count, addresses) = lines[0].split_once(" @ ").unwrap();
        assert_eq!(count, "4", "{record}");
        assert_eq!(lines[1], format!("# labels: {{\"pool\":\"{pool}\"}}"));
        // The parsed sample has the record's addresses (as call sites, one byte back).
        let calls: Vec<u64> = addresses
            .split(' ')
            .map(|a| u64::from_str_radix(&a[2..], 16).unwrap() - 1)
            .collect();
        let sample = parsed
            .sample
            .iter()
            .find(|s| {
                let addrs: Vec<u64> = s
                    .location_id
                    .iter()
                    .map(|id| {
                        parsed
                            .location
                            .iter()
                            .find(|l| l.id == *id)
                            .unwrap()
                            .address
                    })
                    .collect();
                addrs == calls
            })
            .unwrap_or_else(|| panic!("no parsed sample with the addresses of\n{record}"));
        assert_eq!(sample.value, [4]);
    }
}

#[test]
fn go_tool_pprof_reads_the_proto_and_the_text() {
    let dir = std::env::temp_dir();
    let proto = dir.join(format!("oxprof-{}-goroutine.pprof", std::process::id()));
    let text = dir.join(format!("oxprof-{}-goroutine.txt", std::process::id()));
    std::fs::write(&proto, dump(0)).unwrap();
    std::fs::write(&text, dump(1)).unwrap();
    let Some(mut top) = oxprof_testutil::go_pprof() else {
        return;
    };
    let out = run(top.args(["-top", "-nodecount=1000"]).arg(&proto));
    assert!(out.contains("Type: goroutine"), "{out}");
    assert!(out.contains(ALPHA) && out.contains(BETA), "{out}");
    let mut traces = oxprof_testutil::go_pprof().unwrap();
    let out = run(traces.arg("-traces").arg(&proto));
    let alpha_trace = out
        .split("-----------+-------------------------------------------------------")
        .find(|t| t.contains(ALPHA))
        .unwrap_or_else(|| panic!("{out}"));
    let lines: Vec<&str> = alpha_trace.trim().lines().map(str::trim).collect();
    assert_eq!(lines[0], "pool:  alpha", "{alpha_trace}");
    assert!(lines[1].starts_with("4 "), "{alpha_trace}");
    let mut raw = oxprof_testutil::go_pprof().unwrap();
    let out = run(raw.arg("-raw").arg(&text));
    assert!(out.contains("goroutine/count"), "{out}");
    let _ = std::fs::remove_file(proto);
    let _ = std::fs::remove_file(text);
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}
