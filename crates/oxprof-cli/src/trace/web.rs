//! `oxprof trace FILE`'s web UI: a timeline and the analyses of one trace, served by the
//! `-http` server. The trace is read and indexed once; each window request computes only what
//! the window shows at its resolution ([`oxprof_trace::window`]), so the page stays fast on
//! traces of millions of events. Blocking and per-region CPU profiles open in the analyzer's
//! own UI, mounted under `/profile/...`.
//!
//! Times in the API are nanoseconds since the trace's start.

use std::sync::{Arc, OnceLock};

use anyhow::{anyhow, Result};
use oxprof_trace::{
    analysis::{self, Breakdown, Of},
    timeline::{stack_functions, SliceKind},
    window::View,
    StrId, Trace,
};
use serde_json::{json, Map, Value};

use super::profiles;
use crate::flags::Config;
use crate::web::{
    self,
    app::{refusal, Answer, App, Client},
    kept::KeptAnalyzers,
    query::Params,
};

const TRACE_HTML: &str = include_str!("assets/trace.html");
const TRACE_JS: &str = include_str!("assets/trace.js");
const TRACE_CSS: &str = include_str!("assets/trace.css");

/// Most slices (and merged slices) one window answer holds.
const MAX_ITEMS: usize = 50_000;

/// Analyzers kept for the profiles looked at last.
const ANALYZERS_KEPT: usize = 4;

/// Rows of the tasks table at most (the longest tasks).
const TASK_ROWS: usize = 1000;

/// The server's state: the trace (its tables; its events are dropped once indexed), the
/// indexed timeline, and each thread's span.
pub(crate) struct TraceApp {
    trace: Trace,
    view: View,
    spans: Vec<analysis::ThreadSpan>,
    events: usize,
    local_only: bool,
    analyzers: KeptAnalyzers,
    /// The answers that walk every slice and never change, computed once.
    meta: OnceLock<Value>,
    latency: OnceLock<Value>,
    whole_summary: OnceLock<Value>,
}

impl TraceApp {
    /// Indexes `trace` for serving.
    pub(crate) fn new(mut trace: Trace, local_only: bool) -> TraceApp {
        let timeline = oxprof_trace::timeline::Timeline::new(&trace);
        let spans = analysis::spans(&trace, &timeline);
        let events = trace.events.len();
        // Everything the pages show is in the timeline now: the events are not needed.
        trace.events = Vec::new();
        TraceApp {
            view: View::new(timeline),
            trace,
            spans,
            events,
            local_only,
            analyzers: KeptAnalyzers::new(ANALYZERS_KEPT),
            meta: OnceLock::new(),
            latency: OnceLock::new(),
            whole_summary: OnceLock::new(),
        }
    }

    /// Answers one request. `target` is the path with its query string.
    pub(crate) fn handle(&self, method: &str, target: &str, body: &[u8], client: Client) -> Answer {
        if let Some(refused) = refusal(self.local_only, method, client) {
            return refused;
        }
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        if let Some(rest) = path.strip_prefix("/profile/") {
            return self.analyzer(rest, query, method, body, client);
        }
        if method != "GET" {
            return Answer::error(405, format!("{method} is not allowed on {path}"));
        }
        let params = match web::query::decode(query) {
            Ok(p) => Params(p),
            Err(e) => return Answer::error(400, e),
        };
        let result = match path {
            "/" | "/index.html" => return Answer::asset("text/html; charset=utf-8", TRACE_HTML),
            "/trace.js" => return Answer::asset("text/javascript; charset=utf-8", TRACE_JS),
            "/trace.css" => return Answer::asset("text/css; charset=utf-8", TRACE_CSS),
            "/api/meta" => Ok(self.meta.get_or_init(|| self.meta()).clone()),
            "/api/window" => self.window(&params),
            "/api/slice" => self.slice(&params),
            "/api/task" => self.task(&params),
            "/api/summary" => self.summary(&params),
            "/api/latency" => Ok(self.latency.get_or_init(|| self.latency()).clone()),
            p if p.starts_with("/pprof/") => return self.download(&p["/pprof/".len()..]),
            _ => Err((404, anyhow!("no page at {path}"))),
        };
        match result {
            Ok(value) => Answer::json(&value),
            Err((status, e)) => Answer::error(status, e),
        }
    }

