//! Stress: the CPU profiler at 1000 Hz over allocation-heavy work on four threads that share a
//! lock, threads created and joined without pause, and a C library built without frame pointers,
//! dlopen'ed and called mid-run. No crash, no deadlock (a watchdog aborts naming whatever stopped
//! making progress), every sample well-formed, lost samples reported, and samples taken in a Rust
//! callback the C library calls unwind through the C frames to the Rust code that called in.
//!
//! `OXPROF_STRESS_SECS` sets how long the load runs (default 20). The five-minute run:
//!
//! ```text
//! OXPROF_STRESS_SECS=300 cargo test --release -p oxprof --test cpu_stress -- --nocapture
//! ```

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use oxprof::cpu::Profiler;

#[path = "fixtures/workload.rs"]
mod workload;

const FIVE_MINUTE_RUN: &str =
    "OXPROF_STRESS_SECS=300 cargo test --release -p oxprof --test cpu_stress -- --nocapture";

/// How long the load runs: `OXPROF_STRESS_SECS`, default 20 s.
fn stress_duration() -> Duration {
    let secs = match std::env::var("OXPROF_STRESS_SECS") {
        Ok(v) => v
            .parse::<u64>()
            .unwrap_or_else(|_| panic!("OXPROF_STRESS_SECS must be whole seconds, got {v:?}")),
        Err(_) => 20,
    };
    Duration::from_secs(secs.max(1))
}

/// Progress checks: each part of the test beats its own heartbeat, and a watchdog thread aborts
/// the process, naming the part, when one stops beating. A deadlocked profiler otherwise hangs
/// the test run until an outer timeout says nothing useful.
mod watchdog {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::sync::{mpsc, Arc, Mutex};
    use std::time::{Duration, Instant};

    struct Beat {
        name: String,
        limit: Duration,
        last_ms: AtomicU64,
        active: AtomicBool,
    }

    /// One part's heartbeat; watched until dropped.
    pub struct Heartbeat {
        beat: Arc<Beat>,
        epoch: Instant,
    }

    impl Heartbeat {
        /// Records progress.
        pub fn beat(&self) {
            let ms = self.epoch.elapsed().as_millis() as u64;
            self.beat.last_ms.store(ms, Ordering::Relaxed);
        }
    }

    impl Drop for Heartbeat {
        fn drop(&mut self) {
            self.beat.active.store(false, Ordering::Relaxed);
        }
    }

    /// The watching thread; stops when dropped.
    pub struct Watchdog {
        beats: Arc<Mutex<Vec<Arc<Beat>>>>,
        epoch: Instant,
        _stop: mpsc::Sender<()>,
    }

    impl Watchdog {
        pub fn start() -> Watchdog {
            let beats: Arc<Mutex<Vec<Arc<Beat>>>> = Arc::default();
            let epoch = Instant::now();
            let (stop, stopped) = mpsc::channel::<()>();
            let watched = beats.clone();
            std::thread::Builder::new()
                .name("stress-watchdog".into())
                .spawn(move || {
                    while let Err(mpsc::RecvTimeoutError::Timeout) =
                        stopped.recv_timeout(Duration::from_millis(500))
                    {
                        let now = epoch.elapsed();
                        let beats = watched.lock().unwrap_or_else(|e| e.into_inner());
                        for beat in beats.iter().filter(|b| b.active.load(Ordering::Relaxed)) {
                            let last = Duration::from_millis(beat.last_ms.load(Ordering::Relaxed));
                            if now.saturating_sub(last) > beat.limit {
                                eprintln!(
                                    "cpu_stress watchdog: {} made no progress for {} s \
                                     ({} s into the test): deadlock; aborting",
                                    beat.name,
                                    beat.limit.as_secs(),
                                    now.as_secs()
                                );
                                std::process::abort();
                            }
                        }
                    }
                })
                .expect("starting the watchdog");
            Watchdog {
                beats,
                epoch,
                _stop: stop,
            }
        }

