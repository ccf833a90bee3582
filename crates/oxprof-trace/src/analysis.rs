//! What a trace says about where time went: per thread and per task, time running inside
//! regions, outside them, blocked (by reason and object) and runnable after a wake-up, over any
//! range ([`breakdown`]); latency distributions of regions and tasks by name ([`latencies`]);
//! and the CPU samples taken inside regions of a name ([`samples_in_regions`]).
//!
//! What the events cannot say: when a thread was runnable but not running, except between a
//! release and the end of the wait it ended (the waiter was woken, then waited for a CPU); time
//! outside regions is running uninstrumented code, blocked outside `oxprof::sync`, or runnable,
//! and only the thread CPU counters (when recorded) tell how much of it was on a CPU.

use std::collections::HashMap;

use crate::timeline::{SliceKind, Timeline};
use crate::window::View;
use crate::{StackId, StrId};

/// Time blocked on one reason and object.
///
/// ```
/// let w = oxprof_trace::analysis::WaitTime::default();
/// assert_eq!(w.count, 0);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WaitTime {
    /// Why (`sync`, `chan receive`...).
    pub reason: StrId,
    /// What was waited on (an address; 0: not recorded).
    pub object: u64,
    /// Waits overlapping the range.
    pub count: u64,
    /// Time blocked (ns), not counting the time from the release to the wait's end.
    pub blocked: u64,
    /// Time from the release that ended a wait to its end: woken, waiting for a CPU (ns).
    pub runnable: u64,
}

/// One thread's time in a range.
///
/// ```
/// let t = oxprof_trace::analysis::ThreadTime::default();
/// assert_eq!(t.alive, 0);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ThreadTime {
    /// Index of its lane in the timeline.
    pub lane: usize,
    /// Its kernel thread id.
    pub tid: u64,
    /// The part of the range the thread existed in (ns).
    pub alive: u64,
    /// Running inside regions: regions' time minus the regions and waits inside them (ns).
    pub in_regions: u64,
    /// Outside any region and any wait (ns): uninstrumented code, or blocked or runnable
    /// where no event says.
    pub outside: u64,
    /// Blocked and woken-up time by reason and object, the longest first.
    pub waits: Vec<WaitTime>,
    /// CPU time from the thread CPU counters (ns), when the trace has them.
    pub on_cpu: Option<u64>,
}

impl ThreadTime {
    /// Time blocked on any wait (ns).
    ///
    /// ```
    /// assert_eq!(oxprof_trace::analysis::ThreadTime::default().blocked(), 0);
    /// ```
    pub fn blocked(&self) -> u64 {
        self.waits.iter().map(|w| w.blocked).sum()
    }

    /// Time woken but not yet running again (ns).
    ///
    /// ```
    /// assert_eq!(oxprof_trace::analysis::ThreadTime::default().runnable(), 0);
    /// ```
    pub fn runnable(&self) -> u64 {
        self.waits.iter().map(|w| w.runnable).sum()
    }
}

/// Time in the regions of one name.
///
/// ```
/// let r = oxprof_trace::analysis::RegionTime::default();
/// assert_eq!(r.total, 0);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegionTime {
    /// The regions' name.
    pub name: StrId,
    /// Regions overlapping the range.
    pub count: u64,
    /// Their time in the range (ns).
    pub total: u64,
    /// Their time minus the regions and waits inside them (ns).
    pub self_time: u64,
}

/// One task's time in a range.
///
/// ```
/// let t = oxprof_trace::analysis::TaskTime::default();
/// assert_eq!(t.task, 0);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskTime {
    /// Its id.
    pub task: u64,
    /// Its type.
    pub name: StrId,
    /// The part of the range between its begin and end (ns).
    pub span: u64,
    /// Running inside its regions (ns), on any thread.
    pub in_regions: u64,
    /// Blocked inside its regions (ns).
    pub blocked: u64,
    /// Woken but not yet running again inside its regions (ns).
    pub runnable: u64,
    /// Its regions overlapping the range.
    pub regions: u64,
}

/// Where time went in a range.
///
/// ```
/// let b = oxprof_trace::analysis::Breakdown::default();
/// assert!(b.threads.is_empty());
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Breakdown {
    /// Start of the range (monotonic ns).
    pub from: u64,
    /// End of the range.
    pub to: u64,
    /// Per thread, in the timeline's order.
    pub threads: Vec<ThreadTime>,
    /// Per region name, the longest total first.
    pub regions: Vec<RegionTime>,
    /// Per task overlapping the range, by id.
    pub tasks: Vec<TaskTime>,
}