    fn start(&self) -> u64 {
        self.view.timeline.start
    }

    fn duration(&self) -> u64 {
        self.view.timeline.end - self.view.timeline.start
    }

    fn meta(&self) -> Value {
        let t = &self.view.timeline;
        let threads: Vec<Value> = t
            .lanes
            .iter()
            .enumerate()
            .map(|(i, l)| {
                json!({
                    "lane": i, "tid": l.tid, "name": l.name, "depth": self.view.depth(i),
                    "cpu": !l.cpu.is_empty(), "samples": l.samples.len(),
                })
            })
            .collect();
        let mut region_names = std::collections::HashSet::new();
        let mut reasons: std::collections::HashMap<StrId, (u64, u64)> = Default::default();
        for lane in &t.lanes {
            for s in &lane.slices {
                match s.kind {
                    SliceKind::Region { name, .. } => {
                        region_names.insert(name);
                    }
                    SliceKind::Wait { reason, .. } => {
                        let r = reasons.entry(reason).or_default();
                        r.0 += 1;
                        r.1 += s.end - s.start;
                    }
                }
            }
        }
        let mut region_names: Vec<&str> = region_names
            .into_iter()
            .map(|n| self.trace.str(n))
            .collect();
        region_names.sort_unstable();
        let mut reasons: Vec<(&str, u64, u64)> = reasons
            .into_iter()
            .map(|(r, (count, time))| (self.trace.str(r), count, time))
            .collect();
        reasons.sort_by_key(|r| (std::cmp::Reverse(r.2), r.0));
        let samples: usize = t.lanes.iter().map(|l| l.samples.len()).sum();
        json!({
            "duration": self.duration(),
            "events": self.events,
            "generations": self.trace.generations.len(),
            "threads": threads,
            "task_rows": self.view.task_rows(),
            "tasks": t.tasks.len(),
            "counters": t.counters.iter().map(|c| &c.name).collect::<Vec<_>>(),
            "regions": region_names,
            "reasons": reasons.iter().map(|r| json!([r.0, r.1, r.2])).collect::<Vec<_>>(),
            "samples": samples,
            "flows": t.flows.len(),
            "warnings": self.trace.warnings,
        })
    }