        /// A heartbeat for `name` that must beat at least every `limit`, starting now.
        pub fn heartbeat(&self, name: impl Into<String>, limit: Duration) -> Heartbeat {
            let beat = Arc::new(Beat {
                name: name.into(),
                limit,
                last_ms: AtomicU64::new(self.epoch.elapsed().as_millis() as u64),
                active: AtomicBool::new(true),
            });
            self.beats
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(beat.clone());
            Heartbeat {
                beat,
                epoch: self.epoch,
            }
        }
    }
}

/// The C library: built from `fixtures/stress_callback.c` before the profile starts, opened
/// mid-run, and never closed, since symbolizing the profile needs its mapping.
mod native {
    use std::ffi::{CStr, CString};
    use std::os::unix::ffi::OsStrExt;
    use std::path::{Path, PathBuf};
    use std::process::Command;

    /// The Rust function the library calls back.
    pub type Callback = extern "C" fn(u64) -> u64;
    /// `oxprof_stress_c_outer(callback, rounds)`.
    pub type Outer = unsafe extern "C" fn(Callback, u64) -> u64;

    /// A directory removed with everything in it when dropped.
    pub struct TempDir(PathBuf);

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// Compiles the library into a fresh temporary directory. `None` when there is no C
    /// compiler, except under `CI=true`, where that fails the test.
    pub fn build() -> Option<(TempDir, PathBuf)> {
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/stress_callback.c");
        let dir = std::env::temp_dir().join(format!("oxprof-cpu-stress-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("creating a temporary directory");
        let dir = TempDir(dir);
        let library = dir.0.join("liboxprof_stress_callback.so");
        let status = Command::new("cc")
            .args(["-O2", "-fomit-frame-pointer", "-shared", "-fPIC", "-o"])
            .arg(&library)
            .arg(&source)
            .status();
        match status {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
                assert!(
                    !ci,
                    "CI is set but there is no C compiler (`cc`) to build {}",
                    source.display()
                );
                println!("note: no C compiler (`cc`): skipping the dlopen'ed C library part");
                None
            }
            Err(e) => panic!("running cc: {e}"),
            Ok(status) => {
                assert!(
                    status.success(),
                    "cc could not build {}: {status}",
                    source.display()
                );
                Some((dir, library))
            }
        }
    }

    fn dlerror() -> String {
        // SAFETY: dlerror returns null or a NUL-terminated message valid until the next dl call.
        unsafe {
            let message = libc::dlerror();
            if message.is_null() {
                "unknown error".into()
            } else {
                CStr::from_ptr(message).to_string_lossy().into_owned()
            }
        }
    }

    /// dlopens the library and returns its entry point.
    pub fn open(library: &Path) -> Outer {
        let path = CString::new(library.as_os_str().as_bytes()).expect("a path without NUL");
        // SAFETY: `path` is NUL-terminated; the library's constructors are the compiler's only.
        let handle = unsafe { libc::dlopen(path.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
        assert!(
            !handle.is_null(),
            "dlopen {}: {}",
            library.display(),
            dlerror()
        );
        // SAFETY: `handle` is the live handle just opened; the name is NUL-terminated.
        let symbol = unsafe { libc::dlsym(handle, c"oxprof_stress_c_outer".as_ptr()) };
        assert!(
            !symbol.is_null(),
            "dlsym oxprof_stress_c_outer: {}",
            dlerror()
        );
        // SAFETY: the fixture defines `uint64_t oxprof_stress_c_outer(uint64_t (*)(uint64_t),
        // uint64_t)`, which is `Outer`.
        unsafe { std::mem::transmute::<*mut libc::c_void, Outer>(symbol) }
    }
}

/// Burns CPU where the profiler must find it: called by the C library, so its samples show
/// whether unwinding crosses the C frames.
#[inline(never)]
extern "C" fn stress_callback_burn(seed: u64) -> u64 {
    let mut x = seed | 1;
    for _ in 0..50_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x = black_box(x ^ (x << 17));
    }
    x
}

/// The Rust caller the C frames must unwind to.
#[inline(never)]
fn call_into_native(outer: native::Outer, rounds: u64) -> u64 {
    // SAFETY: `outer` is the library's entry point with its declared signature; it only calls
    // the callback it is given.
    let result = unsafe { outer(stress_callback_burn, rounds) };
    black_box(result)
}

/// Short-lived threads doing allocation work under a label, two at a time, created and joined
/// until `stop`; returns how many were created. Lifetimes vary from under a millisecond to
/// about 20 ms, so some end before the profiler sees them and some end with a timer armed.
fn churn_threads(stop: &AtomicBool, heartbeat: &watchdog::Heartbeat) -> u64 {
    let log = Mutex::new(Vec::new());
    let mut created = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let lifetime = Duration::from_millis(created % 20);
        std::thread::scope(|s| {
            for seed in [created, created + 1] {
                let log = &log;
                std::thread::Builder::new()
                    .name("stress-churn".into())
                    .spawn_scoped(s, move || {
                        oxprof::labels::scope(&[("stress", "churn")], || {
                            let end = Instant::now() + lifetime;
                            let mut round = seed;
                            loop {
                                workload::allocation_round(log, round);
                                round += 2;
                                if Instant::now() >= end {
                                    break;
                                }
                            }
                        })
                    })
                    .expect("spawning a churn thread");
            }
        });
        created += 2;
        heartbeat.beat();
    }
    created
}

/// Waits until `start`, dlopens the library, and calls into it until `end`; returns the calls.
fn call_native_mid_run(
    library: &std::path::Path,
    start: Instant,
    end: Instant,
    stop: &AtomicBool,
    heartbeat: impl Fn() -> watchdog::Heartbeat,
) -> u64 {
    while Instant::now() < start && !stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(10));
    }
    let heartbeat = heartbeat();
    let outer = native::open(library);
    let mut calls = 0;
    while Instant::now() < end && !stop.load(Ordering::Relaxed) {
        call_into_native(outer, 4);
        calls += 1;
        heartbeat.beat();
    }
    calls
}

