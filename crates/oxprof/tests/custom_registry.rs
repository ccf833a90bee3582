//! The registry of named profiles: every profile, built in or custom, found by name (and the
//! `threads` alias), described, counted, and written with every debug level in the form Go
//! writes for it; unknown names fail with the list of known ones.

use oxprof::profiles::{self, Named};

#[global_allocator]
static ALLOC: oxprof::heap::Profiled = oxprof::heap::Profiled::system();

const BUILTIN: [&str; 6] = [
    "allocs",
    "block",
    "goroutine",
    "heap",
    "mutex",
    "threadcreate",
];

fn custom() -> &'static oxprof::custom::Profile {
    static CUSTOM: std::sync::OnceLock<oxprof::custom::Profile> = std::sync::OnceLock::new();
    CUSTOM.get_or_init(|| {
        let p = oxprof::custom::Profile::new("custom_registry.widgets").unwrap();
        p.add(1_u32, 0).unwrap();
        p.add(2_u32, 0).unwrap();
        p
    })
}

fn written(profile: &Named, debug: u8) -> Vec<u8> {
    let mut out = Vec::new();
    profile
        .write_to(&mut out, debug)
        .unwrap_or_else(|e| panic!("{} debug={debug}: {e}", profile.name()));
    out
}

/// The text every debug level starts with, per profile.
fn text_start(name: &str, debug: u8) -> &'static str {
    match (name, debug) {
        ("allocs" | "heap", _) => "heap profile: ",
        ("block", _) => "--- contention:\ncycles/second=1000000000\n",
        ("mutex", _) => "--- mutex:\ncycles/second=1000000000\n",
        ("goroutine", 1) => "goroutine profile: total ",
        ("goroutine", _) => "thread ",
        ("threadcreate", _) => "threadcreate profile: total ",
        ("custom_registry.widgets", _) => "custom_registry.widgets profile: total 2\n",
        _ => panic!("unexpected profile {name}"),
    }
}

/// Sampled allocations for the heap profiles: kept live, each one larger than the sampling
/// rate's mean, so some are sampled.
fn heap_samples() {
    static LIVE: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
    LIVE.get_or_init(|| (0..8).map(|i| vec![i; 1 << 20]).collect());
}

#[test]
fn every_profile_is_found_by_name_and_written_at_every_debug_level() {
    heap_samples();
    custom();
    let names: Vec<String> = profiles::all()
        .iter()
        .map(|p| p.name().to_owned())
        .collect();
    let mut expected: Vec<String> = BUILTIN.iter().map(|s| s.to_string()).collect();
    expected.push("custom_registry.widgets".into());
    expected.sort();
    assert_eq!(names, expected);

    for name in &names {
        let profile = profiles::lookup(name).unwrap();
        assert_eq!(profile.name(), name);
        assert!(!profile.description().is_empty());

        let proto = oxprof::Profile::parse(&written(&profile, 0)).unwrap();
        let sample_type = &proto.sample_type;
        match name.as_str() {
            "heap" | "allocs" => assert_eq!(sample_type.len(), 4, "{name}"),
            "block" | "mutex" => assert_eq!(sample_type[0].ty, "contentions", "{name}"),
            _ => assert_eq!(sample_type[0].ty, *name, "{name}"),
        }
        for debug in [1, 2] {
            let text = String::from_utf8(written(&profile, debug)).unwrap();
            let start = text_start(name, debug);
            assert!(text.starts_with(start), "{name} debug={debug}:\n{text}");
            if !(name == "goroutine" && debug == 2) {
                // Every text form except the full dump is one Go's tools read.
                oxprof::Profile::parse(text.as_bytes())
                    .unwrap_or_else(|e| panic!("{name} debug={debug}: {e}\n{text}"));
            }
        }
    }
}

#[test]
fn counts_are_the_records_each_profile_holds() {
    heap_samples();
    custom();
    let count = |name: &str| profiles::lookup(name).unwrap().count();
    assert_eq!(count("custom_registry.widgets"), 2);
    let threads = std::fs::read_dir("/proc/self/task").unwrap().count();
    // Other tests start and end threads meanwhile: the count is of some moment around now.
    let goroutine = count("goroutine");
    assert!(
        goroutine >= 2 && goroutine <= threads + 8,
        "{goroutine} vs {threads}"
    );
    assert!(count("threadcreate") >= 2);
    assert!(count("heap") >= 1);
    assert_eq!(count("block"), 0, "nothing was recorded");
}

#[test]
fn threads_is_goroutine_and_unknown_names_fail_listing_the_known_ones() {
    custom();
    assert_eq!(profiles::lookup("threads").unwrap().name(), "goroutine");
    let err = profiles::lookup("gorutine").unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    let message = err.to_string();
    assert!(
        message.starts_with(
            "unknown profile \"gorutine\"; profiles: allocs, block, custom_registry.widgets, \
             goroutine, heap, mutex, threadcreate"
        ),
        "{message}"
    );
}

/// The main thread, its harness and this test's thread all start differently from a pool's
/// threads, which start alike: `threadcreate` groups four pool threads into one sample.
#[test]
fn threadcreate_groups_threads_by_the_function_they_were_started_with() {
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
    let pool: Vec<_> = (0..4)
        .map(|i| {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("pool-{i}"))
                .spawn(move || pool_worker(&rx))
                .unwrap()
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(50));
    let profile = profiles::lookup("threadcreate").unwrap().profile().unwrap();
    let pool_sample = profile
        .sample
        .iter()
        .find(|s| {
            oxprof_testutil::profiles::function_names(&profile, s)
                .iter()
                .any(|name| name.starts_with("custom_registry::threadcreate_groups_threads"))
        })
        .expect("a sample for the pool's start function");
    assert_eq!(pool_sample.value, [4]);
    assert!(pool_sample.label.is_empty());
    drop(tx);
    for thread in pool {
        thread.join().unwrap();
    }
}

#[inline(never)]
fn pool_worker(rx: &std::sync::Mutex<std::sync::mpsc::Receiver<()>>) -> usize {
    let got = rx.lock().unwrap().recv().is_ok();
    std::hint::black_box(usize::from(got) + 0x9001)
}