    /// `from`, `to` (ns since the start) and `width` (pixels): what to draw.
    fn window(&self, params: &Params) -> Result<Value, (u16, anyhow::Error)> {
        let (from, to) = params.range(self.duration())?;
        let width = params.number("width")?.unwrap_or(1000);
        let start = self.start();
        let w = self
            .view
            .window(start + from, start + to, width, MAX_ITEMS)
            .map_err(|e| (400, e.into()))?;
        let t = &self.view.timeline;
        let mut names = Map::new();
        let mut name = |id: StrId| {
            names
                .entry(id.0.to_string())
                .or_insert_with(|| json!(self.trace.str(id)));
            id.0
        };
        let rel = |time: u64| time.saturating_sub(start);
        let lanes: Vec<Value> = w
            .lanes
            .iter()
            .map(|lw| {
                let lane = &t.lanes[lw.lane];
                let items: Vec<Value> = lw
                    .items
                    .iter()
                    .map(|i| {
                        let (kind, id) = match lane.slices[i.index as usize].kind {
                            SliceKind::Region { name: n, .. } => (0, name(n)),
                            SliceKind::Wait { reason, .. } => (1, name(reason)),
                        };
                        json!([
                            rel(i.start),
                            rel(i.end),
                            i.depth,
                            i.index,
                            i.count,
                            i.busy,
                            kind,
                            id
                        ])
                    })
                    .collect();
                let logs: Vec<Value> = lw
                    .logs
                    .iter()
                    .map(|p| {
                        let (_, _, category, message) = lane.logs[p.index as usize];
                        json!([rel(p.time), p.count, name(category), name(message)])
                    })
                    .collect();
                let cpu: Vec<Value> = lw
                    .cpu
                    .iter()
                    .map(|&(time, share)| json!([rel(time), (share * 1000.0).round() / 1000.0]))
                    .collect();
                json!({"lane": lw.lane, "items": items, "logs": logs, "cpu": cpu})
            })
            .collect();
        let tasks: Vec<Value> = w
            .tasks
            .iter()
            .map(|i| {
                let task = &t.tasks[i.index as usize];
                json!([
                    rel(i.start),
                    rel(i.end),
                    i.depth,
                    i.index,
                    i.count,
                    task.id,
                    name(task.name)
                ])
            })
            .collect();
        let lane_of = |tid: u64| t.lanes.iter().position(|l| l.tid == tid);
        let flows: Vec<Value> = w
            .flows
            .iter()
            .filter_map(|&f| {
                let f = &t.flows[f as usize];
                let depth = t.lanes[f.wait.0].slices[f.wait.1].depth;
                Some(json!([
                    lane_of(f.from_thread)?,
                    rel(f.from_time),
                    f.wait.0,
                    rel(f.to_time),
                    depth
                ]))
            })
            .collect();
        let counters: Vec<Value> = w
            .counters
            .iter()
            .map(|points| {
                Value::Array(
                    points
                        .iter()
                        .map(|&(time, lo, hi)| json!([rel(time), lo, hi]))
                        .collect(),
                )
            })
            .collect();
        Ok(json!({
            "from": from, "to": to, "resolution": w.resolution, "truncated": w.truncated,
            "lanes": lanes, "tasks": tasks, "flows": flows, "counters": counters, "names": names,
        }))
    }

    /// `lane` and `index`: one slice's details.
    fn slice(&self, params: &Params) -> Result<Value, (u16, anyhow::Error)> {
        let lane = params.required("lane")? as usize;
        let index = params.required("index")? as usize;
        let s = self
            .view
            .slice(lane, index)
            .ok_or_else(|| (404, anyhow!("no slice {index} on lane {lane}")))?;
        let t = &self.view.timeline;
        let l = &t.lanes[lane];
        let start = self.start();
        let mut value = json!({
            "lane": lane, "index": index, "tid": l.tid, "thread": l.name,
            "start": s.start - start, "end": s.end - start, "duration": s.end - s.start,
            "depth": s.depth,
        });
        let mut parents = Vec::new();
        let mut p = self.view.parent(lane, index);
        while let Some(pi) = p {
            if let SliceKind::Region { name, .. } = l.slices[pi].kind {
                parents.push(self.trace.str(name));
            }
            p = self.view.parent(lane, pi);
        }
        value["regions_around"] = json!(parents);
        match s.kind {
            SliceKind::Region { task, name } => {
                value["kind"] = json!("region");
                value["name"] = json!(self.trace.str(name));
                value["task"] = self.task_json(task);
            }
            SliceKind::Wait {
                reason,
                object,
                stack,
            } => {
                value["kind"] = json!("wait");
                value["name"] = json!(self.trace.str(reason));
                value["object"] = json!(format!("{object:#x}"));
                value["stack"] = json!(stack_functions(&self.trace, stack));
                if let Some(SliceKind::Region { task, .. }) =
                    self.view.parent(lane, index).map(|p| l.slices[p].kind)
                {
                    value["task"] = self.task_json(task);
                }
                if let Some(f) = self.view.flow_to(lane, index) {
                    let from = t.lanes.iter().find(|x| x.tid == f.from_thread);
                    let release = from.and_then(|x| {
                        let i = x.unblocks.partition_point(|u| u.0 < f.from_time);
                        x.unblocks.get(i).filter(|u| u.0 == f.from_time)
                    });
                    value["released_by"] = json!({
                        "tid": f.from_thread,
                        "thread": from.map_or("", |x| x.name.as_str()),
                        "time": f.from_time - start,
                        "woken_for": f.to_time - f.from_time.max(s.start),
                        "stack": release.map(|u| stack_functions(&self.trace, u.3)).unwrap_or_default(),
                    });
                }
            }
        }
        Ok(value)
    }

