//! The CPU profiler against ground truth: threads burning known amounts of CPU in known
//! functions, sleeping threads in wall-clock mode, and the profile's shape and error texts.
//!
//! Profiles are process-wide, so the tests take turns through [`serial`].

use std::hint::black_box;
use std::sync::{Arc, Barrier, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use oxprof::cpu::{Mode, Profiler};
use oxprof::Profile;

fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec to fill.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Spins on arithmetic until this thread has used `cpu` more CPU time. Each caller passes its
/// own `seed`, so optimized builds cannot merge the identical callers into one function.
#[inline(always)]
fn spin_for(cpu: Duration, seed: u64) {
    let end = thread_cpu_time() + cpu;
    let mut x = seed;
    while thread_cpu_time() < end {
        for _ in 0..2_000 {
            x = black_box(x.rotate_left(5) ^ x.wrapping_mul(0x100_0000_01b3));
        }
    }
    black_box(x);
}

#[inline(never)]
fn burn_three_parts(cpu: Duration) -> Duration {
    let start = thread_cpu_time();
    spin_for(cpu, 0x3);
    thread_cpu_time() - start
}

#[inline(never)]
fn burn_one_part(cpu: Duration) -> Duration {
    let start = thread_cpu_time();
    spin_for(cpu, 0x1);
    thread_cpu_time() - start
}

#[inline(never)]
fn late_thread_work(cpu: Duration) {
    spin_for(cpu, 0x1a7e);
}

#[inline(never)]
fn nap(d: Duration) {
    std::thread::sleep(d);
    // Work after the call keeps it from becoming a tail call that leaves no `nap` frame.
    black_box(d);
}

#[inline(never)]
fn recurse_then_burn(depth: u32, cpu: Duration) -> u32 {
    if depth == 0 {
        spin_for(cpu, 0xdee9);
        return 0;
    }
    black_box(recurse_then_burn(depth - 1, cpu)) + 1
}

#[inline(never)]
fn labelled_work(cpu: Duration) {
    spin_for(cpu, 0x1abe1);
}

/// The names of the functions on a sample's stack, leaf first (inline frames included).
fn stack_names(profile: &Profile, sample: &oxprof_profile::Sample) -> Vec<String> {
    let mut names = Vec::new();
    for id in &sample.location_id {
        let loc = profile
            .location
            .iter()
            .find(|l| l.id == *id)
            .expect("sample refers to a location");
        for line in &loc.line {
            let f = profile
                .function
                .iter()
                .find(|f| f.id == line.function_id)
                .expect("line refers to a function");
            names.push(f.name.clone());
        }
    }
    names
}

fn label<'a>(sample: &'a oxprof_profile::Sample, key: &str) -> Option<&'a str> {
    sample
        .label
        .iter()
        .find(|l| l.key == key)
        .and_then(|l| match &l.value {
            oxprof_profile::LabelValue::Str(s) => Some(s.as_str()),
            _ => None,
        })
}

/// Sum of value `index` over samples whose stack has a function containing `function` and
/// that satisfy `also`.
fn total(
    profile: &Profile,
    index: usize,
    function: &str,
    also: impl Fn(&oxprof_profile::Sample) -> bool,
) -> i64 {
    profile
        .sample
        .iter()
        .filter(|s| also(s) && stack_names(profile, s).iter().any(|n| n.contains(function)))
        .map(|s| s.value[index])
        .sum()
}

#[test]
fn cpu_splits_3_to_1_and_matches_each_threads_cpu_time() {
    let _serial = serial();
    let profiler = Profiler::builder().thread_labels(true).start().unwrap();
    let barrier = Arc::new(Barrier::new(2));
    let spawn = |name: &str, work: fn(Duration) -> Duration, cpu: Duration| {
        let barrier = barrier.clone();
        std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                // Let the sampler arm this thread's timer before it starts burning.
                std::thread::sleep(Duration::from_millis(30));
                barrier.wait();
                work(cpu)
            })
            .unwrap()
    };
    let three = spawn("burn-three", burn_three_parts, Duration::from_millis(900));
    let one = spawn("burn-one", burn_one_part, Duration::from_millis(300));
    let (three_cpu, one_cpu) = (three.join().unwrap(), one.join().unwrap());
    let profile = profiler.stop().unwrap();

    let three_ns = total(&profile, 1, "burn_three_parts", |s| {
        label(s, "thread") == Some("burn-three")
    });
    let one_ns = total(&profile, 1, "burn_one_part", |s| {
        label(s, "thread") == Some("burn-one")
    });
    let share = three_ns as f64 / (three_ns + one_ns) as f64;
    assert!(
        (share - 0.75).abs() <= 0.03,
        "burn_three_parts got {:.1}% of the two threads' samples, want 75% ± 3",
        share * 100.0
    );
    for (name, sampled, actual) in [
        ("burn-three", three_ns, three_cpu),
        ("burn-one", one_ns, one_cpu),
    ] {
        let error = sampled as f64 / actual.as_nanos() as f64 - 1.0;
        assert!(
            error.abs() <= 0.05,
            "{name}: samples × period = {} ms, thread CPU time = {} ms ({:+.1}%)",
            sampled / 1_000_000,
            actual.as_millis(),
            error * 100.0
        );
    }
}

