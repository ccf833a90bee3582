//! The execution tracer end to end: a program with threads, nested regions, a task that
//! crosses threads and an `.await`, and a contended lock is traced, and the parsed trace must
//! hold exactly those events, in order, with their nesting, durations and the flow from the
//! unlocker to the waiter; traces cut anywhere in their last generation still read.

use std::future::Future;
use std::io::{self, Write};
use std::pin::Pin;
use std::sync::{mpsc, Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use oxprof::trace;
use oxprof_trace::{Event, EventKind, Trace};

/// The tracer is process-wide: tests take turns.
fn serial() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock().unwrap_or_else(|e| e.into_inner())
}

/// A writer the test can read back after `trace::stop`.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Shared {
    fn bytes(&self) -> Vec<u8> {
        self.0.lock().unwrap().clone()
    }
}

fn tid() -> u64 {
    // SAFETY: gettid has no preconditions.
    unsafe { libc::gettid() as u64 }
}

/// The events thread `tid` recorded itself (not its CPU time counter), in order.
fn recorded_by(trace: &Trace, tid: u64) -> Vec<&Event> {
    trace
        .events
        .iter()
        .filter(|e| e.thread == tid)
        .filter(|e| {
            !matches!(
                e.kind,
                EventKind::ThreadCpu { .. } | EventKind::CpuSample { .. }
            )
        })
        .collect()
}

/// [`recorded_by`] without the thread's start and end.
fn on_thread(trace: &Trace, tid: u64) -> Vec<&Event> {
    recorded_by(trace, tid)
        .into_iter()
        .filter(|e| !matches!(e.kind, EventKind::ThreadStart | EventKind::ThreadEnd))
        .collect()
}

/// A one-shot signal whose `.await` is pending until it is set from another thread.
#[derive(Default)]
struct Signal(Mutex<bool>);