/// Checks on the finished profile.
mod check {
    use oxprof::Profile;
    use std::collections::{HashMap, HashSet};

    /// Function names by location, to name the frames of many samples quickly.
    pub struct Names(HashMap<u64, Vec<String>>);

    impl Names {
        pub fn new(profile: &Profile) -> Names {
            let functions: HashMap<u64, &str> = profile
                .function
                .iter()
                .map(|f| (f.id, f.name.as_str()))
                .collect();
            let by_location = profile.location.iter().map(|loc| {
                let names = if loc.line.is_empty() {
                    vec![format!("{:#x}", loc.address)]
                } else {
                    let name = |id| functions.get(&id).copied().unwrap_or("?").to_owned();
                    loc.line.iter().map(|line| name(line.function_id)).collect()
                };
                (loc.id, names)
            });
            Names(by_location.collect())
        }

        /// The function names of a sample's stack, leaf first, inline frames included; an
        /// unsymbolized frame appears as its address.
        pub fn stack(&self, sample: &oxprof_profile::Sample) -> Vec<String> {
            let frames = sample.location_id.iter().filter_map(|id| self.0.get(id));
            frames.flatten().cloned().collect()
        }
    }

    /// What the profile holds, once every sample has been checked.
    #[derive(Debug)]
    pub struct Summary {
        pub samples: i64,
        pub stacks: usize,
        pub lost: i64,
    }