#[test]
fn a_thread_started_after_the_profile_is_sampled() {
    let _serial = serial();
    // Soon after the start, while the sampler scans every 10 ms, and after a steady second,
    // when it scans every 50 ms: either way the thread's CPU time is sampled in full.
    for delay in [Duration::from_millis(20), Duration::from_millis(1200)] {
        let profiler = Profiler::builder().start().unwrap();
        std::thread::sleep(delay);
        let cpu = Duration::from_millis(300);
        std::thread::spawn(move || late_thread_work(cpu))
            .join()
            .unwrap();
        let profile = profiler.stop().unwrap();
        let sampled = total(&profile, 1, "late_thread_work", |_| true);
        let ratio = sampled as f64 / cpu.as_nanos() as f64;
        assert!(
            (0.9..=1.05).contains(&ratio),
            "a thread started {delay:?} into the profile: {} ms of 300 ms sampled",
            sampled / 1_000_000
        );
    }
}

#[inline(never)]
fn short_lived_work(cpu: Duration) {
    spin_for(cpu, 0x5407);
}

#[test]
fn threads_too_short_lived_for_their_own_timer_are_still_sampled() {
    let _serial = serial();
    let profiler = Profiler::builder().start().unwrap();
    let mut used = Duration::ZERO;
    for _ in 0..80 {
        used += std::thread::spawn(|| {
            let start = thread_cpu_time();
            short_lived_work(Duration::from_millis(4));
            thread_cpu_time() - start
        })
        .join()
        .unwrap();
    }
    let profile = profiler.stop().unwrap();
    let sampled = total(&profile, 1, "short_lived_work", |_| true);
    let ratio = sampled as f64 / used.as_nanos() as f64;
    assert!(
        (0.7..=1.3).contains(&ratio),
        "80 threads of 4 ms CPU each: {} ms sampled of {} ms",
        sampled / 1_000_000,
        used.as_millis()
    );
}

#[test]
fn wall_mode_sees_sleep_with_its_share_and_state() {
    let _serial = serial();
    let profiler = Profiler::builder()
        .mode(Mode::Wall)
        .thread_labels(true)
        .start()
        .unwrap();
    let worker = std::thread::Builder::new()
        .name("half-asleep".into())
        .spawn(|| {
            std::thread::sleep(Duration::from_millis(20));
            for _ in 0..8 {
                labelled_work_free_burn(Duration::from_millis(50));
                nap(Duration::from_millis(50));
            }
        })
        .unwrap();
    worker.join().unwrap();
    let profile = profiler.stop().unwrap();
    assert_eq!(profile.sample_type[1].ty, "wall");
    assert_eq!(profile.period_type.as_ref().unwrap().ty, "wall");
    let on_thread = |s: &oxprof_profile::Sample| label(s, "thread") == Some("half-asleep");
    let napping = total(&profile, 1, "nap", on_thread);
    let burning = total(&profile, 1, "labelled_work_free_burn", on_thread);
    let share = napping as f64 / (napping + burning) as f64;
    assert!(
        (share - 0.5).abs() <= 0.1,
        "asleep half the time, but nap has {:.0}% of the thread's wall samples",
        share * 100.0
    );
    let asleep_sleeping = total(&profile, 1, "nap", |s| {
        on_thread(s) && label(s, "state") == Some("sleeping")
    });
    assert!(
        asleep_sleeping as f64 >= 0.9 * napping as f64,
        "nap samples should be in state sleeping: {asleep_sleeping} of {napping}"
    );
    let burning_running = total(&profile, 1, "labelled_work_free_burn", |s| {
        on_thread(s) && label(s, "state") == Some("running")
    });
    assert!(
        burning_running as f64 >= 0.9 * burning as f64,
        "burning samples should be in state running: {burning_running} of {burning}"
    );
}

#[inline(never)]
fn labelled_work_free_burn(wall: Duration) {
    let end = Instant::now() + wall;
    let mut x = 1u64;
    while Instant::now() < end {
        x = black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
    }
    black_box(x);
}

#[test]
fn deep_stacks_end_in_the_truncated_frame() {
    let _serial = serial();
    let profiler = Profiler::builder().depth(8).start().unwrap();
    recurse_then_burn(40, Duration::from_millis(200));
    let profile = profiler.stop().unwrap();
    let deep: Vec<_> = profile
        .sample
        .iter()
        .map(|s| stack_names(&profile, s))
        .filter(|names| names.iter().any(|n| n.contains("recurse_then_burn")))
        .collect();
    assert!(!deep.is_empty(), "no samples in recurse_then_burn");
    for names in &deep {
        assert_eq!(
            names.last().map(String::as_str),
            Some(oxprof::cpu::TRUNCATED_FRAME),
            "{names:?}"
        );
    }
}