impl Future for &Signal {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        if *self.0.lock().unwrap() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

/// Waits for the contended lock; a frame of its own, so the wait's stack names it.
#[inline(never)]
fn wait_for_lock(lock: &oxprof::sync::Mutex<u32>) -> u32 {
    let mut guard = lock.lock().unwrap();
    *guard += 17;
    std::hint::black_box(*guard)
}

/// What each thread measured for itself, to compare with the trace.
struct Measured {
    /// Thread A: the region `inner` from just before it began to just after it ended.
    inner_outside: Duration,
    inner_sleep: Duration,
}

#[test]
fn threads_regions_a_task_across_threads_and_awaits_and_a_contended_lock() {
    let _turn = serial();
    let out = Shared::default();
    trace::start(out.clone()).unwrap();

    let request = trace::new_task(None, "request");
    let request_id = request.id().get();
    let main_tid = tid();

    let lock = Arc::new(oxprof::sync::Mutex::new(0u32));
    let (locked_tx, locked_rx) = mpsc::channel();
    let (waiting_tx, waiting_rx) = mpsc::channel::<()>();

    // Thread A: nested regions, then holds the lock while B waits for it.
    let a = {
        let lock = Arc::clone(&lock);
        std::thread::Builder::new()
            .name("trace-a".into())
            .spawn(move || {
                let sleep = Duration::from_millis(3);
                let outer = trace::start_region("outer");
                let before = Instant::now();
                trace::with_region("inner", || std::thread::sleep(sleep));
                let inner_outside = before.elapsed();
                outer.end();
                let guard = lock.lock().unwrap();
                locked_tx.send(()).unwrap();
                waiting_rx.recv().unwrap();
                // B is at the lock (or about to be): give it time to wait.
                std::thread::sleep(Duration::from_millis(50));
                drop(guard);
                (
                    tid(),
                    Measured {
                        inner_outside,
                        inner_sleep: sleep,
                    },
                )
            })
            .unwrap()
    };

    // The request task's future: a region before its `.await`, one after.
    let signal = Arc::new(Signal::default());
    let future = {
        let signal = Arc::clone(&signal);
        trace::new_task(Some(request.id()), "request.handle").instrument(async move {
            trace::with_region("before await", || trace::log("step", "polled first"));
            (&*signal).await;
            trace::with_region("after await", || std::hint::black_box(3));
        })
    };
    let mut future = Box::pin(future);

    // Thread B: first poll of the task, then waits for A's lock.
    let b = {
        let lock = Arc::clone(&lock);
        std::thread::Builder::new()
            .name("trace-b".into())
            .spawn(move || {
                let mut cx = Context::from_waker(Waker::noop());
                assert!(future.as_mut().poll(&mut cx).is_pending());
                locked_rx.recv().unwrap();
                waiting_tx.send(()).unwrap();
                wait_for_lock(&lock);
                (tid(), future)
            })
            .unwrap()
    };
    let (b_tid, mut future) = b.join().unwrap();
    let (a_tid, measured) = a.join().unwrap();

    // Thread C: the task resumes after its `.await` on another thread.
    *signal.0.lock().unwrap() = true;
    let c = std::thread::Builder::new()
        .name("trace-c".into())
        .spawn(move || {
            let mut cx = Context::from_waker(Waker::noop());
            assert!(future.as_mut().poll(&mut cx).is_ready());
            tid()
        })
        .unwrap();
    let c_tid = c.join().unwrap();
    request.end();
    trace::stop().unwrap();

    let trace = oxprof_trace::parse(&out.bytes()).unwrap();
    assert!(trace.warnings.is_empty(), "{:?}", trace.warnings);
    assert_eq!(trace.thread_name(a_tid), "trace-a");
    assert_eq!(trace.thread_name(b_tid), "trace-b");
    assert_eq!(trace.thread_name(c_tid), "trace-c");
    let name = |id| trace.str(id).to_owned();

    // Each thread started and ended in the trace.
    for t in [a_tid, b_tid, c_tid] {
        let kinds: Vec<_> = recorded_by(&trace, t)
            .into_iter()
            .map(|e| &e.kind)
            .collect();
        assert_eq!(kinds.first(), Some(&&EventKind::ThreadStart), "thread {t}");
        assert_eq!(kinds.last(), Some(&&EventKind::ThreadEnd), "thread {t}");
    }

    // Thread A: outer ⊃ inner, then the release that let B in.
    let a_events = on_thread(&trace, a_tid);
    let shape: Vec<String> = a_events
        .iter()
        .map(|e| match &e.kind {
            EventKind::RegionBegin { task: 0, name: n } => format!("begin {}", name(*n)),
            EventKind::RegionEnd { task: 0, name: n } => format!("end {}", name(*n)),
            EventKind::Unblock { .. } => "unblock".into(),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        shape,
        [
            "begin outer",
            "begin inner",
            "end inner",
            "end outer",
            "unblock"
        ]
    );
    let inner = a_events[2].time - a_events[1].time;
    let outer = a_events[3].time - a_events[0].time;
    assert!(inner >= measured.inner_sleep.as_nanos() as u64, "{inner}");
    assert!(
        inner <= measured.inner_outside.as_nanos() as u64,
        "{inner} {:?}",
        measured.inner_outside
    );
    assert!(outer >= inner);

    // Thread B: the task's first poll (in the task), then the wait for A's lock.
    let b_events = on_thread(&trace, b_tid);
    let handle_task = match b_events[0].kind {
        EventKind::RegionBegin { task, name: n } => {
            assert_eq!(name(n), "before await");
            task
        }
        ref other => panic!("{other:?}"),
    };
    assert!(matches!(&b_events[1].kind,
        EventKind::Log { task, category, message }
            if *task == handle_task && name(*category) == "step" && name(*message) == "polled first"));
    assert!(matches!(&b_events[2].kind,
        EventKind::RegionEnd { task, name: n } if *task == handle_task && name(*n) == "before await"));
    let EventKind::Wait {
        start,
        reason,
        object,
        waker,
        stack,
    } = b_events[3].kind
    else {
        panic!("{:?}", b_events[3]);
    };
    assert_eq!(b_events.len(), 4, "{b_events:?}");
    assert_eq!(name(reason), "sync");

    // The flow: A's release (seq) ended B's wait, in time order.
    let EventKind::Unblock {
        object: released,
        seq,
        stack: unlock_stack,
    } = a_events[4].kind
    else {
        unreachable!()
    };
    assert_eq!(waker, seq);
    assert_eq!(object, released);
    let released_at = a_events[4].time;
    assert!(start < released_at && released_at < b_events[3].time);
    assert!(
        b_events[3].time - start >= 40_000_000,
        "B waited about 50 ms"
    );

    // The wait's stack starts in the program, at the function that waited.
    let functions = |stack| -> Vec<String> {
        trace
            .stack(stack)
            .iter()
            .flat_map(|&pc| trace.frames(pc).iter().map(|f| name(f.function)))
            .collect()
    };
    let waited = functions(stack);
    assert!(
        waited.iter().take(3).any(|f| f.ends_with("wait_for_lock")),
        "{waited:?}"
    );
    assert!(!waited[0].starts_with("oxprof::"), "{waited:?}");
    assert!(!functions(unlock_stack).is_empty());

    // Thread C: the same task after its `.await`, which then ends there.
    let c_events = on_thread(&trace, c_tid);
    let c_shape: Vec<(String, u64)> = c_events
        .iter()
        .map(|e| match &e.kind {
            EventKind::RegionBegin { task, name: n } => (format!("begin {}", name(*n)), *task),
            EventKind::RegionEnd { task, name: n } => (format!("end {}", name(*n)), *task),
            EventKind::TaskEnd { task } => ("task end".into(), *task),
            other => (format!("{other:?}"), 0),
        })
        .collect();
    assert_eq!(
        c_shape,
        [
            ("begin after await".into(), handle_task),
            ("end after await".into(), handle_task),
            ("task end".into(), handle_task),
        ]
    );

    // Main thread: the two tasks begin (the second a child of the first); the first ends.
    let main_events = on_thread(&trace, main_tid);
    let tasks: Vec<_> = main_events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::TaskBegin {
                task,
                parent,
                name: n,
            } => Some(("begin", *task, *parent, name(*n))),
            EventKind::TaskEnd { task } => Some(("end", *task, 0, String::new())),
            _ => None,
        })
        .collect();
    assert_eq!(
        tasks,
        [
            ("begin", request_id, 0, "request".to_owned()),
            (
                "begin",
                handle_task,
                request_id,
                "request.handle".to_owned()
            ),
            ("end", request_id, 0, String::new()),
        ]
    );
}