    fn task_json(&self, id: u64) -> Value {
        if id == 0 {
            return Value::Null;
        }
        match self.view.timeline.tasks.iter().find(|t| t.id == id) {
            Some(t) => json!({
                "id": id, "name": self.trace.str(t.name), "parent": t.parent,
                "start": t.start - self.start(), "end": t.end - self.start(),
                "ended": t.end_thread != 0,
            }),
            None => json!({ "id": id }),
        }
    }

    /// `index` into the tasks: one task's details.
    fn task(&self, params: &Params) -> Result<Value, (u16, anyhow::Error)> {
        let index = params.required("index")? as usize;
        let t = self
            .view
            .task(index)
            .ok_or_else(|| (404, anyhow!("no task {index}")))?;
        let mut value = self.task_json(t.id);
        value["start_thread"] = json!(t.start_thread);
        value["end_thread"] = json!(t.end_thread);
        Ok(value)
    }

    /// The breakdown of `from`..`to` (default: the whole trace).
    fn summary(&self, params: &Params) -> Result<Value, (u16, anyhow::Error)> {
        let (from, to) = params.range(self.duration())?;
        let start = self.start();
        let compute = || {
            let b = analysis::breakdown(&self.view, &self.spans, start + from, start + to);
            self.breakdown_json(&b, from, to)
        };
        // The whole trace's, which the Threads and Tasks pages show, is computed once.
        if (from, to) == (0, self.duration().max(1)) {
            return Ok(self.whole_summary.get_or_init(compute).clone());
        }
        Ok(compute())
    }

    fn breakdown_json(&self, b: &Breakdown, from: u64, to: u64) -> Value {
        let t = &self.view.timeline;
        let s = |id| self.trace.str(id);
        let threads: Vec<Value> = b
            .threads
            .iter()
            .map(|th| {
                let waits: Vec<Value> = th
                    .waits
                    .iter()
                    .map(|w| {
                        json!([
                            s(w.reason),
                            format!("{:#x}", w.object),
                            w.count,
                            w.blocked,
                            w.runnable
                        ])
                    })
                    .collect();
                json!({
                    "lane": th.lane, "tid": th.tid, "name": t.lanes[th.lane].name,
                    "alive": th.alive, "in_regions": th.in_regions, "outside": th.outside,
                    "blocked": th.blocked(), "runnable": th.runnable(), "on_cpu": th.on_cpu,
                    "waits": waits,
                })
            })
            .collect();
        let regions: Vec<Value> = b
            .regions
            .iter()
            .map(|r| json!([s(r.name), r.count, r.total, r.self_time]))
            .collect();
        let mut tasks: Vec<&analysis::TaskTime> = b.tasks.iter().collect();
        tasks.sort_by_key(|t| (std::cmp::Reverse(t.span), t.task));
        let task_count = tasks.len();
        let tasks: Vec<Value> = tasks
            .into_iter()
            .take(TASK_ROWS)
            .map(|t| {
                json!([
                    t.task,
                    s(t.name),
                    t.span,
                    t.in_regions,
                    t.blocked,
                    t.runnable,
                    t.regions
                ])
            })
            .collect();
        json!({
            "from": from, "to": to, "threads": threads, "regions": regions,
            "tasks": tasks, "task_count": task_count,
        })
    }

    fn latency(&self) -> Value {
        let rows: Vec<Value> = analysis::latencies(&self.view)
            .iter()
            .map(|l| {
                json!({
                    "of": match l.of { Of::Region => "region", Of::Task => "task" },
                    "name": self.trace.str(l.name), "count": l.count, "total": l.total,
                    "p50": l.p50, "p90": l.p90, "p99": l.p99, "max": l.max,
                    "buckets": l.buckets,
                })
            })
            .collect();
        json!({ "latencies": rows })
    }

