//! `tracing` in the execution trace: an async span polled twice on two threads is one task
//! with a region per poll, nested synchronous spans nest, events are logs of their span's task.

use std::future::Future;
use std::io::{self, Write};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use oxprof_trace::{EventKind, Trace};
use tracing::Instrument;
use tracing_subscriber::prelude::*;

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

/// Pending on its first poll, ready on the next.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        if std::mem::replace(&mut self.0, true) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

fn tid() -> u64 {
    // SAFETY: gettid has no preconditions.
    unsafe { libc::gettid() as u64 }
}

/// One line per event of interest: thread, kind, name, task.
fn shape(trace: &Trace) -> Vec<(u64, String)> {
    trace
        .events
        .iter()
        .filter_map(|e| {
            let s = |id| trace.str(id);
            let line = match &e.kind {
                EventKind::TaskBegin { task, parent, name } => {
                    format!("task {task} {} parent {parent}", s(*name))
                }
                EventKind::TaskEnd { task } => format!("end task {task}"),
                EventKind::RegionBegin { task, name } => format!("begin {} in {task}", s(*name)),
                EventKind::RegionEnd { task, name } => format!("end {} in {task}", s(*name)),
                EventKind::Log {
                    task,
                    category,
                    message,
                } => format!("log {} {:?} in {task}", s(*category), s(*message)),
                _ => return None,
            };
            Some((e.thread, line))
        })
        .collect()
}

#[test]
fn async_spans_are_one_task_with_a_region_per_poll() {
    let out = Shared::default();
    oxprof::trace::start(out.clone()).unwrap();
    let dispatch = tracing::Dispatch::new(
        tracing_subscriber::registry().with(oxprof::trace::TraceLayer::new().with_fields(true)),
    );

    let main = tid();
    let future: Pin<Box<dyn Future<Output = ()> + Send>> =
        tracing::dispatcher::with_default(&dispatch, || {
            Box::pin(
                async {
                    tracing::info!(step = 1, "first poll");
                    YieldOnce(false).await;
                    let _nested = tracing::info_span!("after").entered();
                    tracing::info!("second poll");
                }
                .instrument(tracing::info_span!("request", id = 7)),
            )
        });
    let poll_on_new_thread = move |mut future: Pin<Box<dyn Future<Output = ()> + Send>>,
                                   dispatch: tracing::Dispatch| {
        std::thread::spawn(move || {
            let ready = tracing::dispatcher::with_default(&dispatch, || {
                future
                    .as_mut()
                    .poll(&mut Context::from_waker(Waker::noop()))
                    .is_ready()
            });
            (tid(), ready, future)
        })
        .join()
        .unwrap()
    };
    let (first, ready, rest) = poll_on_new_thread(future, dispatch.clone());
    assert!(!ready);
    let (second, ready, rest) = poll_on_new_thread(rest, dispatch.clone());
    assert!(ready);
    tracing::dispatcher::with_default(&dispatch, || drop(rest));
    oxprof::trace::stop().unwrap();

    let trace = oxprof_trace::parse(&out.0.lock().unwrap()).unwrap();
    let lines = shape(&trace);
    let task_of = |name: &str| -> u64 {
        lines
            .iter()
            .find_map(|(_, l)| {
                l.strip_prefix("task ")
                    .filter(|r| r.split(' ').nth(1) == Some(name))
            })
            .and_then(|r| r.split(' ').next()?.parse().ok())
            .unwrap_or_else(|| panic!("no task {name} in {lines:#?}"))
    };
    let request = task_of("request");
    let after = task_of("after");
    let expected: Vec<(u64, String)> = vec![
        (main, format!("task {request} request parent 0")),
        (main, format!("log request \"id=7\" in {request}")),
        (first, format!("begin request in {request}")),
        (
            first,
            format!("log trace_tracing \"INFO first poll step=1\" in {request}"),
        ),
        (first, format!("end request in {request}")),
        (second, format!("begin request in {request}")),
        (second, format!("task {after} after parent {request}")),
        (second, format!("begin after in {after}")),
        (
            second,
            format!("log trace_tracing \"INFO second poll\" in {after}"),
        ),
        (second, format!("end after in {after}")),
        (second, format!("end task {after}")),
        (second, format!("end request in {request}")),
        // tracing's `Instrumented` enters its span to drop the future.
        (main, format!("begin request in {request}")),
        (main, format!("end request in {request}")),
        (main, format!("end task {request}")),
    ];
    assert_eq!(lines, expected);
}
