//! A trace's events as intervals: per thread, its regions and waits as properly nested slices;
//! tasks from begin to end; flows from a release to the waits it ended; counters as series.
//! What viewers and analyses draw from, so exporters and the web UI agree.

use std::collections::HashMap;

use crate::model::{EventKind, StackId, StrId, Trace};

/// What a [`Slice`] is.
///
/// ```
/// use oxprof_trace::timeline::SliceKind;
/// let k = SliceKind::Region { task: 0, name: oxprof_trace::StrId(1) };
/// assert!(matches!(k, SliceKind::Region { .. }));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SliceKind {
    /// A user region (or a `tracing` span's entry).
    Region {
        /// Its task (0: none).
        task: u64,
        /// Its type.
        name: StrId,
    },
    /// A wait on an `oxprof::sync` primitive.
    Wait {
        /// Why (`sync`, `sync.Cond`...).
        reason: StrId,
        /// What was waited on (an address).
        object: u64,
        /// Where.
        stack: StackId,
    },
}

/// An interval on one thread, nested in the slices of lower depth around it.
///
/// ```
/// let s = oxprof_trace::timeline::Slice {
///     start: 1, end: 2, depth: 0,
///     kind: oxprof_trace::timeline::SliceKind::Region { task: 0, name: oxprof_trace::StrId(0) },
/// };
/// assert_eq!(s.end - s.start, 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slice {
    /// Start, monotonic ns.
    pub start: u64,
    /// End, monotonic ns.
    pub end: u64,
    /// Nesting depth on its thread (0: outermost).
    pub depth: u32,
    /// What it is.
    pub kind: SliceKind,
}

/// One thread's lane.
///
/// ```
/// let lane = oxprof_trace::timeline::Lane::default();
/// assert!(lane.slices.is_empty());
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Lane {
    /// Kernel thread id.
    pub tid: u64,
    /// Its name.
    pub name: String,
    /// Regions and waits, ordered by start (outer before inner at equal starts).
    pub slices: Vec<Slice>,
    /// Logs: time, task, category, message.
    pub logs: Vec<(u64, u64, StrId, StrId)>,
    /// CPU samples: time and stack.
    pub samples: Vec<(u64, StackId)>,
    /// Releases that ended waits: time, object, sequence number, stack.
    pub unblocks: Vec<(u64, u64, u64, StackId)>,
    /// CPU use between counter samples: time and share of one CPU (0..=1).
    pub cpu: Vec<(u64, f64)>,
}

/// A user task.
///
/// ```
/// let t = oxprof_trace::timeline::TaskSpan::default();
/// assert_eq!(t.id, 0);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskSpan {
    /// Its id.
    pub id: u64,
    /// Its parent (0: none).
    pub parent: u64,
    /// Its type.
    pub name: StrId,
    /// When it began (the trace's start if before it), and on which thread (0: unknown).
    pub start: u64,
    /// Thread it began on (0: before the trace).
    pub start_thread: u64,
    /// When it ended (the trace's end if it did not), and on which thread (0: not ended).
    pub end: u64,
    /// Thread it ended on (0: not in the trace).
    pub end_thread: u64,
}

/// A release that ended a wait: from the releasing thread to the waiting one.
///
/// ```
/// let f = oxprof_trace::timeline::Flow::default();
/// assert_eq!(f.from_time, 0);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flow {
    /// Releasing thread and time.
    pub from_thread: u64,
    /// When it released.
    pub from_time: u64,
    /// Waiting thread.
    pub to_thread: u64,
    /// When its wait ended.
    pub to_time: u64,
    /// The lane index and slice index of the wait.
    pub wait: (usize, usize),
}

/// A process counter's values over time.
///
/// ```
/// let c = oxprof_trace::timeline::Counter::default();
/// assert!(c.points.is_empty());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counter {
    /// Its name.
    pub name: String,
    /// Time and value.
    pub points: Vec<(u64, u64)>,
}

/// The trace as intervals.
///
/// ```
/// let timeline = oxprof_trace::timeline::Timeline::new(&oxprof_trace::Trace::default());
/// assert!(timeline.lanes.is_empty());
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Timeline {
    /// Start and end of the trace (monotonic ns).
    pub start: u64,
    /// End of the trace.
    pub end: u64,
    /// One lane per thread with events, by thread id.
    pub lanes: Vec<Lane>,
    /// Tasks by id.
    pub tasks: Vec<TaskSpan>,
    /// Releases to the waits they ended.
    pub flows: Vec<Flow>,
    /// Process counters.
    pub counters: Vec<Counter>,
}