    /// The profile `/profile/<what>/...` and `/pprof/<what>` name: `wait/<reason>` (`wait/all`
    /// for every reason) or `cpu/<region name>`, percent-encoded.
    fn profile(&self, what: &str) -> Result<oxprof_profile::Profile, (u16, anyhow::Error)> {
        let (kind, arg) = what.split_once('/').ok_or_else(|| {
            (
                404,
                anyhow!("no profile {what:?}: use wait/REASON, wait/all or cpu/REGION"),
            )
        })?;
        let arg = web::query::unescape(arg).map_err(|e| (400, e))?;
        match kind {
            "wait" => {
                let reason = (arg != "all").then_some(arg.as_str());
                profiles::waits(&self.trace, &self.view, reason)
                    .ok_or_else(|| (404, anyhow!("the trace has no waits for {arg}")))
            }
            "cpu" => profiles::region_cpu(&self.trace, &self.view, &arg).ok_or_else(|| {
                (
                    404,
                    anyhow!("the trace has no CPU sample inside a region named {arg:?}"),
                )
            }),
            _ => Err((
                404,
                anyhow!("no profile {what:?}: use wait/REASON, wait/all or cpu/REGION"),
            )),
        }
    }

    /// `/pprof/<what>`: the profile as gzipped pprof, to download.
    fn download(&self, what: &str) -> Answer {
        match self.profile(what.trim_end_matches(".pb.gz")) {
            Ok(p) => Answer {
                status: 200,
                content_type: "application/octet-stream",
                body: p.encode_gzip(),
            },
            Err((status, e)) => Answer::error(status, e),
        }
    }

    /// `/profile/<kind>/<arg>/...`: the analyzer's UI for that profile.
    fn analyzer(
        &self,
        rest: &str,
        query: &str,
        method: &str,
        body: &[u8],
        client: Client,
    ) -> Answer {
        let mut parts = rest.splitn(3, '/');
        let (kind, arg) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let key = format!("{kind}/{arg}");
        let Some(inner) = parts.next() else {
            // The analyzer's page asks for its assets relative to its address: it must end
            // with a slash.
            return Answer {
                status: 200,
                content_type: "text/html; charset=utf-8",
                body: format!("<meta http-equiv=refresh content=\"0; url={arg}/\">").into_bytes(),
            };
        };
        let app = match self.app(&key) {
            Ok(app) => app,
            Err((status, e)) => return Answer::error(status, e),
        };
        let target = match query {
            "" => format!("/{inner}"),
            q => format!("/{inner}?{q}"),
        };
        app.handle(method, &target, body, client)
    }

    fn app(&self, key: &str) -> Result<Arc<App>, (u16, anyhow::Error)> {
        self.analyzers.get_or_build(key, || {
            let profile = self.profile(key)?;
            App::new(
                profile,
                &Config::default(),
                self.local_only,
                web::settings::default_path(),
            )
            .map_err(|e| (500, e))
        })
    }
}

impl Params {
    /// A non-negative integer parameter.
    fn number(&self, name: &str) -> Result<Option<u64>, (u16, anyhow::Error)> {
        self.get(name)
            .map(|v| {
                v.parse::<u64>().map_err(|_| {
                    (
                        400,
                        anyhow!(
                            "{name}={v}: want a whole number (nanoseconds, pixels or an index)"
                        ),
                    )
                })
            })
            .transpose()
    }

    fn required(&self, name: &str) -> Result<u64, (u16, anyhow::Error)> {
        self.number(name)?
            .ok_or_else(|| (400, anyhow!("give {name}=")))
    }

    /// `from` and `to`, ns since the trace's start, within `0..=duration` (defaults: the whole
    /// trace); `to` must be after `from`.
    fn range(&self, duration: u64) -> Result<(u64, u64), (u16, anyhow::Error)> {
        let from = self.number("from")?.unwrap_or(0);
        let to = self.number("to")?.unwrap_or(duration.max(1));
        if to <= from {
            return Err((400, anyhow!("from={from} is not before to={to}")));
        }
        if from > duration {
            return Err((
                400,
                anyhow!("from={from} is past the trace's end ({duration} ns)"),
            ));
        }
        Ok((from, to))
    }
}
