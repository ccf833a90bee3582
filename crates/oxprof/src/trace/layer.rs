//! [`TraceLayer`]: `tracing`'s spans and events in the execution trace. A span is a task, from
//! its creation to its close, child of its parent span's task; each time it is entered (each
//! poll of an instrumented future) is a region of that task on the entering thread; events are
//! logs in the task of the span they happen in. So an async span that lives 127 s and is polled
//! 209 times is one task with 209 regions, on whatever threads polled it, not 209 unrelated
//! slices.

use std::cell::RefCell;
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
struct SpanTask {
    id: u64,
    name: &'static str,
}

thread_local! {
    /// Spans entered on this thread, innermost last, with the task each one displaced.
    static ENTERED: RefCell<Vec<(Id, u64)>> = const { RefCell::new(Vec::new()) };
}

/// Fields as `name=value`, space-separated, the `message` field first and bare.
#[derive(Default)]
struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let sep = if self.0.is_empty() { "" } else { " " };
        if field.name() == "message" {
            let old = std::mem::take(&mut self.0);
            let _ = write!(self.0, "{value:?}{sep}{old}");
        } else {
            let _ = write!(self.0, "{sep}{}={value:?}", field.name());
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
                let mut fields = Fields::default();
                attrs.record(&mut fields);
                record_log(task, name, &fields.0);
            }
        }
        span.extensions_mut().insert(SpanTask { id: task, name });
    }

    fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
        if !buffer::enabled() {
            return;
        }
        let Some(span) = ctx.span(id) else { return };
        let extensions = span.extensions();
        let Some(task) = extensions.get::<SpanTask>() else {
            return;
        };
        let displaced = swap_current_task(task.id);
        let _ = ENTERED.try_with(|e| e.borrow_mut().push((id.clone(), displaced)));
        record_region_begin(task.id, task.name);
    }

    fn on_exit(&self, id: &Id, ctx: Context<'_, S>) {
        let displaced = ENTERED
            .try_with(|e| {
                let mut entered = e.borrow_mut();
                let at = entered.iter().rposition(|(entered, _)| entered == id)?;
                Some(entered.remove(at).1)
            })
            .ok()
            .flatten();
        let Some(displaced) = displaced else { return };
        swap_current_task(displaced);
        if let Some(span) = ctx.span(id) {
            if let Some(task) = span.extensions().get::<SpanTask>() {
                record_region_end(task.id, task.name);
            }
        }
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
        let mut fields = Fields::default();
        event.record(&mut fields);
        let metadata = event.metadata();
        let message = format!("{} {}", metadata.level(), fields.0);
        record_log(current_task_raw(), metadata.target(), &message);
    }
}