/// A region still open on a thread while its events are walked.
struct Open {
    name: StrId,
    /// Index of its slice in the lane.
    slice: usize,
}

impl Timeline {
    /// Builds the intervals of `trace`. Region ends without a begin in the trace start at
    /// the trace's start; regions and tasks never ended end at its end; a region end that
    /// closes an outer region closes the ones inside it too.
    ///
    /// ```
    /// use oxprof_trace::encode::{Events, GenerationEncoder};
    /// let mut g = GenerationEncoder::new(1, 0, 0);
    /// g.strings(5, [(1, "outer"), (2, "inner")]);
    /// let mut e = Events::new(0);
    /// e.region_begin(10, 0, 1);
    /// e.region_begin(20, 0, 2);
    /// e.region_end(30, 0, 2);
    /// e.region_end(40, 0, 1);
    /// g.events(5, &e);
    /// let mut file = oxprof_trace::wire::MAGIC.to_vec();
    /// file.extend(g.finish(100));
    /// let trace = oxprof_trace::parse(&file)?;
    /// let timeline = oxprof_trace::timeline::Timeline::new(&trace);
    /// let s: Vec<_> = timeline.lanes[0].slices.iter().map(|s| (s.start, s.end, s.depth)).collect();
    /// assert_eq!(s, [(10, 40, 0), (20, 30, 1)]);
    /// # Ok::<(), oxprof_trace::Error>(())
    /// ```
    pub fn new(trace: &Trace) -> Timeline {
        let (start, end) = trace.span();
        let start = trace.events.first().map_or(start, |e| e.time.min(start));
        let end = trace.events.last().map_or(end, |e| e.time.max(end));
        let mut lanes: Vec<Lane> = Vec::new();
        let mut lane_of: HashMap<u64, usize> = HashMap::new();
        let mut open: Vec<Vec<Open>> = Vec::new();
        let mut tasks: HashMap<u64, TaskSpan> = HashMap::new();
        let mut counters: Vec<Counter> = Vec::new();
        let mut last_cpu: HashMap<u64, (u64, u64)> = HashMap::new();
        let mut unblock_at: HashMap<u64, (u64, u64)> = HashMap::new();
        let mut waits: Vec<(u64, u64, u64)> = Vec::new();
        for e in &trace.events {
            if e.thread == 0 {
                if let EventKind::Counter { name, value } = e.kind {
                    let name = trace.str(name);
                    match counters.iter_mut().find(|c| c.name == name) {
                        Some(c) => c.points.push((e.time, value)),
                        None => counters.push(Counter {
                            name: name.to_owned(),
                            points: vec![(e.time, value)],
                        }),
                    }
                }
                continue;
            }
            let li = *lane_of.entry(e.thread).or_insert_with(|| {
                lanes.push(Lane {
                    tid: e.thread,
                    name: trace.thread_name(e.thread).to_owned(),
                    ..Lane::default()
                });
                open.push(Vec::new());
                lanes.len() - 1
            });
            let lane = &mut lanes[li];
            let stack = &mut open[li];
            match e.kind {
                EventKind::RegionBegin { task, name } => {
                    lane.slices.push(Slice {
                        start: e.time,
                        end,
                        depth: stack.len() as u32,
                        kind: SliceKind::Region { task, name },
                    });
                    stack.push(Open {
                        name,
                        slice: lane.slices.len() - 1,
                    });
                }
                EventKind::RegionEnd { task, name } => {
                    match stack.iter().rposition(|o| o.name == name) {
                        Some(at) => {
                            for o in stack.drain(at..) {
                                lane.slices[o.slice].end = e.time;
                            }
                        }
                        None => {
                            // Began before the trace: it encloses everything open now.
                            for o in stack.iter() {
                                lane.slices[o.slice].depth += 1;
                            }
                            lane.slices.push(Slice {
                                start,
                                end: e.time,
                                depth: 0,
                                kind: SliceKind::Region { task, name },
                            });
                        }
                    }
                }
                EventKind::Wait {
                    start: began,
                    reason,
                    object,
                    waker,
                    stack: where_,
                } => {
                    lane.slices.push(Slice {
                        start: began,
                        end: e.time,
                        depth: stack.len() as u32,
                        kind: SliceKind::Wait {
                            reason,
                            object,
                            stack: where_,
                        },
                    });
                    if waker != 0 {
                        waits.push((waker, e.thread, e.time));
                    }
                }
                EventKind::Unblock { object, seq, stack } => {
                    lane.unblocks.push((e.time, object, seq, stack));
                    unblock_at.insert(seq, (e.thread, e.time));
                }
                EventKind::Log {
                    task,
                    category,
                    message,
                } => lane.logs.push((e.time, task, category, message)),
                EventKind::CpuSample { stack } => lane.samples.push((e.time, stack)),
                EventKind::ThreadCpu { nanos } => {
                    if let Some((t0, n0)) = last_cpu.insert(e.thread, (e.time, nanos)) {
                        if e.time > t0 {
                            let share = nanos.saturating_sub(n0) as f64 / (e.time - t0) as f64;
                            lane.cpu.push((e.time, share.min(1.0)));
                        }
                    }
                }
                EventKind::TaskBegin { task, parent, name } => {
                    let t = tasks.entry(task).or_default();
                    t.id = task;
                    t.parent = parent;
                    t.name = name;
                    t.start = e.time;
                    t.start_thread = e.thread;
                }
                EventKind::TaskEnd { task } => {
                    let t = tasks.entry(task).or_insert_with(|| TaskSpan {
                        id: task,
                        start,
                        ..TaskSpan::default()
                    });
                    if t.end_thread == 0 {
                        t.end = e.time;
                        t.end_thread = e.thread;
                    }
                }
                EventKind::ThreadStart | EventKind::ThreadEnd | EventKind::Counter { .. } => {}
            }
        }
        for lane in &mut lanes {
            // Regions that began before the trace were added when they ended: order by start,
            // outer first.
            lane.slices.sort_by_key(|s| (s.start, s.depth));
        }
        let mut tasks: Vec<TaskSpan> = tasks
            .into_values()
            .map(|mut t| {
                if t.end_thread == 0 {
                    t.end = end;
                }
                if t.start_thread == 0 && t.start == 0 {
                    t.start = start;
                }
                t
            })
            .collect();
        tasks.sort_by_key(|t| (t.start, t.id));
        lanes.sort_by_key(|l| l.tid);
        // Waits were found before lanes and slices were sorted: locate them now, by thread
        // and end, in one pass over the slices (a search per wait would be quadratic).
        let mut wait_at: HashMap<(u64, u64), (usize, usize)> = HashMap::new();
        for (li, lane) in lanes.iter().enumerate() {
            for (si, s) in lane.slices.iter().enumerate() {
                if matches!(s.kind, SliceKind::Wait { .. }) {
                    wait_at.entry((lane.tid, s.end)).or_insert((li, si));
                }
            }
        }
        let mut flows = Vec::new();
        for (waker, tid, wait_end) in waits {
            let Some(&(from_thread, from_time)) = unblock_at.get(&waker) else {
                continue;
            };
            if let Some(&(li, si)) = wait_at.get(&(tid, wait_end)) {
                flows.push(Flow {
                    from_thread,
                    from_time,
                    to_thread: tid,
                    to_time: wait_end,
                    wait: (li, si),
                });
            }
        }
        Timeline {
            start,
            end,
            lanes,
            tasks,
            flows,
            counters,
        }
    }

    /// The lane of thread `tid`.
    ///
    /// ```
    /// let timeline = oxprof_trace::timeline::Timeline::default();
    /// assert!(timeline.lane(1).is_none());
    /// ```
    pub fn lane(&self, tid: u64) -> Option<&Lane> {
        self.lanes.iter().find(|l| l.tid == tid)
    }
}

/// The function names of a stack's frames, leaf first (inlined frames innermost first);
/// an address without symbols shows as hex.
///
/// ```
/// let trace = oxprof_trace::Trace::default();
/// assert!(oxprof_trace::timeline::stack_functions(&trace, oxprof_trace::StackId(0)).is_empty());
/// ```
pub fn stack_functions(trace: &Trace, stack: StackId) -> Vec<String> {
    trace
        .stack(stack)
        .iter()
        .flat_map(|&pc| {
            let frames = trace.frames(pc);
            if frames.is_empty() {
                vec![format!("{pc:#x}")]
            } else {
                frames
                    .iter()
                    .map(|f| trace.str(f.function).to_owned())
                    .collect()
            }
        })
        .collect()
}
