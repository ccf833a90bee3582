//! Perfetto's protobuf trace format: a `Trace` is a sequence of `TracePacket`s (field 1),
//! written here one by one. A track descriptor names the process, each thread, each task (an
//! async track of its own) and each counter; track events are the slices (`SLICE_BEGIN` /
//! `SLICE_END`, nested per thread), instants (logs, CPU samples, releases) and counter values.
//! A release carries a flow id that the wait it ended terminates. Field numbers are those of
//! Perfetto's published `protos/perfetto/trace` messages.

use std::io::{self, Write};

use super::{leaf_function, slice_name, stack_line, timeline};
use crate::timeline::SliceKind;
use crate::Trace;

/// The process id written in descriptors (a trace is of one process).
const PID: u64 = 1;
/// The one packet sequence.
const SEQUENCE: u64 = 1;

/// Track uuids: the process, then ranges for threads, tasks, counters and threads' CPU use.
const PROCESS_TRACK: u64 = 1;
const THREAD_TRACKS: u64 = 1 << 40;
const TASK_TRACKS: u64 = 2 << 40;
const COUNTER_TRACKS: u64 = 3 << 40;
const CPU_TRACKS: u64 = 4 << 40;

// TracePacket.
const PACKET_TIMESTAMP: u32 = 8;
const PACKET_SEQUENCE_ID: u32 = 10;
const PACKET_TRACK_EVENT: u32 = 11;
const PACKET_TRACK_DESCRIPTOR: u32 = 60;
// TrackDescriptor.
const TRACK_UUID: u32 = 1;
const TRACK_NAME: u32 = 2;
const TRACK_PROCESS: u32 = 3;
const TRACK_THREAD: u32 = 4;
const TRACK_PARENT: u32 = 5;
const TRACK_COUNTER: u32 = 8;
// ProcessDescriptor and ThreadDescriptor.
const PROCESS_PID: u32 = 1;
const PROCESS_NAME: u32 = 6;
const THREAD_PID: u32 = 1;
const THREAD_TID: u32 = 2;
const THREAD_NAME: u32 = 5;
// CounterDescriptor.
const COUNTER_UNIT_NAME: u32 = 6;
// TrackEvent.
const EVENT_ANNOTATIONS: u32 = 4;
const EVENT_TYPE: u32 = 9;
const EVENT_TRACK: u32 = 11;
const EVENT_CATEGORIES: u32 = 22;
const EVENT_NAME: u32 = 23;
const EVENT_COUNTER_VALUE: u32 = 30;
const EVENT_DOUBLE_COUNTER_VALUE: u32 = 44;
const EVENT_FLOW_IDS: u32 = 47;
const EVENT_TERMINATING_FLOW_IDS: u32 = 48;
// TrackEvent.Type.
const SLICE_BEGIN: u64 = 1;
const SLICE_END: u64 = 2;
const INSTANT: u64 = 3;
const COUNTER: u64 = 4;
// DebugAnnotation.
const ANNOTATION_UINT: u32 = 3;
const ANNOTATION_STRING: u32 = 6;
const ANNOTATION_NAME: u32 = 10;

/// A protobuf message being encoded.
#[derive(Default)]
struct Msg(Vec<u8>);

impl Msg {
    fn key(&mut self, field: u32, wire: u8) {
        varint(&mut self.0, u64::from(field) << 3 | u64::from(wire));
    }

    fn uint(&mut self, field: u32, v: u64) -> &mut Self {
        self.key(field, 0);
        varint(&mut self.0, v);
        self
    }

    fn fixed64(&mut self, field: u32, v: u64) -> &mut Self {
        self.key(field, 1);
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }

    fn double(&mut self, field: u32, v: f64) -> &mut Self {
        self.key(field, 1);
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }

    fn bytes(&mut self, field: u32, b: &[u8]) -> &mut Self {
        self.key(field, 2);
        varint(&mut self.0, b.len() as u64);
        self.0.extend_from_slice(b);
        self
    }

    fn string(&mut self, field: u32, s: &str) -> &mut Self {
        self.bytes(field, s.as_bytes())
    }

