//! Fork safety: with every allocation sampled and threads allocating flat out, a forked child
//! can still allocate (through the sampler, the unwinder and the profiler's tables) and exit,
//! and neither side deadlocks on a lock some other thread held at the moment of the fork.

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOC: oxprof::heap::Profiled = oxprof::heap::Profiled::system();

const FORKS: usize = 200;
const ALLOCATING_THREADS: usize = 3;
/// A child runs for a few milliseconds; one stuck this long is deadlocked.
const CHILD_TIMEOUT: Duration = Duration::from_secs(10);
/// The whole test, parent side included.
const TEST_TIMEOUT: Duration = Duration::from_secs(120);

#[inline(never)]
fn allocate_and_free(round: usize) {
    let mut kept: Vec<Vec<u8>> = Vec::with_capacity(64);
    for i in 0..256 {
        let block = black_box(vec![i as u8; 16 + (round + i) % 512]);
        if kept.len() < 64 {
            kept.push(block);
        } else {
            kept[i % 64] = block;
        }
    }
}

/// The child's whole life: allocate through the profiler, check the counts, exit without
/// running anything inherited from the parent (atexit handlers, test harness).
fn child() -> ! {
    let (_, counts) = oxprof::heap::measure(|| {
        for round in 0..8 {
            allocate_and_free(round);
        }
    });
    // 8 rounds of one holder and 256 blocks, everything freed.
    let exact = counts.allocs == 8 * 257 && counts.frees == counts.allocs;
    // SAFETY: _exit ends the process at once; nothing in the child needs to run first.
    unsafe { libc::_exit(if exact { 0 } else { 3 }) }
}

/// Waits for `pid` to exit, or kills it after [`CHILD_TIMEOUT`]: its exit status, or None if it
/// hung.
fn wait_or_kill(pid: libc::pid_t) -> Option<libc::c_int> {
    let deadline = Instant::now() + CHILD_TIMEOUT;
    loop {
        let mut status = 0;
        // SAFETY: pid is our child; status is a valid out-pointer.
        let waited = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        assert!(waited >= 0, "waitpid: {}", std::io::Error::last_os_error());
        if waited == pid {
            return Some(status);
        }
        if Instant::now() > deadline {
            // SAFETY: pid is our child, not yet reaped.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                libc::waitpid(pid, &mut status, 0);
            }
            return None;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Fails the test (the whole process) if it has not finished in time: a deadlocked parent
/// would otherwise hang the run.
fn watchdog(done: Arc<AtomicBool>) {
    std::thread::spawn(move || {
        let started = Instant::now();
        while !done.load(Ordering::Relaxed) {
            if started.elapsed() > TEST_TIMEOUT {
                eprintln!("heap_fork: no progress in {TEST_TIMEOUT:?}: deadlocked");
                std::process::abort();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    });
}

#[test]
fn forking_while_threads_allocate_never_deadlocks() {
    let done = Arc::new(AtomicBool::new(false));
    watchdog(done.clone());
    oxprof::heap::set_sample_rate(1);
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..ALLOCATING_THREADS)
        .map(|_| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut round = 0;
                while !stop.load(Ordering::Relaxed) {
                    allocate_and_free(round);
                    round += 1;
                }
                round
            })
        })
        .collect();

    let started = Instant::now();
    let mut failures = Vec::new();
    for fork in 0..FORKS {
        // SAFETY: the child only allocates, frees and calls _exit (see `child`).
        let pid = unsafe { libc::fork() };
        match pid {
            0 => child(),
            -1 => panic!("fork: {}", std::io::Error::last_os_error()),
            _ => match wait_or_kill(pid) {
                None => failures.push(format!("child {fork} hung and was killed")),
                Some(status) if status != 0 => {
                    failures.push(format!("child {fork} failed (wait status {status:#x})"))
                }
                Some(_) => {}
            },
        }
    }
    stop.store(true, Ordering::Relaxed);
    let rounds: usize = workers.into_iter().map(|w| w.join().unwrap()).sum();
    oxprof::heap::set_sample_rate(512 * 1024);
    done.store(true, Ordering::Relaxed);
    eprintln!(
        "{FORKS} forks in {:.1?} while {ALLOCATING_THREADS} threads made {rounds} rounds of 257 \
         sampled allocations",
        started.elapsed()
    );
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(rounds > 0, "the allocating threads never ran");
    // The parent's profiler still works after all those forks.
    assert!(oxprof::heap::profile().is_ok());
}