#[test]
fn a_trace_cut_anywhere_in_its_last_generation_keeps_every_earlier_one() {
    let _turn = serial();
    let out = Shared::default();
    trace::start(out.clone()).unwrap();
    let start = Instant::now();
    let mut n = 0u32;
    // Events in at least two generations (they last about a second).
    while start.elapsed() < Duration::from_millis(1300) {
        trace::with_region("tick", || trace::logf("n", format_args!("{n}")));
        n += 1;
        std::thread::sleep(Duration::from_millis(20));
    }
    trace::stop().unwrap();
    let bytes = out.bytes();
    let full = oxprof_trace::parse(&bytes).unwrap();
    assert!(full.warnings.is_empty(), "{:?}", full.warnings);
    assert!(full.generations.len() >= 2, "{:?}", full.generations);
    let last = *full.generations.last().unwrap();
    assert_eq!(last.offset + last.len, bytes.len());
    let earlier = &full.generations[..full.generations.len() - 1];
    let earlier_events: Vec<&Event> = full.events.iter().filter(|e| e.time < last.start).collect();
    for cut in last.offset..bytes.len() {
        let torn = oxprof_trace::parse(&bytes[..cut]).unwrap();
        assert_eq!(torn.generations, earlier, "cut at {cut}");
        assert_eq!(torn.events.len(), earlier_events.len(), "cut at {cut}");
        if cut > last.offset {
            assert!(
                !torn.warnings.is_empty(),
                "cut at {cut}: the loss is reported"
            );
        }
    }
    assert!(oxprof_trace::parse(&bytes[..10]).is_err());
}

#[test]
fn the_flight_recorder_keeps_whole_recent_generations() {
    let _turn = serial();
    let recorder = trace::FlightRecorder::new(Duration::ZERO, 1 << 20);
    recorder.start().unwrap();
    assert!(trace::is_enabled());
    trace::with_region("old", || {});
    let mut first = Vec::new();
    recorder.write_to(&mut first).unwrap();
    trace::with_region("new", || {});
    let mut second = Vec::new();
    recorder.write_to(&mut second).unwrap();
    recorder.stop();
    assert!(!trace::is_enabled());
    assert!(recorder.write_to(io::sink()).is_err());

    let regions = |bytes: &[u8]| -> Vec<String> {
        let t = oxprof_trace::parse(bytes).unwrap();
        t.events
            .iter()
            .filter_map(|e| match e.kind {
                EventKind::RegionBegin { name, .. } => Some(t.str(name).to_owned()),
                _ => None,
            })
            .collect()
    };
    assert_eq!(regions(&first), ["old"]);
    // With no minimum age, only the newest generation stays.
    assert_eq!(regions(&second), ["new"]);
}

