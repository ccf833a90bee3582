//! `go tool pprof` and `oxprof` against the live endpoints of a real server (`oxprof::http`)
//! in this test process, on a loopback port: the CPU profile over 2 s, heap, allocs, block,
//! mutex and goroutine, each showing the function of this file that put it there; the server's
//! error texts reaching both tools; and oxprof's progress line on a terminal while a profile is
//! collected.
//!
//! A test binary of its own: the heap endpoints need the profiled allocator as this process's
//! global allocator.

use std::io::Read;
use std::net::SocketAddr;
use std::os::fd::{FromRawFd, OwnedFd};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::{mpsc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use oxprof_testutil::go_pprof;

#[global_allocator]
static ALLOC: oxprof::heap::Profiled = oxprof::heap::Profiled::system();

/// The server, with the workload whose functions the profiles must show running.
fn server() -> SocketAddr {
    static SERVER: OnceLock<SocketAddr> = OnceLock::new();
    *SERVER.get_or_init(|| {
        workload();
        oxprof::http::serve("127.0.0.1:0")
            .expect("serve the endpoints")
            .local_addr()
    })
}

/// CPU profiles are one at a time per process: the tests that take one take turns.
fn cpu_turn() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock().unwrap_or_else(|e| e.into_inner())
}

/// Allocates 16 MiB in 256 KiB blocks and keeps them: the heap profile's known function.
#[inline(never)]
fn live_heap_keeper() -> Vec<Vec<u8>> {
    let kept: Vec<Vec<u8>> = (0..64u8).map(|i| vec![i ^ 0x11; 256 << 10]).collect();
    std::hint::black_box(kept)
}

/// Allocates 32 MiB and frees it at once: in allocs, not in heap.
#[inline(never)]
fn live_allocs_churn() -> usize {
    let mut total = 0;
    for i in 0..128u8 {
        let block = std::hint::black_box(vec![i ^ 0x22; 256 << 10]);
        total += block.len();
    }
    total
}

/// Holds the lock while another thread waits for it: the mutex profile's known function.
#[inline(never)]
fn live_mutex_holder(lock: &oxprof::sync::Mutex<u64>, waiter_started: mpsc::Receiver<()>) {
    let mut guard = lock.lock().unwrap();
    waiter_started.recv().unwrap();
    std::thread::sleep(Duration::from_millis(50));
    *guard += 0x33;
    drop(guard);
}

/// Waits for the lock: the block profile's known function.
#[inline(never)]
fn live_block_waiter(lock: &oxprof::sync::Mutex<u64>) -> u64 {
    let value = *lock.lock().unwrap();
    std::hint::black_box(value + 0x44)
}

/// Sleeps in a loop for the life of the process: the goroutine profile's known function.
#[inline(never)]
fn live_parked_thread() {
    loop {
        std::thread::sleep(Duration::from_millis(200));
        std::hint::black_box(0x55);
    }
}

/// Burns CPU until `until`: the CPU profile's known function.
#[inline(never)]
fn live_cpu_spinner(until: Instant) -> u64 {
    let mut x = 0x66u64;
    while Instant::now() < until {
        for _ in 0..1_000 {
            x = std::hint::black_box(x.rotate_left(3) ^ 0x6666_0077);
        }
    }
    x
}

fn workload() {
    oxprof::block::set_rate(1);
    oxprof::mutex::set_fraction(1);
    static KEPT: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    KEPT.get_or_init(live_heap_keeper);
    std::hint::black_box(live_allocs_churn());
    let lock = std::sync::Arc::new(oxprof::sync::Mutex::new(0u64));
    let (started_tx, started_rx) = mpsc::channel();
    let holder = {
        let lock = lock.clone();
        std::thread::spawn(move || live_mutex_holder(&lock, started_rx))
    };
    // The holder has the lock once it waits for the waiter's start.
    std::thread::sleep(Duration::from_millis(20));
    let waiter = std::thread::spawn(move || {
        started_tx.send(()).unwrap();
        live_block_waiter(&lock)
    });
    holder.join().unwrap();
    waiter.join().unwrap();
    std::thread::Builder::new()
        .name("live-parked".into())
        .spawn(live_parked_thread)
        .unwrap();
}

/// A fresh directory for saved profiles.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("oxprof-live-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn oxprof(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_oxprof"))
        .args(args)
        .env("OXPROF_TMPDIR", scratch("oxprof"))
        .stdin(Stdio::null())
        .output()
        .expect("run oxprof")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs `oxprof -top url` and `go tool pprof -top url` (when go is installed) one after the
/// other; both must succeed and name `function`.
fn both_tools_show(url: &str, function: &str) {
    let ours = oxprof(&["-top", url]);
    assert!(
        ours.status.success(),
        "oxprof -top {url}: {}",
        text(&ours.stderr)
    );
    let report = text(&ours.stdout);
    assert!(report.contains(function), "oxprof -top {url}:\n{report}");
    let Some(mut go) = go_pprof() else { return };
    let theirs = go.args(["-top", url]).output().unwrap();
    assert!(
        theirs.status.success(),
        "go tool pprof -top {url}: {}",
        text(&theirs.stderr)
    );
    let report = text(&theirs.stdout);
    assert!(
        report.contains(function),
        "go tool pprof -top {url}:\n{report}"
    );
}