    /// Checks every sample and location; panics listing what is malformed.
    pub fn well_formed(profile: &Profile) -> Summary {
        let mut problems = Vec::new();
        let types = profile.sample_type.len();
        if types == 0 {
            problems.push("no sample types".to_owned());
        }
        let mappings: HashSet<u64> = profile.mapping.iter().map(|m| m.id).collect();
        let functions: HashMap<u64, &str> = profile
            .function
            .iter()
            .map(|f| (f.id, f.name.as_str()))
            .collect();
        let mut locations = HashMap::new();
        for loc in &profile.location {
            if loc.id == 0 || locations.insert(loc.id, loc).is_some() {
                problems.push(format!("location id {} is zero or repeated", loc.id));
            }
            let has_address = loc.address != 0 && mappings.contains(&loc.mapping_id);
            if loc.line.is_empty() && !has_address {
                problems.push(format!(
                    "location {} has neither lines nor an address in a mapping \
                     (address {:#x}, mapping {})",
                    loc.id, loc.address, loc.mapping_id
                ));
            }
            if loc.mapping_id != 0 && !mappings.contains(&loc.mapping_id) {
                problems.push(format!(
                    "location {} names missing mapping {}",
                    loc.id, loc.mapping_id
                ));
            }
            for line in &loc.line {
                if !functions.contains_key(&line.function_id) {
                    problems.push(format!(
                        "location {} names missing function {}",
                        loc.id, line.function_id
                    ));
                }
            }
        }
        for m in &profile.mapping {
            if m.memory_start >= m.memory_limit {
                problems.push(format!("mapping {} is empty or inverted", m.id));
            }
        }
        let mut samples = 0;
        let mut lost = 0;
        for (i, sample) in profile.sample.iter().enumerate() {
            if sample.value.len() != types {
                problems.push(format!(
                    "sample {i} has {} values for {types} sample types",
                    sample.value.len()
                ));
                continue;
            }
            if sample.value.iter().any(|&v| v <= 0) {
                problems.push(format!("sample {i} has values {:?}", sample.value));
            }
            if sample.location_id.is_empty() {
                problems.push(format!("sample {i} has an empty stack"));
            }
            for id in &sample.location_id {
                if !locations.contains_key(id) {
                    problems.push(format!("sample {i} names missing location {id}"));
                }
            }
            samples += sample.value[0];
            if let [only] = sample.location_id[..] {
                let is_lost = locations.get(&only).is_some_and(|loc| {
                    loc.line.iter().any(|l| {
                        functions.get(&l.function_id) == Some(&oxprof::cpu::LOST_SAMPLES_FRAME)
                    })
                });
                if is_lost {
                    lost += sample.value[0];
                }
            }
        }
        assert!(
            problems.is_empty(),
            "{} problems in the profile, first ones:\n{}",
            problems.len(),
            problems[..problems.len().min(20)].join("\n")
        );
        Summary {
            samples,
            stacks: profile.sample.len(),
            lost,
        }
    }

    /// Whether `names` holds each of `needles` (by substring) in order, leaf to root.
    pub fn in_order(names: &[String], needles: &[&str]) -> bool {
        let mut rest = names.iter();
        needles
            .iter()
            .all(|needle| rest.by_ref().any(|name| name.contains(needle)))
    }
}

