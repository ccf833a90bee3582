//! Chrome's Trace Event Format (JSON), as Perfetto and `about:tracing` read it: `M` events
//! name the process and threads, `X` events are regions and waits (with `dur`), flows are v2
//! flows (`bind_id` with `flow_out` on a zero-length `unblock` slice of the releasing thread,
//! `flow_in` on the wait it ended), tasks are nestable async `b`/`e` pairs, logs and CPU
//! samples are thread-scoped `i` instants, counters `C` events. Times are microseconds from
//! the trace's start, with nanosecond fractions.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::{leaf_function, slice_name, stack_line, timeline};
use crate::timeline::SliceKind;
use crate::Trace;

/// The process id every event carries (a trace is of one process).
const PID: u32 = 1;

/// Writes `trace` as Chrome JSON.
///
/// ```
/// let mut out = Vec::new();
/// oxprof_trace::export::chrome::write(&oxprof_trace::Trace::default(), &mut out)?;
/// assert!(String::from_utf8(out).unwrap().starts_with("{\"displayTimeUnit\":\"ns\""));
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn write(trace: &Trace, w: &mut dyn Write) -> io::Result<()> {
    let timeline = timeline(trace);
    let origin = timeline.start;
    let ts = |t: u64| micros(t.saturating_sub(origin));
    let mut out = io::BufWriter::new(w);
    out.write_all(b"{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n")?;
    let mut first = true;
    let mut event = |out: &mut io::BufWriter<&mut dyn Write>, json: String| -> io::Result<()> {
        if !std::mem::take(&mut first) {
            out.write_all(b",\n")?;
        }
        out.write_all(json.as_bytes())
    };
    event(
        &mut out,
        format!(
            "{{\"ph\":\"M\",\"pid\":{PID},\"tid\":0,\"name\":\"process_name\",\"args\":{{\"name\":\"oxprof trace\"}}}}"
        ),
    )?;
    // Flows by the wait they end: the wait's slice takes `flow_in`.
    let mut flow_of_wait = std::collections::HashMap::new();
    for (i, f) in timeline.flows.iter().enumerate() {
        flow_of_wait.insert(f.wait, i);
    }
    for (li, lane) in timeline.lanes.iter().enumerate() {
        let tid = lane.tid;
        let name = if lane.name.is_empty() {
            format!("thread {tid}")
        } else {
            lane.name.clone()
        };
        event(
            &mut out,
            format!(
                "{{\"ph\":\"M\",\"pid\":{PID},\"tid\":{tid},\"name\":\"thread_name\",\"args\":{{\"name\":{}}}}}",
                string(&name)
            ),
        )?;
        for (si, s) in lane.slices.iter().enumerate() {
            let (cat, args) = match s.kind {
                SliceKind::Region { task, .. } => ("region", format!("{{\"task\":{task}}}")),
                SliceKind::Wait { object, stack, .. } => (
                    "wait",
                    format!(
                        "{{\"object\":\"{object:#x}\",\"stack\":{}}}",
                        string(&stack_line(trace, stack))
                    ),
                ),
            };
            let flow = match flow_of_wait.get(&(li, si)) {
                Some(i) => format!(",\"bind_id\":\"{:#x}\",\"flow_in\":true", i + 1),
                None => String::new(),
            };
            event(
                &mut out,
                format!(
                    "{{\"ph\":\"X\",\"pid\":{PID},\"tid\":{tid},\"ts\":{},\"dur\":{},\"name\":{},\"cat\":\"{cat}\",\"args\":{args}{flow}}}",
                    ts(s.start),
                    micros(s.end.saturating_sub(s.start)),
                    string(&slice_name(trace, &s.kind)),
                ),
            )?;
        }
        for &(time, task, category, message) in &lane.logs {
            event(
                &mut out,
                format!(
                    "{{\"ph\":\"i\",\"s\":\"t\",\"pid\":{PID},\"tid\":{tid},\"ts\":{},\"name\":{},\"cat\":\"log\",\"args\":{{\"message\":{},\"task\":{task}}}}}",
                    ts(time),
                    string(trace.str(category)),
                    string(trace.str(message)),
                ),
            )?;
        }
        for &(time, stack) in &lane.samples {
            event(
                &mut out,
                format!(
                    "{{\"ph\":\"i\",\"s\":\"t\",\"pid\":{PID},\"tid\":{tid},\"ts\":{},\"name\":\"cpu sample\",\"cat\":\"cpu\",\"args\":{{\"function\":{}}}}}",
                    ts(time),
                    string(&leaf_function(trace, stack)),
                ),
            )?;
        }
        for &(time, share) in &lane.cpu {
            event(
                &mut out,
                format!(
                    "{{\"ph\":\"C\",\"pid\":{PID},\"ts\":{},\"name\":{},\"args\":{{\"cpu\":{share:.4}}}}}",
                    ts(time),
                    string(&format!("cpu {name} ({tid})")),
                ),
            )?;
        }
    }
    for (i, f) in timeline.flows.iter().enumerate() {
        event(
            &mut out,
            format!(
                "{{\"ph\":\"X\",\"pid\":{PID},\"tid\":{},\"ts\":{},\"dur\":0,\"name\":\"unblock\",\"cat\":\"sync\",\"bind_id\":\"{:#x}\",\"flow_out\":true,\"args\":{{\"to_thread\":{}}}}}",
                f.from_thread,
                ts(f.from_time),
                i + 1,
                f.to_thread,
            ),
        )?;
    }
    for t in &timeline.tasks {
        let tid = if t.start_thread != 0 {
            t.start_thread
        } else {
            t.end_thread
        };
        let name = string(trace.str(t.name));
        for (ph, time) in [("b", t.start), ("e", t.end)] {
            event(
                &mut out,
                format!(
                    "{{\"ph\":\"{ph}\",\"pid\":{PID},\"tid\":{tid},\"ts\":{},\"name\":{name},\"cat\":\"task\",\"id\":\"{:#x}\",\"args\":{{\"task\":{},\"parent\":{}}}}}",
                    ts(time),
                    t.id,
                    t.id,
                    t.parent,
                ),
            )?;
        }
    }
    for c in &timeline.counters {
        for &(time, value) in &c.points {
            event(
                &mut out,
                format!(
                    "{{\"ph\":\"C\",\"pid\":{PID},\"ts\":{},\"name\":{},\"args\":{{\"value\":{value}}}}}",
                    ts(time),
                    string(&c.name),
                ),
            )?;
        }
    }
    out.write_all(b"\n]}\n")?;
    out.flush()
}

/// Nanoseconds as microseconds with three decimals.
fn micros(ns: u64) -> String {
    format!("{}.{:03}", ns / 1000, ns % 1000)
}

/// A JSON string literal.
fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn strings_and_times_are_valid_json_pieces() {
        assert_eq!(
            super::string("a\"b\\c\n\u{1}é"),
            "\"a\\\"b\\\\c\\n\\u0001é\""
        );
        assert_eq!(super::micros(1_234_567), "1234.567");
        assert_eq!(super::micros(5), "0.005");
    }
}