#[test]
fn cpu_samples_appear_on_the_sampled_thread_with_symbolized_stacks() {
    let _turn = serial();
    let out = Shared::default();
    trace::start(out.clone()).unwrap();
    let profiler = oxprof::cpu::Profiler::builder()
        .frequency(500)
        .start()
        .unwrap();
    #[inline(never)]
    fn spin_for_trace(until: Instant) -> u64 {
        let mut x = 0x9e37u64;
        while Instant::now() < until {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
        }
        x
    }
    let busy = std::thread::Builder::new()
        .name("trace-busy".into())
        .spawn(|| {
            spin_for_trace(Instant::now() + Duration::from_millis(300));
            tid()
        })
        .unwrap()
        .join()
        .unwrap();
    drop(profiler.stop().unwrap());
    trace::stop().unwrap();
    let trace = oxprof_trace::parse(&out.bytes()).unwrap();
    let samples: Vec<_> = trace
        .events
        .iter()
        .filter(|e| e.thread == busy)
        .filter_map(|e| match e.kind {
            EventKind::CpuSample { stack } => Some(stack),
            _ => None,
        })
        .collect();
    assert!(samples.len() >= 20, "{}", samples.len());
    let in_spin = samples
        .iter()
        .filter(|&&s| {
            trace.stack(s).iter().any(|&pc| {
                trace
                    .frames(pc)
                    .iter()
                    .any(|f| trace.str(f.function).ends_with("spin_for_trace"))
            })
        })
        .count();
    assert!(
        in_spin * 2 > samples.len(),
        "{in_spin} of {}",
        samples.len()
    );
    assert_eq!(trace.thread_name(busy), "trace-busy");
    // Counters: the thread's CPU time, sampled every 100 ms.
    assert!(
        trace
            .events
            .iter()
            .any(|e| e.thread == busy
                && matches!(e.kind, EventKind::ThreadCpu { nanos } if nanos > 0))
    );
}

/// Threads recording as fast as they can while generations end one after another: every
/// event of every thread must be in the trace, once, in its order. A write that raced a
/// generation's end without the collector seeing it would lose events or tear a batch.
#[test]
fn events_written_across_many_generation_ends_are_all_kept_in_order() {
    use std::sync::atomic::{AtomicBool, Ordering};
    const GENERATIONS: u32 = 30;
    const NAMES: [&str; 2] = ["even-region", "odd-region"];
    let _turn = serial();
    let out = Shared::default();
    trace::start(out.clone()).unwrap();
    // Attached alongside the writer only so that `write_to` ends a generation on demand.
    let recorder = trace::FlightRecorder::new(Duration::ZERO, 1 << 20);
    recorder.start().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..2)
        .map(|w| {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut pairs = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let name = NAMES[(pairs % 2) as usize];
                    trace::with_region(name, || std::hint::black_box(pairs + w));
                    pairs += 1;
                }
                (tid(), pairs)
            })
        })
        .collect();
    for _ in 0..GENERATIONS {
        recorder.write_to(io::sink()).unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    let written: Vec<(u64, u64)> = writers.into_iter().map(|w| w.join().unwrap()).collect();
    recorder.stop();
    trace::stop().unwrap();

    let trace = oxprof_trace::parse(&out.bytes()).unwrap();
    assert!(trace.warnings.is_empty(), "{:?}", trace.warnings);
    assert!(trace.generations.len() > GENERATIONS as usize);
    for (tid, pairs) in written {
        let events = on_thread(&trace, tid);
        assert_eq!(events.len() as u64, 2 * pairs, "thread {tid}");
        for (i, pair) in events.chunks(2).enumerate() {
            let name = NAMES[i % 2];
            match (&pair[0].kind, &pair[1].kind) {
                (EventKind::RegionBegin { name: b, .. }, EventKind::RegionEnd { name: e, .. })
                    if trace.str(*b) == name && trace.str(*e) == name => {}
                other => panic!("thread {tid}, pair {i}: {other:?}"),
            }
        }
    }
}

