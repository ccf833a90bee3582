//! Deliberate contention on one `oxprof::sync::Mutex`: a holder keeps it for ~5 ms while 4
//! threads wait, 100 times. The block profile must report the waits the test measured itself
//! (±10%) at the waiting function, the mutex profile must charge them to the holder's release,
//! and both profiles must read back through oxprof's parser and `go tool pprof`, in proto and
//! in Go's `debug=1` text.

use std::hint::black_box;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Barrier, OnceLock};
use std::time::{Duration, Instant};

use oxprof::sync::Mutex;
use oxprof::Profile;

mod contention_support;
use contention_support::{assert_attributed, contend, total_delay};

const WAITERS: usize = 4;
const ROUNDS: usize = 100;
const HOLD: Duration = Duration::from_millis(5);

const WAITING_FN: &str = "sync_contention::contention_wait_for_lock";
const HOLDING_FN: &str = "sync_contention::contention_hold_lock";

/// What the threads measured themselves.
struct Truth {
    /// Every wait for the lock, summed, in nanoseconds.
    waited: u64,
}

/// Waits for the lock and returns how long that took.
#[inline(never)]
fn contention_wait_for_lock(m: &Mutex<u64>, salt: u64) -> u64 {
    let start = Instant::now();
    let mut guard = m.lock().unwrap();
    let waited = start.elapsed().as_nanos() as u64;
    *guard = guard.wrapping_mul(0x9e37).wrapping_add(salt);
    drop(guard);
    black_box(waited)
}

/// Takes the lock, lets the waiters go, and holds it for [`HOLD`].
#[inline(never)]
fn contention_hold_lock(m: &Mutex<u64>, go: &Barrier) -> u64 {
    let mut guard = m.lock().unwrap();
    go.wait();
    std::thread::sleep(HOLD);
    *guard = guard.wrapping_add(0x5a5a_1234);
    let seen = *guard;
    drop(guard);
    black_box(seen)
}

/// Runs the contention once per test binary, with both profiles recording everything.
fn truth() -> &'static Truth {
    static TRUTH: OnceLock<Truth> = OnceLock::new();
    TRUTH.get_or_init(|| {
        oxprof::block::set_rate(1);
        oxprof::mutex::set_fraction(1);
        let waited = contend(
            &Mutex::new(0u64),
            WAITERS,
            ROUNDS,
            contention_hold_lock,
            contention_wait_for_lock,
        );
        // The profiles stay on but nothing else in this binary contends.
        Truth { waited }
    })
}

#[test]
fn block_profile_has_gos_sample_types() {
    truth();
    let profile = oxprof::block::profile().unwrap();
    let types: Vec<_> = profile
        .sample_type
        .iter()
        .map(|t| (t.ty.as_str(), t.unit.as_str()))
        .collect();
    assert_eq!(types, [("contentions", "count"), ("delay", "nanoseconds")]);
    let period_type = profile.period_type.as_ref().unwrap();
    assert_eq!(
        (
            period_type.ty.as_str(),
            period_type.unit.as_str(),
            profile.period
        ),
        ("contentions", "count", 1)
    );
}

/// The block profile reports the measured waits at the waiting function; the mutex profile
/// charges them to the holder's release. The holder's release is charged with every waiter's
/// time up to it; what follows (each waiter's wake-up, the hand-offs between waiters) is
/// charged to the waiters' releases or to nobody, a few percent.
#[test]
fn the_waits_are_charged_to_the_waiter_and_the_holders_release() {
    let truth = truth();
    // Every wait that found the lock taken is one contention: nearly all 400 did.
    let waits = (WAITERS * ROUNDS) as i64;
    assert_attributed(truth.waited, waits, ROUNDS as i64, WAITING_FN, HOLDING_FN);
    let all = total_delay(&oxprof::mutex::profile().unwrap()) as f64 / truth.waited as f64;
    assert!(all <= 1.05, "mutex total {all:.3} of the measured waits");
}

fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
    let path = std::env::temp_dir().join(format!("oxprof-{}-{name}", std::process::id()));
    std::fs::write(&path, bytes).unwrap();
    path
}

/// `go tool pprof` with `args`, or `None` when go is not installed (outside CI).
fn go_pprof(args: &[&str], file: &PathBuf) -> Option<String> {
    let mut pprof: Command = oxprof_testutil::go_pprof()?;
    let out = pprof.args(args).arg(file).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "go tool pprof {args:?}: {stderr}");
    Some(String::from_utf8(out.stdout).unwrap())
}

/// The `Showing nodes accounting for X, 100% of X total` total of a `-top` report.
fn top_total(top: &str) -> String {
    let line = top
        .lines()
        .find(|l| l.starts_with("Showing nodes accounting for"))
        .unwrap_or_else(|| panic!("no totals line:\n{top}"));
    line.rsplit(" of ")
        .next()
        .unwrap()
        .trim_end_matches(" total")
        .to_owned()
}

#[test]
fn go_reads_both_profiles_and_names_the_functions() {
    truth();
    for (name, profile, function) in [
        ("block", oxprof::block::profile().unwrap(), WAITING_FN),
        ("mutex", oxprof::mutex::profile().unwrap(), HOLDING_FN),
    ] {
        let mut bytes = Vec::new();
        profile.write_to(&mut bytes).unwrap();
        let file = temp_file(&format!("{name}.pb.gz"), &bytes);
        let top = go_pprof(&["-top", "-nodefraction=0"], &file);
        let _ = std::fs::remove_file(&file);
        let Some(top) = top else { return };
        assert!(top.contains("Type: delay"), "{top}");
        assert!(
            top.contains(function),
            "{name}: go tool pprof does not name {function}:\n{top}"
        );
    }
}

/// (contentions, delay) summed over a profile's samples.
fn totals(profile: &Profile) -> (i64, i64) {
    profile
        .sample
        .iter()
        .fold((0, 0), |(c, d), s| (c + s.value[0], d + s.value[1]))
}

#[test]
fn debug_1_text_reads_back_through_oxprofs_parser_and_gos() {
    truth();
    type Writer = fn(&mut Vec<u8>) -> std::io::Result<()>;
    let block: Writer = |w| oxprof::block::write_text(w);
    let mutex: Writer = |w| oxprof::mutex::write_text(w);
    for (name, write, header) in [
        (
            "block",
            block,
            "--- contention:\ncycles/second=1000000000\n",
        ),
        (
            "mutex",
            mutex,
            "--- mutex:\ncycles/second=1000000000\nsampling period=1\n",
        ),
    ] {
        let mut text = Vec::new();
        write(&mut text).unwrap();
        let text_str = String::from_utf8(text.clone()).unwrap();
        assert!(text_str.starts_with(header), "{text_str}");
        let function = if name == "block" {
            WAITING_FN
        } else {
            HOLDING_FN
        };
        assert!(
            text_str.contains(&format!("\t{function}\t")),
            "{name} text names no {function}:\n{text_str}"
        );

        let parsed = Profile::parse(&text).unwrap();
        let types: Vec<&str> = parsed.sample_type.iter().map(|t| t.ty.as_str()).collect();
        assert_eq!(types, ["contentions", "delay"]);
        // Nothing contends after the workload, so the profile is the text's.
        let expected = if name == "block" {
            oxprof::block::profile().unwrap()
        } else {
            oxprof::mutex::profile().unwrap()
        };
        assert_eq!(totals(&parsed), totals(&expected), "{name}");
        assert_eq!(parsed.sample.len(), expected.sample.len(), "{name}");

        let file = temp_file(&format!("{name}.txt"), &text);
        let top = go_pprof(&["-top", "-symbolize=none", "-unit=ns"], &file);
        let _ = std::fs::remove_file(&file);
        if let Some(top) = top {
            assert_eq!(
                top_total(&top),
                format!("{}ns", totals(&expected).1),
                "{name}:\n{top}"
            );
        }
    }
}
