//! pprof profiles made from a trace, for the analyzer's views: the waits by stack (a blocking
//! profile, all of them or one reason's) and the CPU samples taken inside regions of a name.

use std::collections::HashMap;

use oxprof_profile::{Function, Label, Line, Location, Mapping, Profile, Sample, ValueType};
use oxprof_trace::{analysis, timeline::SliceKind, window::View, StackId, Trace};

/// The waits of the trace whose reason is `reason` (every wait for `None`), as a blocking
/// profile: contentions and delay by stack, with the reason as a label. `None` when there are
/// none.
pub(crate) fn waits(trace: &Trace, view: &View, reason: Option<&str>) -> Option<Profile> {
    let mut totals: HashMap<(StackId, oxprof_trace::StrId), (i64, i64)> = HashMap::new();
    for lane in &view.timeline.lanes {
        for s in &lane.slices {
            if let SliceKind::Wait {
                reason: r, stack, ..
            } = s.kind
            {
                if reason.map_or(true, |want| trace.str(r) == want) {
                    let t = totals.entry((stack, r)).or_default();
                    t.0 += 1;
                    t.1 += (s.end - s.start) as i64;
                }
            }
        }
    }
    if totals.is_empty() {
        return None;
    }
    let mut builder = Builder::new(
        trace,
        vec![
            ValueType::new("contentions", "count"),
            ValueType::new("delay", "nanoseconds"),
        ],
    );
    let mut totals: Vec<_> = totals.into_iter().collect();
    totals.sort_by_key(|((stack, reason), _)| (*stack, *reason));
    for ((stack, r), (count, delay)) in totals {
        builder.sample(
            stack,
            vec![count, delay],
            vec![Label::str("reason", trace.str(r))],
        );
    }
    let mut profile = builder.finish();
    profile.comments.push(match reason {
        Some(r) => format!("waits for {r} in the execution trace"),
        None => "every wait in the execution trace".to_owned(),
    });
    Some(profile)
}

/// The CPU samples taken inside regions named `region`, by stack, labelled with their thread.
/// `None` when the trace has no such region or no sample in one.
pub(crate) fn region_cpu(trace: &Trace, view: &View, region: &str) -> Option<Profile> {
    let name = trace.find_str(region).filter(|id| id.0 != 0)?;
    let samples = analysis::samples_in_regions(view, name);
    if samples.is_empty() {
        return None;
    }
    let mut counts: HashMap<(usize, StackId), i64> = HashMap::new();
    for s in samples {
        *counts.entry(s).or_default() += 1;
    }
    let mut builder = Builder::new(trace, vec![ValueType::new("samples", "count")]);
    let mut counts: Vec<_> = counts.into_iter().collect();
    counts.sort();
    for ((lane, stack), n) in counts {
        let thread = &view.timeline.lanes[lane];
        let label = match thread.name.as_str() {
            "" => thread.tid.to_string(),
            name => format!("{name} ({})", thread.tid),
        };
        builder.sample(stack, vec![n], vec![Label::str("thread", label)]);
    }
    let mut profile = builder.finish();
    profile.comments.push(format!(
        "CPU samples inside regions {region:?} in the execution trace"
    ));
    Some(profile)
}

/// Builds a profile whose locations are the trace's addresses, symbolized as the trace says.
struct Builder<'t> {
    trace: &'t Trace,
    profile: Profile,
    locations: HashMap<u64, u64>,
    functions: HashMap<(oxprof_trace::StrId, oxprof_trace::StrId), u64>,
}

impl<'t> Builder<'t> {
    fn new(trace: &'t Trace, sample_type: Vec<ValueType>) -> Self {
        let (start, end) = trace.span();
        let profile = Profile {
            sample_type,
            mapping: trace
                .mappings
                .iter()
                .enumerate()
                .map(|(i, m)| Mapping {
                    id: i as u64 + 1,
                    memory_start: m.start,
                    memory_limit: m.limit,
                    file_offset: m.offset,
                    filename: m.file.clone(),
                    build_id: m.build_id.clone(),
                    has_functions: !trace.symbols.is_empty(),
                    has_filenames: !trace.symbols.is_empty(),
                    has_line_numbers: !trace.symbols.is_empty(),
                    has_inline_frames: !trace.symbols.is_empty(),
                })
                .collect(),
            time_nanos: trace.generations.first().map_or(0, |g| g.wall_start as i64),
            duration_nanos: end.saturating_sub(start) as i64,
            ..Profile::default()
        };
        Builder {
            trace,
            profile,
            locations: HashMap::new(),
            functions: HashMap::new(),
        }
    }

    fn sample(&mut self, stack: StackId, value: Vec<i64>, label: Vec<Label>) {
        let location_id = self
            .trace
            .stack(stack)
            .iter()
            .map(|&pc| self.location(pc))
            .collect();
        self.profile.sample.push(Sample {
            location_id,
            value,
            label,
        });
    }

    fn location(&mut self, pc: u64) -> u64 {
        if let Some(&id) = self.locations.get(&pc) {
            return id;
        }
        let trace = self.trace;
        let line = trace
            .frames(pc)
            .iter()
            .map(|f| {
                let next = self.functions.len() as u64 + 1;
                let function_id = *self.functions.entry((f.function, f.file)).or_insert(next);
                if function_id == next {
                    self.profile.function.push(Function {
                        id: function_id,
                        name: trace.str(f.function).to_owned(),
                        system_name: trace.str(f.function).to_owned(),
                        filename: trace.str(f.file).to_owned(),
                        start_line: 0,
                    });
                }
                Line {
                    function_id,
                    line: f.line.into(),
                    column: 0,
                }
            })
            .collect();
        let mapping_id = trace
            .mappings
            .iter()
            .position(|m| (m.start..m.limit).contains(&pc))
            .map_or(0, |i| i as u64 + 1);
        let id = self.profile.location.len() as u64 + 1;
        self.profile.location.push(Location {
            id,
            mapping_id,
            address: pc,
            line,
            is_folded: false,
        });
        self.locations.insert(pc, id);
        id
    }

    fn finish(self) -> Profile {
        self.profile
    }
}
