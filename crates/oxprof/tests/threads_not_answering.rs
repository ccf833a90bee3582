//! A thread that blocks the dump signal cannot answer it: the dump lists it as not answering,
//! says why, gives it the one frame `oxprof::threads::not_answering`, and does not wait the
//! whole answer timeout for it. The threads that can answer still do.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use oxprof::Profile;

/// Starts a thread named `name` that blocks the dump signal (when `mask` is set) and sleeps until
/// the returned sender is dropped; returns its thread id.
fn start_sleeper(name: &str, mask: bool) -> (u32, mpsc::Sender<()>) {
    let (tid_tx, tid_rx) = mpsc::channel();
    let (stop_tx, stop_rx) = mpsc::channel::<()>();
    std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            if mask {
                // SAFETY: a local sigset built with sigemptyset/sigaddset; only this thread's
                // mask changes.
                unsafe {
                    let mut set: libc::sigset_t = std::mem::zeroed();
                    libc::sigemptyset(&mut set);
                    libc::sigaddset(&mut set, oxprof::threads::signal_number());
                    libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
                }
            }
            // SAFETY: gettid has no preconditions.
            tid_tx.send(unsafe { libc::gettid() } as u32).unwrap();
            let _ = stop_rx.recv();
        })
        .unwrap();
    (tid_rx.recv().unwrap(), stop_tx)
}

#[test]
fn a_thread_blocking_the_signal_is_reported_as_not_answering_without_stalling_the_dump() {
    let (masked, _stop_masked) = start_sleeper("masked", true);
    let (open, _stop_open) = start_sleeper("open", false);

    let started = Instant::now();
    let mut text = Vec::new();
    oxprof::threads::dump(2, &mut text).unwrap();
    let elapsed = started.elapsed();
    let text = String::from_utf8(text).unwrap();
    assert!(
        elapsed < oxprof::threads::ANSWER_TIMEOUT + Duration::from_secs(2),
        "{elapsed:?}"
    );

    let block = |tid: u32| {
        text.split("\n\n")
            .find(|b| b.starts_with(&format!("thread {tid} ")))
            .unwrap_or_else(|| panic!("thread {tid} missing from\n{text}"))
            .to_owned()
    };
    let masked_block = block(masked);
    assert!(
        masked_block.starts_with(&format!("thread {masked} \"masked\" [sleeping"))
            && masked_block.ends_with("not answering: it blocks the dump signal]:"),
        "{masked_block}"
    );
    let open_block = block(open);
    assert!(!open_block.contains("not answering"), "{open_block}");
    assert!(
        open_block.contains("std::sync::mpsc::Receiver<T>::recv(...)"),
        "{open_block}"
    );

    let profile = oxprof::threads::profile().unwrap();
    let lone_frames: Vec<String> = profile
        .sample
        .iter()
        .filter(|s| s.location_id.len() == 1)
        .map(|s| function_of(&profile, s.location_id[0]))
        .collect();
    assert!(
        lone_frames
            .iter()
            .any(|f| f == "oxprof::threads::not_answering"),
        "{lone_frames:?}"
    );
    assert!(
        profile.comments.iter().any(|c| c
            == &format!("thread {masked} \"masked\" not answering: it blocks the dump signal")),
        "{:?}",
        profile.comments
    );
}

fn function_of(profile: &Profile, location_id: u64) -> String {
    let location = profile
        .location
        .iter()
        .find(|l| l.id == location_id)
        .unwrap();
    let line = location.line.first().expect("a symbolized location");
    profile
        .function
        .iter()
        .find(|f| f.id == line.function_id)
        .unwrap()
        .name
        .clone()
}
