//! [`TraceLayer`]: `tracing`'s spans and events in the execution trace. A span is a task, from
//! its creation to its close, child of its parent span's task; each time it is entered (each
//! poll of an instrumented future) is a region of that task on the entering thread; events are
//! logs in the task of the span they happen in. So an async span that lives 127 s and is polled
//! 209 times is one task with 209 regions, on whatever threads polled it, not 209 unrelated
//! slices.

use std::cell::{Cell, RefCell};
use std::fmt::{self, Write as _};

use tracing_core::field::{Field, Visit};
use tracing_core::span::{Attributes, Id};
use tracing_core::{Event, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

use super::annotations::{
    current_task_raw, next_task_id, record_log, record_region_begin, record_region_end,
    record_task_begin, record_task_end, swap_current_task,
};
use super::buffer;

/// A [`tracing_subscriber::Layer`] that records spans as tasks and regions and events as logs
/// in the execution trace, while tracing ([`start`](super::start) or a
/// [`FlightRecorder`](super::FlightRecorder)); it costs little while not. Needs a subscriber
/// with span storage, such as `tracing_subscriber::registry()`.
///
/// ```
/// use tracing_subscriber::prelude::*;
///
/// let subscriber = tracing_subscriber::registry().with(oxprof::trace::TraceLayer::new());
/// tracing::subscriber::with_default(subscriber, || {
///     let span = tracing::info_span!("handle", path = "/api");
///     let _in = span.enter();
///     tracing::info!(user = 7, "authorized");
/// });
/// ```
#[derive(Debug, Clone, Default)]
pub struct TraceLayer {
    fields: bool,
}

impl TraceLayer {
    /// A layer that records spans' names but not their fields.
    ///
    /// ```
    /// let layer = oxprof::trace::TraceLayer::new();
    /// # drop(layer);
    /// ```
    pub fn new() -> TraceLayer {
        TraceLayer::default()
    }

    /// Also records each span's fields when it is created, as a log of its task (category:
    /// the span's name). Formatting them costs time on every span.
    ///
    /// ```
    /// let layer = oxprof::trace::TraceLayer::new().with_fields(true);
    /// # drop(layer);
    /// ```
    pub fn with_fields(self, fields: bool) -> TraceLayer {
        TraceLayer { fields }
    }
}

/// What a span is in the trace.
#[derive(Clone, Copy)]
struct SpanTask {
    id: u64,
    name: &'static str,
}

/// A span entered on this thread.
struct Entry {
    span: Id,
    task: SpanTask,
    displaced: u64,
}

thread_local! {
    /// Spans entered on this thread, innermost last: the span, its task and name (so that
    /// leaving it needs no lookup in the registry), and the task it displaced.
    static ENTERED: RefCell<Vec<Entry>> = const { RefCell::new(Vec::new()) };
}

thread_local! {
    /// Buffers reused by [`Fields::format`] on each thread: events come at high rates, and
    /// two allocations per event cost more than recording it.
    static SCRATCH: Cell<(String, String)> = const { Cell::new((String::new(), String::new())) };
}

/// Buffers larger than this are not kept for reuse.
const SCRATCH_KEPT: usize = 64 << 10;

/// Formats fields as `name=value`, space-separated, the `message` field first and bare.
struct Fields<'a> {
    message: &'a mut String,
    rest: &'a mut String,
}

impl Fields<'_> {
    /// Calls `with` on `prefix` followed by the fields `record` visits, formatted.
    fn format<R>(
        prefix: &str,
        record: impl FnOnce(&mut dyn Visit),
        with: impl FnOnce(&str) -> R,
    ) -> R {
        // Taken out, not borrowed: an event logged while formatting (by a field's `Debug`)
        // finds them gone and uses fresh ones.
        let (mut message, mut rest) = SCRATCH.try_with(Cell::take).unwrap_or_default();
        message.clear();
        rest.clear();
        message.push_str(prefix);
        record(&mut Fields {
            message: &mut message,
            rest: &mut rest,
        });
        if !rest.is_empty() {
            if !message.is_empty() {
                message.push(' ');
            }
            message.push_str(&rest);
        }
        let result = with(&message);
        if message.capacity() <= SCRATCH_KEPT && rest.capacity() <= SCRATCH_KEPT {
            let _ = SCRATCH.try_with(|s| s.set((message, rest)));
        }
        result
    }
}

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            let sep = if self.message.is_empty() { "" } else { " " };
            let _ = write!(self.message, "{sep}{value:?}");
        } else {
            let sep = if self.rest.is_empty() { "" } else { " " };
            let _ = write!(self.rest, "{sep}{}={value:?}", field.name());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.record_debug(field, &format_args!("{value}"));
    }
}

impl<S> tracing_subscriber::Layer<S> for TraceLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let name = span.name();
        let task = next_task_id();
        if buffer::enabled() {
            let parent = span
                .parent()
                .and_then(|p| p.extensions().get::<SpanTask>().map(|t| t.id))
                .unwrap_or_else(current_task_raw);
            record_task_begin(task, parent, name);
            if self.fields && !attrs.fields().is_empty() {
                Fields::format("", |v| attrs.record(v), |f| record_log(task, name, f));
            }
        }
        span.extensions_mut().insert(SpanTask { id: task, name });
    }

    fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
        if !buffer::enabled() {
            return;
        }
        let Some(span) = ctx.span(id) else { return };
        let Some(&task) = span.extensions().get::<SpanTask>() else {
            return;
        };
        let displaced = swap_current_task(task.id);
        let entry = Entry {
            span: id.clone(),
            task,
            displaced,
        };
        let _ = ENTERED.try_with(|e| e.borrow_mut().push(entry));
        record_region_begin(task.id, task.name);
    }

    fn on_exit(&self, id: &Id, _ctx: Context<'_, S>) {
        let entry = ENTERED
            .try_with(|e| {
                let mut entered = e.borrow_mut();
                let at = entered.iter().rposition(|entry| entry.span == *id)?;
                Some(entered.remove(at))
            })
            .ok()
            .flatten();
        let Some(entry) = entry else { return };
        swap_current_task(entry.displaced);
        record_region_end(entry.task.id, entry.task.name);
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        if !buffer::enabled() {
            return;
        }
        if let Some(span) = ctx.span(&id) {
            if let Some(task) = span.extensions().get::<SpanTask>() {
                record_task_end(task.id);
            }
        }
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        if !buffer::enabled() {
            return;
        }
        let metadata = event.metadata();
        Fields::format(
            metadata.level().as_str(),
            |v| event.record(v),
            |message| record_log(current_task_raw(), metadata.target(), message),
        );
    }
}
