//! Session reference counting: the watcher runs while any session is held, stops with the last
//! one, and starts again with the next.

use std::time::Duration;

use crate::unwind::session::{is_active, Sessions};
use crate::unwind::UnwindSession;

#[test]
fn watcher_runs_while_any_session_is_held_and_restarts() {
    // A registry of its own: sessions the other tests hold at the same time don't count here.
    static SESSIONS: Sessions = Sessions::new();
    assert!(!SESSIONS.watcher_running());
    let first = SESSIONS.acquire().unwrap();
    let second = SESSIONS.acquire().unwrap();
    assert!(SESSIONS.watcher_running());
    assert!(is_active());
    drop(first);
    assert!(SESSIONS.watcher_running());
    drop(second);
    assert!(!SESSIONS.watcher_running());
    let again = SESSIONS.acquire().unwrap();
    assert!(SESSIONS.watcher_running());
    drop(again);
    assert!(!SESSIONS.watcher_running());
}

#[test]
fn unwatched_sessions_enable_unwinding_without_a_watcher() {
    static SESSIONS: Sessions = Sessions::new();
    let brief = SESSIONS.acquire_unwatched().unwrap();
    assert!(is_active());
    assert!(!SESSIONS.watcher_running());
    let watched = SESSIONS.acquire().unwrap();
    assert!(SESSIONS.watcher_running());
    drop(watched);
    assert!(
        !SESSIONS.watcher_running(),
        "an unwatched holder keeps no watcher running"
    );
    drop(brief);
}

#[test]
fn sessions_can_be_taken_from_many_threads_at_once() {
    let threads: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(|| {
                for _ in 0..10 {
                    let session = UnwindSession::acquire().unwrap();
                    assert!(is_active());
                    std::thread::sleep(Duration::from_millis(1));
                    drop(session);
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
}