#[test]
fn both_tools_read_every_named_profile_from_the_endpoints() {
    let addr = server();
    let base = format!("http://{addr}/debug/pprof");
    both_tools_show(&format!("{base}/heap"), "live_heap_keeper");
    both_tools_show(&format!("{base}/allocs"), "live_allocs_churn");
    both_tools_show(&format!("{base}/block"), "live_block_waiter");
    both_tools_show(&format!("{base}/mutex"), "live_mutex_holder");
    both_tools_show(&format!("{base}/goroutine"), "live_parked_thread");
}

#[test]
fn both_tools_read_a_two_second_cpu_profile() {
    let _turn = cpu_turn();
    let addr = server();
    let url = format!("http://{addr}/debug/pprof/profile?seconds=2");
    for tool in ["oxprof", "go"] {
        if tool == "go" && go_pprof().is_none() {
            continue;
        }
        let until = Instant::now() + Duration::from_millis(2600);
        let spinner = std::thread::spawn(move || live_cpu_spinner(until));
        let out = if tool == "go" {
            go_pprof().unwrap().args(["-top", &url]).output().unwrap()
        } else {
            oxprof(&["-top", &url])
        };
        spinner.join().unwrap();
        assert!(out.status.success(), "{tool}: {}", text(&out.stderr));
        let report = text(&out.stdout);
        assert!(
            report.contains("live_cpu_spinner"),
            "{tool} -top {url}:\n{report}"
        );
    }
}

#[test]
fn both_tools_show_the_servers_error_text() {
    let _turn = cpu_turn();
    let addr = server();
    let unknown = format!("http://{addr}/debug/pprof/nope");
    let ours = oxprof(&["-top", &unknown]);
    assert_eq!(ours.status.code(), Some(2));
    assert!(
        text(&ours.stderr).contains(&format!(
            "oxprof: {unknown}: server response: 404 Not Found - Unknown profile"
        )),
        "{}",
        text(&ours.stderr)
    );
    // A CPU profile already running: the second tool gets Go's 500 text.
    let url = format!("http://{addr}/debug/pprof/profile?seconds=2");
    let first = {
        let url = url.clone();
        std::thread::spawn(move || oxprof(&["-top", &url]))
    };
    std::thread::sleep(Duration::from_millis(500));
    let busy = "server response: 500 Internal Server Error - Could not enable CPU profiling: \
                cpu profiling already in use";
    let second = oxprof(&["-top", &url]);
    assert!(
        text(&second.stderr).contains(busy),
        "{}",
        text(&second.stderr)
    );
    if let Some(mut go) = go_pprof() {
        let theirs = go.args(["-top", &url]).output().unwrap();
        assert!(!theirs.status.success());
        assert!(
            text(&theirs.stderr).contains(busy),
            "{}",
            text(&theirs.stderr)
        );
        let theirs = go_pprof()
            .unwrap()
            .args(["-top", &unknown])
            .output()
            .unwrap();
        assert!(
            text(&theirs.stderr).contains("server response: 404 Not Found - Unknown profile"),
            "{}",
            text(&theirs.stderr)
        );
    }
    assert!(first.join().unwrap().status.success());
}

/// A pseudo-terminal: (the side a program writes to as its terminal, the side to read it from).
fn pty() -> (OwnedFd, OwnedFd) {
    let (mut controller, mut terminal) = (0, 0);
    // SAFETY: openpty writes two fresh descriptors into the locals; the name, termios and window
    // size arguments may be null.
    let rc = unsafe {
        libc::openpty(
            &mut controller,
            &mut terminal,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just opened by openpty and are owned by nobody else.
    unsafe {
        (
            OwnedFd::from_raw_fd(terminal),
            OwnedFd::from_raw_fd(controller),
        )
    }
}

#[test]
fn a_terminal_shows_the_collections_progress_then_a_clean_line() {
    let _turn = cpu_turn();
    let addr = server();
    let (terminal, controller) = pty();
    let url = format!("http://{addr}/debug/pprof/profile?seconds=2");
    let tmp = scratch("progress");
    let mut child = Command::new(env!("CARGO_BIN_EXE_oxprof"))
        .args(["-top", &url])
        .env("OXPROF_TMPDIR", &tmp)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(terminal))
        .spawn()
        .unwrap();
    // Read what the terminal shows until the child closes it (EIO on Linux).
    let reader = std::thread::spawn(move || {
        let mut screen = Vec::new();
        let mut file = std::fs::File::from(controller);
        let mut chunk = [0u8; 4096];
        while let Ok(n) = file.read(&mut chunk) {
            if n == 0 {
                break;
            }
            screen.extend_from_slice(&chunk[..n]);
        }
        screen
    });
    let status = child.wait().unwrap();
    assert!(status.success());
    let screen = text(&reader.join().unwrap());
    let progress = screen
        .split_once("/debug/pprof/profile?seconds=2\r\n")
        .map(|(_, rest)| rest)
        .unwrap_or_else(|| panic!("{screen:?}"));
    assert!(
        progress.starts_with("\rCollecting profile: 0s of 2s [>"),
        "{screen:?}"
    );
    assert!(
        progress.contains("\rCollecting profile: 1s of 2s [============>"),
        "{screen:?}"
    );
    // Erased before the next line, which starts clean.
    assert!(
        progress.contains("\x1b[K\r\x1b[KSaved profile in "),
        "{screen:?}"
    );
}