/// Where time went in `[from, to)` (monotonic ns). `spans` gives each lane's thread's
/// existence (see [`spans`]); a missing entry means the whole trace and no CPU counter.
///
/// ```
/// use oxprof_trace::timeline::{Lane, Slice, SliceKind, Timeline};
/// use oxprof_trace::StrId;
/// let region = SliceKind::Region { task: 0, name: StrId(1) };
/// let wait = SliceKind::Wait { reason: StrId(2), object: 0x10, stack: Default::default() };
/// let mut timeline = Timeline { start: 0, end: 100, ..Timeline::default() };
/// timeline.lanes.push(Lane { tid: 1, slices: vec![
///     Slice { start: 10, end: 60, depth: 0, kind: region },
///     Slice { start: 20, end: 30, depth: 1, kind: wait },
/// ], ..Lane::default() });
/// let view = oxprof_trace::window::View::new(timeline);
/// let b = oxprof_trace::analysis::breakdown(&view, &[], 0, 100);
/// let t = &b.threads[0];
/// assert_eq!((t.alive, t.in_regions, t.blocked(), t.outside), (100, 40, 10, 50));
/// assert_eq!((b.regions[0].total, b.regions[0].self_time), (50, 40));
/// ```
pub fn breakdown(view: &View, spans: &[ThreadSpan], from: u64, to: u64) -> Breakdown {
    let timeline = &view.timeline;
    let clip = |start: u64, end: u64| end.min(to).saturating_sub(start.max(from));
    let mut regions: HashMap<StrId, RegionTime> = HashMap::new();
    let mut tasks: HashMap<u64, TaskTime> = HashMap::new();
    for t in &timeline.tasks {
        if t.start < to && t.end >= from {
            tasks.insert(
                t.id,
                TaskTime {
                    task: t.id,
                    name: t.name,
                    span: clip(t.start, t.end),
                    ..TaskTime::default()
                },
            );
        }
    }
    let mut threads = Vec::with_capacity(timeline.lanes.len());
    for (li, lane) in timeline.lanes.iter().enumerate() {
        let span = spans.get(li).copied().unwrap_or(ThreadSpan {
            start: timeline.start,
            end: timeline.end,
            cpu_start: None,
        });
        let mut thread = ThreadTime {
            lane: li,
            tid: lane.tid,
            alive: clip(span.start, span.end),
            ..ThreadTime::default()
        };
        let mut waits: HashMap<(StrId, u64), WaitTime> = HashMap::new();
        let mut covered = 0;
        for si in view.slices_in(li, from, to) {
            let s = &lane.slices[si];
            let c = clip(s.start, s.end);
            if s.depth == 0 {
                covered += c;
            }
            let parent = view.parent(li, si).map(|p| lane.slices[p].kind);
            if let Some(SliceKind::Region { task, name }) = parent {
                let r = regions.entry(name).or_default();
                r.self_time = r.self_time.saturating_sub(c);
                thread.in_regions = thread.in_regions.saturating_sub(c);
                if let Some(t) = tasks.get_mut(&task) {
                    t.in_regions = t.in_regions.saturating_sub(c);
                }
            }
            match s.kind {
                SliceKind::Region { task, name } => {
                    let r = regions.entry(name).or_insert_with(|| RegionTime {
                        name,
                        ..RegionTime::default()
                    });
                    r.count += 1;
                    r.total += c;
                    r.self_time += c;
                    thread.in_regions += c;
                    if let Some(t) = tasks.get_mut(&task) {
                        t.in_regions += c;
                        t.regions += 1;
                    }
                }
                SliceKind::Wait { reason, object, .. } => {
                    let woken = view
                        .flow_to(li, si)
                        .map_or(0, |f| clip(f.from_time.max(s.start), s.end));
                    let w = waits.entry((reason, object)).or_insert_with(|| WaitTime {
                        reason,
                        object,
                        ..WaitTime::default()
                    });
                    w.count += 1;
                    w.blocked += c - woken;
                    w.runnable += woken;
                    if let Some(SliceKind::Region { task, .. }) = parent {
                        if let Some(t) = tasks.get_mut(&task) {
                            t.blocked += c - woken;
                            t.runnable += woken;
                        }
                    }
                }
            }
        }
        thread.outside = thread.alive.saturating_sub(covered);
        thread.waits = waits.into_values().collect();
        thread.waits.sort_by_key(|w| {
            (
                std::cmp::Reverse(w.blocked + w.runnable),
                w.reason,
                w.object,
            )
        });
        thread.on_cpu = span.cpu_start.map(|t0| on_cpu(t0, &lane.cpu, from, to));
        threads.push(thread);
    }
    let mut regions: Vec<RegionTime> = regions.into_values().collect();
    regions.sort_by_key(|r| (std::cmp::Reverse(r.total), r.name));
    let mut tasks: Vec<TaskTime> = tasks.into_values().collect();
    tasks.sort_by_key(|t| t.task);
    Breakdown {
        from,
        to,
        threads,
        regions,
        tasks,
    }
}