#[test]
fn the_profiler_survives_allocation_thread_churn_and_a_dlopen_at_1000_hz() {
    let run = stress_duration();
    let watchdog = watchdog::Watchdog::start();
    let built = native::build();
    let stop = Arc::new(AtomicBool::new(false));

    let starting = watchdog.heartbeat("Profiler::start", Duration::from_secs(60));
    let profiler = Profiler::builder()
        .frequency(1000)
        .start()
        .expect("starting the profiler");
    drop(starting);
    let started = Instant::now();
    let worker_beats: Vec<_> = (0..4)
        .map(|i| watchdog.heartbeat(format!("allocation worker {i}"), Duration::from_secs(60)))
        .collect();
    let workers = workload::Workers::start(4, move |i| worker_beats[i].beat());
    let churn = {
        let stop = stop.clone();
        let heartbeat = watchdog.heartbeat("thread churn", Duration::from_secs(60));
        std::thread::spawn(move || churn_threads(&stop, &heartbeat))
    };
    let native_calls = std::thread::scope(|s| {
        let caller = built.as_ref().map(|(_, library)| {
            // From 35% of the run, for 30% of it (at least 3 s).
            let start = started + run * 35 / 100;
            let end = start + (run * 30 / 100).max(Duration::from_secs(3));
            let stop = &stop;
            let watchdog = &watchdog;
            s.spawn(move || {
                call_native_mid_run(library, start, end, stop, || {
                    watchdog.heartbeat("calls into the dlopen'ed library", Duration::from_secs(60))
                })
            })
        });
        while started.elapsed() < run {
            std::thread::sleep(Duration::from_millis(50));
        }
        stop.store(true, Ordering::Relaxed);
        caller.map(|c| c.join().expect("the native caller panicked"))
    });
    let rounds = workers.stop();
    let threads_created = churn.join().expect("the churn thread panicked");
    let stopping = watchdog.heartbeat("Profiler::stop", Duration::from_secs(180));
    let profile = profiler.stop().expect("stopping the profiler");
    drop(stopping);
    let profiled = Duration::from_nanos(profile.duration_nanos as u64);

    let summary = check::well_formed(&profile);
    let names = check::Names::new(&profile);
    let stacks: Vec<(Vec<String>, i64)> = profile
        .sample
        .iter()
        .map(|s| (names.stack(s), s.value[0]))
        .collect();
    let in_workers: i64 = stacks
        .iter()
        .filter(|(names, _)| names.iter().any(|n| n.contains("allocation_round")))
        .map(|(_, n)| n)
        .sum();
    let crossing = [
        "stress_callback_burn",
        "oxprof_stress_c_inner",
        "oxprof_stress_c_outer",
        "call_into_native",
    ];
    let in_callback: Vec<&(Vec<String>, i64)> = stacks
        .iter()
        .filter(|(names, _)| names.iter().any(|n| n.contains(crossing[0])))
        .collect();
    let callback_total: i64 = in_callback.iter().map(|(_, n)| n).sum();
    let callback_complete: i64 = in_callback
        .iter()
        .filter(|(names, _)| check::in_order(names, &crossing))
        .map(|(_, n)| n)
        .sum();

    println!(
        "cpu_stress: {:.1} s profiled at 1000 Hz: {} samples in {} distinct stacks, {} lost; \
         {} allocation rounds, {} threads created and joined",
        profiled.as_secs_f64(),
        summary.samples,
        summary.stacks,
        summary.lost,
        rounds,
        threads_created
    );
    match native_calls {
        Some(calls) => println!(
            "cpu_stress: {calls} calls into the dlopen'ed library; {callback_complete} of \
             {callback_total} samples in the callback unwound through the C frames to the Rust caller"
        ),
        None => println!("cpu_stress: dlopen part skipped (no C compiler)"),
    }
    let incomplete: Vec<String> = in_callback
        .iter()
        .filter(|(names, _)| !check::in_order(names, &crossing))
        .map(|(names, n)| format!("{n} x {}", names.join(" <- ")))
        .collect();
    for stack in incomplete.iter().take(3) {
        println!("cpu_stress: incomplete callback stack: {stack}");
    }
    println!("cpu_stress: five-minute run: {FIVE_MINUTE_RUN}");
    for comment in &profile.comments {
        println!("cpu_stress: profile comment: {comment}");
    }

    let floor = 50 * run.as_secs() as i64;
    assert!(
        summary.samples >= floor,
        "{} samples in {} s of four busy threads at 1000 Hz; expected at least {floor}",
        summary.samples,
        run.as_secs()
    );
    assert!(
        in_workers * 4 >= summary.samples,
        "only {in_workers} of {} samples reach allocation_round: stacks are cut short",
        summary.samples
    );
    if native_calls.is_some() {
        assert!(
            callback_total >= 100,
            "only {callback_total} samples in the callback from the dlopen'ed library"
        );
        assert!(
            callback_complete * 2 > callback_total,
            "only {callback_complete} of {callback_total} samples in stress_callback_burn \
             unwind through oxprof_stress_c_inner and oxprof_stress_c_outer to call_into_native; \
             an incomplete one: {}",
            incomplete.first().map_or("", String::as_str)
        );
    }
    drop(built);
}