/// Whether `trace` has a region named `name`.
fn has_region(trace: &Trace, name: &str) -> bool {
    trace
        .events
        .iter()
        .any(|e| matches!(e.kind, EventKind::RegionBegin { name: n, .. } if trace.str(n) == name))
}

/// What a child forked while tracing does: stop (the collector stayed in the parent), trace
/// anew into memory, and check its own trace. The exit code says which step failed.
fn child_traces_anew() -> i32 {
    if trace::stop().is_err() {
        return 2;
    }
    let out = Shared::default();
    if trace::start(out.clone()).is_err() {
        return 3;
    }
    trace::with_region("in the child", || std::hint::black_box(0x5ca1));
    if trace::stop().is_err() {
        return 4;
    }
    match oxprof_trace::parse(&out.bytes()) {
        Ok(t) if has_region(&t, "in the child") && !has_region(&t, "before the fork") => 0,
        _ => 5,
    }
}

/// Forks a child that runs [`child_traces_anew`] and waits for it (a minute at most).
fn fork_and_wait() {
    // SAFETY: the child only runs oxprof's tracer and leaves with _exit.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let code = child_traces_anew();
        // SAFETY: _exit ends the child without running the parent's exit handlers.
        unsafe { libc::_exit(code) };
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut status = 0;
    loop {
        // SAFETY: waits for our own child without blocking.
        let done = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if done == pid {
            break;
        }
        if Instant::now() > deadline {
            // SAFETY: our own child.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            panic!("the forked child hung in the tracer");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(libc::WIFEXITED(status), "child status {status}");
    assert_eq!(libc::WEXITSTATUS(status), 0, "the child's step that failed");
}

#[test]
fn a_child_forked_while_tracing_stops_at_once_and_traces_anew() {
    let _turn = serial();
    let out = Shared::default();
    trace::start(out.clone()).unwrap();
    trace::with_region("before the fork", || std::hint::black_box(0xf0));
    // Another thread records all along, so some forks catch it in the middle of an event: the
    // child must not wait for a thread it does not have.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let busy = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                trace::with_region("busy", || std::hint::black_box(0xb5));
            }
        })
    };
    for _ in 0..20 {
        fork_and_wait();
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    busy.join().unwrap();
    trace::with_region("after the fork", || std::hint::black_box(0xaf));
    trace::stop().unwrap();
    let parent = oxprof_trace::parse(&out.bytes()).unwrap();
    assert!(has_region(&parent, "before the fork"));
    assert!(has_region(&parent, "after the fork"));
    assert!(!has_region(&parent, "in the child"));
}

/// A writer that takes its time, so the collector holds the tracer's control lock while it
/// writes, as it does when a sink is slow.
struct Slow(Shared);

impl Write for Slow {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        std::thread::sleep(Duration::from_millis(2));
        self.0.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_child_forked_while_other_threads_hold_the_tracers_locks_traces_anew() {
    let _turn = serial();
    let out = Shared::default();
    trace::start(Slow(out.clone())).unwrap();
    let recorder = trace::FlightRecorder::new(Duration::from_secs(1), 1 << 20);
    recorder.start().unwrap();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let running = |stop: &Arc<std::sync::atomic::AtomicBool>| {
        !stop.load(std::sync::atomic::Ordering::Relaxed)
    };
    // One thread keeps ending generations, so the collector is nearly always writing (holding
    // the control lock) or taking the threads' buffers (holding the registry's).
    let snapshots = {
        let stop = stop.clone();
        let recorder = Arc::new(recorder);
        let r = recorder.clone();
        (
            std::thread::spawn(move || {
                while running(&stop) {
                    let _ = r.write_to(io::sink());
                }
            }),
            recorder,
        )
    };
    // Another keeps starting threads that record, each registering its buffer.
    let spawner = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            while running(&stop) {
                std::thread::spawn(|| trace::with_region("short", || std::hint::black_box(1)))
                    .join()
                    .unwrap();
            }
        })
    };
    for _ in 0..20 {
        fork_and_wait();
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    snapshots.0.join().unwrap();
    spawner.join().unwrap();
    snapshots.1.stop();
    trace::stop().unwrap();
    assert!(oxprof_trace::parse(&out.bytes()).is_ok());
}