/// CPU time in `[from, to)` from a lane's CPU share points: each point covers the time since
/// the one before it, the first since `t0`, the thread's first CPU counter.
fn on_cpu(t0: u64, points: &[(u64, f64)], from: u64, to: u64) -> u64 {
    let mut total = 0.0;
    let mut prev = t0;
    for &(t, share) in points {
        total += share * t.min(to).saturating_sub(prev.max(from)) as f64;
        prev = t;
    }
    total.round() as u64
}

/// A thread's existence, and when its CPU time was first counted.
///
/// ```
/// let s = oxprof_trace::analysis::ThreadSpan { start: 0, end: 10, cpu_start: None };
/// assert_eq!(s.end - s.start, 10);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThreadSpan {
    /// Its start event (else the trace's start), monotonic ns.
    pub start: u64,
    /// Its end event (else the trace's end).
    pub end: u64,
    /// Its first CPU counter, which the lane's CPU shares count from (`None`: no counter).
    pub cpu_start: Option<u64>,
}

/// Each lane's [`ThreadSpan`], from the trace's events.
///
/// ```
/// let trace = oxprof_trace::Trace::default();
/// let timeline = oxprof_trace::timeline::Timeline::new(&trace);
/// assert!(oxprof_trace::analysis::spans(&trace, &timeline).is_empty());
/// ```
pub fn spans(trace: &crate::Trace, timeline: &Timeline) -> Vec<ThreadSpan> {
    let lane_of: HashMap<u64, usize> = timeline
        .lanes
        .iter()
        .enumerate()
        .map(|(i, l)| (l.tid, i))
        .collect();
    let whole = ThreadSpan {
        start: timeline.start,
        end: timeline.end,
        cpu_start: None,
    };
    let mut out = vec![whole; timeline.lanes.len()];
    for e in &trace.events {
        let Some(&li) = lane_of.get(&e.thread) else {
            continue;
        };
        match e.kind {
            crate::EventKind::ThreadStart => out[li].start = e.time,
            crate::EventKind::ThreadEnd => out[li].end = e.time,
            crate::EventKind::ThreadCpu { .. } if out[li].cpu_start.is_none() => {
                out[li].cpu_start = Some(e.time)
            }
            _ => {}
        }
    }
    out
}

/// Whether a latency is a region's or a task's.
///
/// ```
/// assert_ne!(oxprof_trace::analysis::Of::Region, oxprof_trace::analysis::Of::Task);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Of {
    /// Regions (from begin to end on one thread).
    Region,
    /// Tasks (from begin to end, across threads).
    Task,
}

/// The durations of the regions or tasks of one name.
///
/// ```
/// let l = oxprof_trace::analysis::Latency::default();
/// assert!(l.buckets.is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Latency {
    /// Regions or tasks.
    pub of: Of,
    /// Their name.
    pub name: StrId,
    /// How many.
    pub count: u64,
    /// Summed durations (ns).
    pub total: u64,
    /// Median (ns, nearest rank).
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 99th percentile.
    pub p99: u64,
    /// The longest.
    pub max: u64,
    /// Counts in log-scale buckets (1, 2, 5, 10, 20, 50... ns): each bucket's lower bound and
    /// count, from the first non-empty bucket to the last.
    pub buckets: Vec<(u64, u64)>,
}

impl Default for Latency {
    fn default() -> Self {
        Latency {
            of: Of::Region,
            name: StrId(0),
            count: 0,
            total: 0,
            p50: 0,
            p90: 0,
            p99: 0,
            max: 0,
            buckets: Vec::new(),
        }
    }
}

