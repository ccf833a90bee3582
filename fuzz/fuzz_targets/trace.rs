//! Reads arbitrary bytes as an execution trace: no input may panic the reader, and every
//! generation it keeps must lie inside the input, in order, with its events' references
//! resolved in the trace's tables.
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
    // Whatever was kept reads the same from the kept generations alone.
    if let (Some(first), Some(last)) = (trace.generations.first(), trace.generations.last()) {
        let mut again = oxprof_trace::wire::MAGIC.to_vec();
        again.extend_from_slice(&data[first.offset..last.offset + last.len]);
        let reread = oxprof_trace::parse(&again).expect("a header and whole generations");
        assert_eq!(reread.generations.len(), trace.generations.len());
        assert_eq!(reread.events.len(), trace.events.len());
    }
});
