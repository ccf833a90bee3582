//! User annotations with Go's shapes (`runtime/trace`'s `NewTask`, `WithRegion`,
//! `StartRegion`, `Log`): tasks, whose ids cross threads and `.await`s, regions on one
//! thread, nested, and log messages. Each belongs to the task current on its thread, which
//! [`Task::enter`] and [`Task::instrument`] set.

use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll};

use oxprof_trace::wire::{truncate, MAX_MESSAGE_LEN};

use super::buffer::{self, EVENT_BYTES};

/// Task ids, unique in the process, given out whether tracing or not (a task may outlive
/// the trace it began in, as in Go).
static NEXT_TASK: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// The id of the task the thread works for (0: none).
    static CURRENT_TASK: Cell<u64> = const { Cell::new(0) };
}

/// A task's id: what events name it by, and how a child names its parent.
///
/// ```
/// let task = oxprof::trace::new_task(None, "request");
/// let id: oxprof::trace::TaskId = task.id();
/// assert!(id.get() > 0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId(u64);

impl TaskId {
    /// The number the trace records.
    ///
    /// ```
    /// assert!(oxprof::trace::new_task(None, "t").id().get() >= 1);
    /// ```
    pub fn get(self) -> u64 {
        self.0
    }
}

/// The task current on this thread, if any.
///
/// ```
/// let task = oxprof::trace::new_task(None, "job");
/// assert_eq!(oxprof::trace::current_task(), None);
/// task.in_scope(|| assert_eq!(oxprof::trace::current_task(), Some(task.id())));
/// ```
pub fn current_task() -> Option<TaskId> {
    let id = CURRENT_TASK.with(Cell::get);
    (id != 0).then_some(TaskId(id))
}

pub(super) fn current_task_raw() -> u64 {
    CURRENT_TASK.try_with(Cell::get).unwrap_or(0)
}

/// Makes task `id` (0: none) current on this thread; returns the one that was.
pub(super) fn swap_current_task(id: u64) -> u64 {
    CURRENT_TASK.try_with(|c| c.replace(id)).unwrap_or(0)
}

/// A fresh task id.
pub(super) fn next_task_id() -> u64 {
    NEXT_TASK.fetch_add(1, Ordering::Relaxed)
}

/// Records the beginning of task `id`.
pub(super) fn record_task_begin(id: u64, parent: u64, name: &str) {
    buffer::record(EVENT_BYTES, |r| {
        let name = r.string(name);
        let time = r.time;
        r.events().task_begin(time, id, parent, name);
    });
}

/// Records the end of task `id`.
pub(super) fn record_task_end(id: u64) {
    buffer::record(EVENT_BYTES, |r| {
        let time = r.time;
        r.events().task_end(time, id);
    });
}

/// Records the beginning of a region of `task` on this thread.
pub(super) fn record_region_begin(task: u64, name: &str) {
    buffer::record(EVENT_BYTES, |r| {
        let id = r.string(name);
        let time = r.time;
        r.events().region_begin(time, task, id);
    });
}

/// Records the end of a region of `task` on this thread.
pub(super) fn record_region_end(task: u64, name: &str) {
    buffer::record(EVENT_BYTES, |r| {
        let id = r.string(name);
        let time = r.time;
        r.events().region_end(time, task, id);
    });
}

/// Records a log message in `task`.
pub(super) fn record_log(task: u64, category: &str, message: &str) {
    let message = truncate(message, MAX_MESSAGE_LEN);
    buffer::record(EVENT_BYTES + message.len(), |r| {
        let category = r.string(category);
        let time = r.time;
        r.events().log(time, task, category, message);
    });
}

/// A user task, Go's `trace.Task`: a logical operation (a request, a job) whose regions and
/// logs may happen on many threads and across `.await`s. The trace measures it from creation
/// to [`end`](Task::end) (or drop); only the first end counts.
///
/// ```
/// use oxprof::trace;
///
/// let request = trace::new_task(None, "request");
/// let worker = {
///     let id = request.id();
///     std::thread::spawn(move || {
///         // Another thread works for the same task: a child task names it as parent.
///         let step = trace::new_task(Some(id), "lookup");
///         step.in_scope(|| trace::with_region("query", || 40 + 2))
///     })
/// };
/// assert_eq!(worker.join().unwrap(), 42);
/// request.end();
/// ```
#[derive(Debug)]
pub struct Task {
    id: u64,
    ended: AtomicBool,
}

/// Begins a task of type `name`, a child of `parent` (`None`: a root task), Go's
/// `trace.NewTask`. Keep the set of names small: analyses group tasks by it.
///
/// ```
/// let parent = oxprof::trace::new_task(None, "batch");
/// let child = oxprof::trace::new_task(Some(parent.id()), "item");
/// assert_ne!(parent.id(), child.id());
/// ```
pub fn new_task(parent: Option<TaskId>, name: &str) -> Task {
    let id = next_task_id();
    record_task_begin(id, parent.map_or(0, TaskId::get), name);
    Task {
        id,
        ended: AtomicBool::new(false),
    }
}

impl Task {
    /// Its id.
    ///
    /// ```
    /// let t = oxprof::trace::new_task(None, "t");
    /// assert_eq!(t.id(), t.id());
    /// ```
    pub fn id(&self) -> TaskId {
        TaskId(self.id)
    }

    /// Ends the task, on whatever thread calls it. Later calls (and the drop) do nothing.
    ///
    /// ```
    /// let t = oxprof::trace::new_task(None, "t");
    /// t.end();
    /// t.end(); // ignored
    /// ```
    pub fn end(&self) {
        if !self.ended.swap(true, Ordering::Relaxed) {
            record_task_end(self.id);
        }
    }