/// The latency of every region and task name, regions first, each by name. Regions and tasks
/// cut by either end of the trace (their real length is unknown) are left out.
///
/// ```
/// use oxprof_trace::timeline::{Lane, Slice, SliceKind, Timeline};
/// use oxprof_trace::StrId;
/// let region = |start, end| Slice { start, end, depth: 0, kind: SliceKind::Region { task: 0, name: StrId(1) } };
/// let mut timeline = Timeline { start: 0, end: 1000, ..Timeline::default() };
/// timeline.lanes.push(Lane { tid: 1, slices: vec![region(10, 13), region(20, 40), region(50, 90)], ..Lane::default() });
/// let l = oxprof_trace::analysis::latencies(&oxprof_trace::window::View::new(timeline));
/// assert_eq!((l[0].count, l[0].p50, l[0].max), (3, 20, 40));
/// assert_eq!(l[0].buckets, [(2, 1), (5, 0), (10, 0), (20, 2)]);
/// ```
pub fn latencies(view: &View) -> Vec<Latency> {
    let timeline = &view.timeline;
    let whole = |start: u64, end: u64| start > timeline.start && end < timeline.end;
    let mut by_name: HashMap<(Of, StrId), Vec<u64>> = HashMap::new();
    for lane in &timeline.lanes {
        for s in &lane.slices {
            if let SliceKind::Region { name, .. } = s.kind {
                if whole(s.start, s.end) {
                    by_name
                        .entry((Of::Region, name))
                        .or_default()
                        .push(s.end - s.start);
                }
            }
        }
    }
    for t in &timeline.tasks {
        if t.start_thread != 0 && t.end_thread != 0 {
            by_name
                .entry((Of::Task, t.name))
                .or_default()
                .push(t.end.saturating_sub(t.start));
        }
    }
    let mut out: Vec<Latency> = by_name
        .into_iter()
        .map(|((of, name), mut d)| {
            d.sort_unstable();
            let rank = |p: f64| d[((p * d.len() as f64).ceil() as usize).clamp(1, d.len()) - 1];
            let mut buckets: Vec<(u64, u64)> = Vec::new();
            for &x in &d {
                let b = bucket(x);
                match buckets.last_mut() {
                    Some(last) if last.0 == b => last.1 += 1,
                    _ => {
                        // Empty buckets between, so the histogram's axis stays logarithmic.
                        if let Some(&(prev, _)) = buckets.last() {
                            let mut next = next_bucket(prev);
                            while next < b {
                                buckets.push((next, 0));
                                next = next_bucket(next);
                            }
                        }
                        buckets.push((b, 1));
                    }
                }
            }
            Latency {
                of,
                name,
                count: d.len() as u64,
                total: d.iter().sum(),
                p50: rank(0.5),
                p90: rank(0.9),
                p99: rank(0.99),
                max: *d.last().expect("names have durations"),
                buckets,
            }
        })
        .collect();
    out.sort_by_key(|l| (l.of, l.name));
    out
}

/// The lower bound of the bucket holding `ns`: the largest of 0, 1, 2, 5, 10, 20, 50... not
/// above it.
fn bucket(ns: u64) -> u64 {
    if ns == 0 {
        return 0;
    }
    let mut decade = 1u64;
    while decade <= ns / 10 {
        decade *= 10;
    }
    [5, 2, 1]
        .into_iter()
        .map(|m| m * decade)
        .find(|&b| b <= ns)
        .expect("decade <= ns")
}

fn next_bucket(b: u64) -> u64 {
    match b {
        0 => 1,
        b => {
            let mut decade = 1u64;
            while decade <= b / 10 {
                decade *= 10;
            }
            if b / decade == 1 {
                2 * decade
            } else if b / decade == 2 {
                5 * decade
            } else {
                10 * decade
            }
        }
    }
}