    fn msg(&mut self, field: u32, m: &Msg) -> &mut Self {
        self.bytes(field, &m.0)
    }
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Appends one packet to the `Trace` being written.
fn packet(out: &mut dyn Write, p: &Msg) -> io::Result<()> {
    let mut framed = Msg::default();
    framed.msg(1, p);
    out.write_all(&framed.0)
}

fn descriptor(out: &mut dyn Write, d: &Msg) -> io::Result<()> {
    let mut p = Msg::default();
    p.uint(PACKET_SEQUENCE_ID, SEQUENCE)
        .msg(PACKET_TRACK_DESCRIPTOR, d);
    packet(out, &p)
}

fn event(out: &mut dyn Write, time: u64, e: &Msg) -> io::Result<()> {
    let mut p = Msg::default();
    p.uint(PACKET_TIMESTAMP, time)
        .uint(PACKET_SEQUENCE_ID, SEQUENCE)
        .msg(PACKET_TRACK_EVENT, e);
    packet(out, &p)
}

fn annotation(name: &str, value: &str) -> Msg {
    let mut a = Msg::default();
    a.string(ANNOTATION_NAME, name)
        .string(ANNOTATION_STRING, value);
    a
}

fn uint_annotation(name: &str, value: u64) -> Msg {
    let mut a = Msg::default();
    a.string(ANNOTATION_NAME, name).uint(ANNOTATION_UINT, value);
    a
}

/// Writes `trace` as a Perfetto protobuf trace.
///
/// ```
/// let mut out = Vec::new();
/// oxprof_trace::export::perfetto::write(&oxprof_trace::Trace::default(), &mut out)?;
/// assert_eq!(out[0], 0x0a); // Trace.packet, length-delimited
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn write(trace: &Trace, w: &mut dyn Write) -> io::Result<()> {
    let timeline = timeline(trace);
    let mut buffered = io::BufWriter::new(w);
    let out: &mut dyn Write = &mut buffered;
    let mut process = Msg::default();
    process
        .uint(PROCESS_PID, PID)
        .string(PROCESS_NAME, "oxprof trace");
    let mut d = Msg::default();
    d.uint(TRACK_UUID, PROCESS_TRACK)
        .msg(TRACK_PROCESS, &process);
    descriptor(out, &d)?;

    let mut flow_of_wait = std::collections::HashMap::new();
    for (i, f) in timeline.flows.iter().enumerate() {
        flow_of_wait.insert(f.wait, i as u64 + 1);
    }
    let mut flows_from: std::collections::HashMap<(u64, u64), Vec<u64>> =
        std::collections::HashMap::new();
    for (i, f) in timeline.flows.iter().enumerate() {
        flows_from
            .entry((f.from_thread, f.from_time))
            .or_default()
            .push(i as u64 + 1);
    }

    for (li, lane) in timeline.lanes.iter().enumerate() {
        let track = THREAD_TRACKS + lane.tid;
        let mut thread = Msg::default();
        thread.uint(THREAD_PID, PID).uint(THREAD_TID, lane.tid);
        if !lane.name.is_empty() {
            thread.string(THREAD_NAME, &lane.name);
        }
        let mut d = Msg::default();
        d.uint(TRACK_UUID, track)
            .uint(TRACK_PARENT, PROCESS_TRACK)
            .msg(TRACK_THREAD, &thread);
        descriptor(out, &d)?;

        // (time, rank, depth order, event): ends before instants before begins at equal
        // times; inner ends first, outer begins first.
        let mut events: Vec<(u64, u8, i64, Msg)> = Vec::new();
        for (si, s) in lane.slices.iter().enumerate() {
            let mut begin = Msg::default();
            begin
                .uint(EVENT_TYPE, SLICE_BEGIN)
                .uint(EVENT_TRACK, track)
                .string(EVENT_NAME, &slice_name(trace, &s.kind));
            let mut end = Msg::default();
            end.uint(EVENT_TYPE, SLICE_END).uint(EVENT_TRACK, track);
            match s.kind {
                SliceKind::Region { task, .. } => {
                    begin
                        .string(EVENT_CATEGORIES, "region")
                        .msg(EVENT_ANNOTATIONS, &uint_annotation("task", task));
                }
                SliceKind::Wait { object, stack, .. } => {
                    begin
                        .string(EVENT_CATEGORIES, "wait")
                        .msg(
                            EVENT_ANNOTATIONS,
                            &annotation("object", &format!("{object:#x}")),
                        )
                        .msg(
                            EVENT_ANNOTATIONS,
                            &annotation("stack", &stack_line(trace, stack)),
                        );
                    if let Some(&flow) = flow_of_wait.get(&(li, si)) {
                        end.fixed64(EVENT_TERMINATING_FLOW_IDS, flow);
                    }
                }
            }
            let depth = i64::from(s.depth);
            events.push((s.start, 2, depth, begin));
            events.push((s.end, 0, -depth, end));
        }
        let instant = |name: &str, category: &str| {
            let mut e = Msg::default();
            e.uint(EVENT_TYPE, INSTANT)
                .uint(EVENT_TRACK, track)
                .string(EVENT_NAME, name)
                .string(EVENT_CATEGORIES, category);
            e
        };
        for &(time, task, category, message) in &lane.logs {
            let mut e = instant(trace.str(category), "log");
            e.msg(
                EVENT_ANNOTATIONS,
                &annotation("message", trace.str(message)),
            )
            .msg(EVENT_ANNOTATIONS, &uint_annotation("task", task));
            events.push((time, 1, 0, e));
        }
        for &(time, stack) in &lane.samples {
            let mut e = instant("cpu sample", "cpu");
            e.msg(
                EVENT_ANNOTATIONS,
                &annotation("function", &leaf_function(trace, stack)),
            );
            events.push((time, 1, 0, e));
        }
        for &(time, object, _, _) in &lane.unblocks {
            let mut e = instant("unblock", "sync");
            e.msg(
                EVENT_ANNOTATIONS,
                &annotation("object", &format!("{object:#x}")),
            );
            for &flow in flows_from.get(&(lane.tid, time)).into_iter().flatten() {
                e.fixed64(EVENT_FLOW_IDS, flow);
            }
            events.push((time, 1, 0, e));
        }
        events.sort_by_key(|(time, rank, depth, _)| (*time, *rank, *depth));
        for (time, _, _, e) in &events {
            event(out, *time, e)?;
        }

        if !lane.cpu.is_empty() {
            let cpu_track = CPU_TRACKS + lane.tid;
            let mut counter = Msg::default();
            counter.string(COUNTER_UNIT_NAME, "share of a CPU");
            let mut d = Msg::default();
            d.uint(TRACK_UUID, cpu_track)
                .uint(TRACK_PARENT, PROCESS_TRACK)
                .string(TRACK_NAME, &format!("cpu {} ({})", lane.name, lane.tid))
                .msg(TRACK_COUNTER, &counter);
            descriptor(out, &d)?;
            for &(time, share) in &lane.cpu {
                let mut e = Msg::default();
                e.uint(EVENT_TYPE, COUNTER)
                    .uint(EVENT_TRACK, cpu_track)
                    .double(EVENT_DOUBLE_COUNTER_VALUE, share);
                event(out, time, &e)?;
            }
        }
    }

    for t in &timeline.tasks {
        let track = TASK_TRACKS + t.id;
        let name = trace.str(t.name);
        let mut d = Msg::default();
        d.uint(TRACK_UUID, track)
            .uint(TRACK_PARENT, PROCESS_TRACK)
            .string(TRACK_NAME, &format!("task {} {name}", t.id));
        descriptor(out, &d)?;
        let mut begin = Msg::default();
        begin
            .uint(EVENT_TYPE, SLICE_BEGIN)
            .uint(EVENT_TRACK, track)
            .string(EVENT_NAME, name)
            .string(EVENT_CATEGORIES, "task")
            .msg(EVENT_ANNOTATIONS, &uint_annotation("parent", t.parent));
        event(out, t.start, &begin)?;
        let mut end = Msg::default();
        end.uint(EVENT_TYPE, SLICE_END).uint(EVENT_TRACK, track);
        event(out, t.end.max(t.start), &end)?;
    }

    for (i, c) in timeline.counters.iter().enumerate() {
        let track = COUNTER_TRACKS + i as u64;
        let mut counter = Msg::default();
        counter.string(COUNTER_UNIT_NAME, "bytes");
        let mut d = Msg::default();
        d.uint(TRACK_UUID, track)
            .uint(TRACK_PARENT, PROCESS_TRACK)
            .string(TRACK_NAME, &c.name)
            .msg(TRACK_COUNTER, &counter);
        descriptor(out, &d)?;
        for &(time, value) in &c.points {
            let mut e = Msg::default();
            e.uint(EVENT_TYPE, COUNTER)
                .uint(EVENT_TRACK, track)
                .uint(EVENT_COUNTER_VALUE, value);
            event(out, time, &e)?;
        }
    }
    buffered.flush()
}