#[test]
fn labels_set_around_work_land_on_its_samples() {
    let _serial = serial();
    let profiler = Profiler::builder().start().unwrap();
    oxprof::labels::scope(&[("phase", "hot")], || {
        labelled_work(Duration::from_millis(200));
    });
    let profile = profiler.stop().unwrap();
    let all = total(&profile, 1, "labelled_work", |_| true);
    let labelled = total(&profile, 1, "labelled_work", |s| {
        label(s, "phase") == Some("hot")
    });
    assert!(all > 0, "no samples in labelled_work");
    assert_eq!(
        labelled, all,
        "every labelled_work sample carries phase=hot"
    );
}

#[test]
fn the_profile_has_gos_cpu_shape_with_mappings_and_comments() {
    let _serial = serial();
    let profiler = Profiler::builder().start().unwrap();
    burn_one_part(Duration::from_millis(100));
    let profile = profiler.stop().unwrap();
    let types: Vec<_> = profile
        .sample_type
        .iter()
        .map(|t| (t.ty.as_str(), t.unit.as_str()))
        .collect();
    assert_eq!(types, [("samples", "count"), ("cpu", "nanoseconds")]);
    let period_type = profile.period_type.as_ref().unwrap();
    assert_eq!(
        (period_type.ty.as_str(), period_type.unit.as_str()),
        ("cpu", "nanoseconds")
    );
    assert_eq!(profile.period, 10_000_000);
    assert!(profile.time_nanos > 1_600_000_000_000_000_000);
    assert!(profile.duration_nanos >= 100_000_000);
    let main = &profile.mapping[0];
    let exe = std::fs::read_link("/proc/self/exe").unwrap();
    // A rebuild while the test runs leaves the old file " (deleted)"; mappings drop the suffix.
    let exe = exe.to_string_lossy();
    assert_eq!(main.filename, exe.trim_end_matches(" (deleted)"));
    assert!(!main.build_id.is_empty(), "main mapping has a build id");
    assert!(
        profile.comments.iter().any(|c| c.contains("timer_create")),
        "{:?}",
        profile.comments
    );
    assert!(total(&profile, 0, "burn_one_part", |_| true) > 0);
    let again = Profile::decode(&profile.encode_gzip()).unwrap();
    assert_eq!(again, profile);
}

#[test]
fn the_process_timer_fallback_samples_and_says_so() {
    let _serial = serial();
    let profiler = Profiler::builder().process_timer(true).start().unwrap();
    burn_one_part(Duration::from_millis(200));
    let profile = profiler.stop().unwrap();
    assert!(
        profile.comments.iter().any(|c| c.contains("setitimer")),
        "{:?}",
        profile.comments
    );
    assert!(total(&profile, 1, "burn_one_part", |_| true) > 0);
}

#[test]
fn unsymbolized_profiles_keep_addresses_for_later() {
    let _serial = serial();
    let profiler = Profiler::builder().symbolize(false).start().unwrap();
    burn_one_part(Duration::from_millis(100));
    let profile = profiler.stop().unwrap();
    let addressed = profile
        .location
        .iter()
        .filter(|l| l.address != 0 && l.mapping_id != 0)
        .count();
    assert!(addressed > 0);
    assert!(profile
        .location
        .iter()
        .filter(|l| l.mapping_id != 0)
        .all(|l| l.line.is_empty()));
}

#[test]
fn a_second_profile_is_refused_with_gos_text() {
    let _serial = serial();
    let profiler = Profiler::builder().start().unwrap();
    let err = Profiler::builder().start().unwrap_err();
    assert_eq!(err.to_string(), "cpu profiling already in use");
    let err = oxprof::cpu::start(Vec::new()).unwrap_err();
    assert_eq!(err.to_string(), "cpu profiling already in use");
    drop(profiler);
    // Dropping released it.
    Profiler::builder().start().unwrap().stop().unwrap();
}

#[test]
fn bad_settings_are_refused_with_their_value() {
    let _serial = serial();
    for (builder, text) in [
        (
            Profiler::builder().frequency(0),
            "cpu profile frequency must be 1 to 5000 Hz, got 0",
        ),
        (
            Profiler::builder().frequency(5001),
            "cpu profile frequency must be 1 to 5000 Hz, got 5001",
        ),
        (
            Profiler::builder().depth(0),
            "cpu profile stack depth must be 1 to 4096 frames, got 0",
        ),
    ] {
        assert_eq!(builder.start().unwrap_err().to_string(), text);
    }
}

/// A `Write` that hands its bytes to the test after the profile is written.
#[derive(Clone, Default)]
struct SharedBuffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for SharedBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn go_style_start_and_stop_write_a_gzipped_profile() {
    let _serial = serial();
    oxprof::cpu::stop().unwrap();
    let out = SharedBuffer::default();
    oxprof::cpu::start(out.clone()).unwrap();
    burn_one_part(Duration::from_millis(100));
    oxprof::cpu::stop().unwrap();
    let bytes = out.0.lock().unwrap().clone();
    assert_eq!(&bytes[..2], &[0x1f, 0x8b], "gzip");
    let profile = Profile::decode(&bytes).unwrap();
    assert!(total(&profile, 1, "burn_one_part", |_| true) > 0);
}