    /// Makes this the current task of the calling thread until the guard is dropped (the
    /// previous one is then current again): regions and logs in between belong to it.
    ///
    /// ```
    /// let t = oxprof::trace::new_task(None, "t");
    /// {
    ///     let _in = t.enter();
    ///     assert_eq!(oxprof::trace::current_task(), Some(t.id()));
    /// }
    /// assert_eq!(oxprof::trace::current_task(), None);
    /// ```
    pub fn enter(&self) -> Entered<'_> {
        let previous = swap_current_task(self.id);
        Entered {
            previous,
            _task: PhantomData,
        }
    }

    /// Runs `f` with this as the current task.
    ///
    /// ```
    /// let t = oxprof::trace::new_task(None, "t");
    /// let n = t.in_scope(|| oxprof::trace::with_region("work", || 7));
    /// assert_eq!(n, 7);
    /// ```
    pub fn in_scope<R>(&self, f: impl FnOnce() -> R) -> R {
        let _entered = self.enter();
        f()
    }

    /// Wraps `future` so that it runs in this task on every poll, on whichever thread polls
    /// it; the task ends when the future completes (or is dropped).
    ///
    /// ```
    /// use std::future::Future;
    /// use std::pin::pin;
    /// use std::task::{Context, Poll, Waker};
    ///
    /// let task = oxprof::trace::new_task(None, "request");
    /// let id = task.id();
    /// let request = task.instrument(async { oxprof::trace::current_task() });
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert_eq!(pin!(request).poll(&mut cx), Poll::Ready(Some(id)));
    /// ```
    pub fn instrument<F: Future>(self, future: F) -> InTask<F> {
        InTask { future, task: self }
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        self.end();
    }
}

/// The current task set by [`Task::enter`], until dropped. Stays on its thread.
///
/// ```
/// let t = oxprof::trace::new_task(None, "t");
/// let entered: oxprof::trace::Entered<'_> = t.enter();
/// drop(entered);
/// ```
#[derive(Debug)]
#[must_use = "the task is current only while the guard lives"]
pub struct Entered<'a> {
    previous: u64,
    _task: PhantomData<(&'a Task, *const ())>,
}

impl Drop for Entered<'_> {
    fn drop(&mut self) {
        swap_current_task(self.previous);
    }
}

/// A future that runs in a task; made by [`Task::instrument`].
///
/// ```
/// let f: oxprof::trace::InTask<_> = oxprof::trace::new_task(None, "t").instrument(async {});
/// # drop(f);
/// ```
#[derive(Debug)]
#[must_use = "futures do nothing unless polled"]
pub struct InTask<F> {
    future: F,
    task: Task,
}

impl<F: Future> Future for InTask<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: `future` is structurally pinned: it is never moved out of a pinned `InTask`
        // (which has no `Drop` of its own); `task` is never pinned.
        let this = unsafe { self.get_unchecked_mut() };
        let _entered = this.task.enter();
        // SAFETY: as above, `future` stays where the pinned `InTask` put it.
        let poll = unsafe { Pin::new_unchecked(&mut this.future) }.poll(cx);
        if poll.is_ready() {
            this.task.end();
        }
        poll
    }
}

/// A region of code on one thread, Go's `trace.Region`: from
/// [`start_region`] to [`end`](Region::end) (or drop). Regions nest and stay on their
/// thread; they belong to the task current when they start.
///
/// ```
/// let region = oxprof::trace::start_region("parse");
/// // ... work ...
/// region.end();
/// ```
#[derive(Debug)]
#[must_use = "the region ends when dropped"]
pub struct Region<'a> {
    name: &'a str,
    task: u64,
    /// Tracing was on when it started (as in Go, a region started off stays a no-op).
    active: bool,
    _thread: PhantomData<*const ()>,
}

/// Starts a region of type `name` on the calling thread, in its current task.
///
/// ```
/// let outer = oxprof::trace::start_region("outer");
/// let inner = oxprof::trace::start_region("inner");
/// inner.end();
/// outer.end();
/// ```
pub fn start_region(name: &str) -> Region<'_> {
    let task = current_task_raw();
    let active = buffer::enabled();
    if active {
        record_region_begin(task, name);
    }
    Region {
        name,
        task,
        active,
        _thread: PhantomData,
    }
}

impl Region<'_> {
    /// Ends the region.
    ///
    /// ```
    /// oxprof::trace::start_region("r").end();
    /// ```
    pub fn end(self) {}
}

impl Drop for Region<'_> {
    fn drop(&mut self) {
        if self.active {
            record_region_end(self.task, self.name);
        }
    }
}

/// Runs `f` as a region of type `name`, Go's `trace.WithRegion`; the region ends even if `f`
/// panics.
///
/// ```
/// let sum = oxprof::trace::with_region("sum", || (1..=10).sum::<u32>());
/// assert_eq!(sum, 55);
/// ```
pub fn with_region<R>(name: &str, f: impl FnOnce() -> R) -> R {
    let _region = start_region(name);
    f()
}

/// Logs `message` under `category` in the current task, Go's `trace.Log`. Messages are kept up
/// to 16 KiB.
///
/// ```
/// oxprof::trace::log("cache", "miss for key 42");
/// ```
pub fn log(category: &str, message: &str) {
    record_log(current_task_raw(), category, message);
}

/// [`log`] of a formatted message, formatted only when tracing, Go's `trace.Logf`.
///
/// ```
/// let key = 42;
/// oxprof::trace::logf("cache", format_args!("miss for key {key}"));
/// ```
pub fn logf(category: &str, args: fmt::Arguments<'_>) {
    if buffer::enabled() {
        log(category, &fmt::format(args));
    }
}
