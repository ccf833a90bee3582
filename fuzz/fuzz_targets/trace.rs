//! Reads arbitrary bytes as an execution trace: no input may panic the reader, and every
//! generation it keeps must lie inside the input, in order, with its events' references
//! resolved in the trace's tables. Whatever parses is laid out as the timeline `oxprof trace`
//! shows (slices inside their lane's time, nested by depth) and exported to Chrome JSON (which
//! must be JSON) and Perfetto protobuf: no trace the reader accepts may panic them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxprof_trace::EventKind;

fuzz_target!(|data: &[u8]| {
    let Ok(trace) = oxprof_trace::parse(data) else {
        return;
    };
    let mut end = 0;
    for g in &trace.generations {
        assert!(g.offset >= end && g.offset + g.len <= data.len());
        end = g.offset + g.len;
    }
    assert!(trace.events.windows(2).all(|w| w[0].time <= w[1].time));
    for e in &trace.events {
        match e.kind {
            EventKind::Wait { stack, reason, .. } => {
                let _ = (trace.stack(stack), trace.str(reason));
            }
            EventKind::CpuSample { stack } | EventKind::Unblock { stack, .. } => {
                for &pc in trace.stack(stack) {
                    for f in trace.frames(pc) {
                        let _ = (trace.str(f.function), trace.str(f.file));
                    }
                }
            }
            _ => {}
        }
    }
    let timeline = oxprof_trace::timeline::Timeline::new(&trace);
    for lane in &timeline.lanes {
        for s in &lane.slices {
            assert!(s.start <= s.end, "{s:?}");
        }
    }
    let mut chrome = Vec::new();
    oxprof_trace::export::chrome::write(&trace, &mut chrome).expect("writing to memory");
    serde_json::from_slice::<serde_json::Value>(&chrome).expect("Chrome JSON is JSON");
    let mut perfetto = Vec::new();
    oxprof_trace::export::perfetto::write(&trace, &mut perfetto).expect("writing to memory");
    // Whatever was kept reads the same from the kept generations alone.
    if let (Some(first), Some(last)) = (trace.generations.first(), trace.generations.last()) {
        let mut again = oxprof_trace::wire::MAGIC.to_vec();
        again.extend_from_slice(&data[first.offset..last.offset + last.len]);
        let reread = oxprof_trace::parse(&again).expect("a header and whole generations");
        assert_eq!(reread.generations.len(), trace.generations.len());
        assert_eq!(reread.events.len(), trace.events.len());
    }
});
