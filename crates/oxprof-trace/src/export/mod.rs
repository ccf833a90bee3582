//! Conversions for other viewers: [`chrome`] JSON (Trace Event Format, which Perfetto,
//! Chrome's `about:tracing` and speedscope read) and [`perfetto`] protobuf (`TracePacket`s
//! for ui.perfetto.dev). Both show the same things, from the trace's
//! [`Timeline`](crate::timeline::Timeline): a track per thread with its regions and waits
//! nested, tasks as async slices, logs and CPU samples as instants, flows from each release to
//! the wait it ended, and counters.

pub mod chrome;
pub mod perfetto;

use crate::timeline::{SliceKind, Timeline};
use crate::Trace;

/// The name a slice shows.
fn slice_name(trace: &Trace, kind: &SliceKind) -> String {
    match *kind {
        SliceKind::Region { name, .. } => trace.str(name).to_owned(),
        SliceKind::Wait { reason, .. } => format!("wait: {}", trace.str(reason)),
    }
}

/// The leaf function of a stack, for instants that name one.
fn leaf_function(trace: &Trace, stack: crate::StackId) -> String {
    crate::timeline::stack_functions(trace, stack)
        .into_iter()
        .next()
        .unwrap_or_default()
}

/// A stack as one line, leaf first, for slice arguments.
fn stack_line(trace: &Trace, stack: crate::StackId) -> String {
    crate::timeline::stack_functions(trace, stack).join(" < ")
}

/// The timeline of a trace, computed once per export.
fn timeline(trace: &Trace) -> Timeline {
    Timeline::new(trace)
}