/// The CPU samples taken on a thread while it was inside a region named `name` (nested regions
/// of the same name count once), with the lane each came from.
///
/// ```
/// let view = oxprof_trace::window::View::default();
/// assert!(oxprof_trace::analysis::samples_in_regions(&view, oxprof_trace::StrId(1)).is_empty());
/// ```
pub fn samples_in_regions(view: &View, name: StrId) -> Vec<(usize, StackId)> {
    let mut out = Vec::new();
    for (li, lane) in view.timeline.lanes.iter().enumerate() {
        if lane.samples.is_empty() {
            continue;
        }
        let mut covered_to = 0;
        for s in &lane.slices {
            if !matches!(s.kind, SliceKind::Region { name: n, .. } if n == name) {
                continue;
            }
            // Slices come by start: a region of the name inside one already counted adds
            // only what lies past it.
            let start = s.start.max(covered_to);
            if s.end <= start {
                continue;
            }
            covered_to = s.end;
            let first = lane.samples.partition_point(|p| p.0 < start);
            out.extend(
                lane.samples[first..]
                    .iter()
                    .take_while(|p| p.0 < s.end)
                    .map(|p| (li, p.1)),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::{Events, GenerationEncoder};

    /// A thread running regions "op" of 1, 2, ... 1000 ns, each 2000 ns after the previous
    /// one's start, inside one region "all", with a wait of 300 ns after every tenth; another
    /// thread releasing each of those waits 100 ns before it ends; a task spanning it all.
    fn encoded() -> View {
        let mut g = GenerationEncoder::new(1, 0, 0);
        g.strings(1, [(1, "op"), (2, "all"), (3, "lock"), (4, "job")]);
        let mut e = Events::new(0);
        let mut releases = Events::new(0);
        e.thread_start(10);
        e.task_begin(50, 9, 0, 4);
        e.region_begin(100, 9, 2);
        for i in 1..=1000u64 {
            let start = i * 2000;
            e.region_begin(start, 9, 1);
            e.region_end(start + i, 9, 1);
            if i % 10 == 0 {
                e.wait(start + 1300, start + 1000, 3, 0x40, i, 0);
                releases.unblock(start + 1200, 0x40, i, 0);
            }
        }
        e.region_end(2_100_000, 9, 2);
        e.task_end(2_100_000, 9);
        e.thread_end(2_200_000);
        g.events(1, &e);
        g.events(2, &releases);
        let mut file = crate::wire::MAGIC.to_vec();
        file.extend(g.finish(3_000_000));
        let trace = crate::parse(&file).unwrap();
        View::new(Timeline::new(&trace))
    }

    #[test]
    fn latencies_of_an_encoded_trace_are_exact() {
        let view = encoded();
        let l = latencies(&view);
        let op = l
            .iter()
            .find(|l| l.of == Of::Region && l.name == StrId(1))
            .unwrap();
        assert_eq!(
            (op.count, op.p50, op.p90, op.p99, op.max),
            (1000, 500, 900, 990, 1000)
        );
        assert_eq!(op.total, 500_500);
        assert_eq!(
            op.buckets,
            [
                (1, 1),
                (2, 3),
                (5, 5),
                (10, 10),
                (20, 30),
                (50, 50),
                (100, 100),
                (200, 300),
                (500, 500),
                (1000, 1)
            ]
        );
        let job = l.iter().find(|l| l.of == Of::Task).unwrap();
        assert_eq!((job.count, job.max), (1, 2_099_950));
    }

    #[test]
    fn breakdown_of_an_encoded_trace_is_exact() {
        let view = encoded();
        let trace_spans = [ThreadSpan {
            start: 10,
            end: 2_200_000,
            cpu_start: None,
        }];
        let b = breakdown(&view, &trace_spans, 0, 3_000_000);
        let t = &b.threads[0];
        assert_eq!(t.alive, 2_199_990);
        // "all" is 2,099,900 ns; the ops and the waits inside it are not its own.
        assert_eq!(t.in_regions, 2_099_900 - 100 * 300);
        assert_eq!(t.outside, 2_199_990 - 2_099_900);
        // 100 waits of 300 ns: 100 ns of each after the release.
        assert_eq!(t.waits.len(), 1);
        assert_eq!(
            (t.waits[0].count, t.blocked(), t.runnable()),
            (100, 20_000, 10_000)
        );
        let op = b.regions.iter().find(|r| r.name == StrId(1)).unwrap();
        assert_eq!((op.count, op.total, op.self_time), (1000, 500_500, 500_500));
        assert_eq!(
            b.tasks,
            [TaskTime {
                task: 9,
                name: StrId(4),
                span: 2_099_950,
                in_regions: 2_099_900 - 30_000,
                blocked: 20_000,
                runnable: 10_000,
                regions: 1001,
            }]
        );
        // A range holding regions 1..=10 (2000..22000): 10 ops, one wait.
        let b = breakdown(&view, &trace_spans, 2000, 22_000);
        let op = b.regions.iter().find(|r| r.name == StrId(1)).unwrap();
        assert_eq!((op.count, op.total), (10, 55));
        assert_eq!(b.threads[0].blocked() + b.threads[0].runnable(), 300);
    }

    #[test]
    fn buckets_are_one_two_five() {
        let got: Vec<u64> = [0, 1, 2, 4, 5, 9, 10, 19, 20, 49, 50, 99, 100, 1_234_567]
            .into_iter()
            .map(bucket)
            .collect();
        assert_eq!(
            got,
            [0, 1, 2, 2, 5, 5, 10, 10, 20, 20, 50, 50, 100, 1_000_000]
        );
        let mut b = 0;
        let mut seq = Vec::new();
        for _ in 0..8 {
            seq.push(b);
            b = next_bucket(b);
        }
        assert_eq!(seq, [0, 1, 2, 5, 10, 20, 50, 100]);
    }
}
