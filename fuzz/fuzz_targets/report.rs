//! Parses arbitrary bytes as any profile format `oxprof` reads and, when that succeeds, renders
//! the `top` and `traces` reports, the call graph as DOT, callgrind and a drawing laid out
//! without Graphviz: no input may make a report panic or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxprof_profile::Profile;
use oxprof_report::{callgrind, dot, svg, top, traces, Options, Report};

fuzz_target!(|data: &[u8]| {
    let Ok(p) = Profile::parse(data) else {
        return;
    };
    let options = Options {
        sample_index: p.sample_type.len().saturating_sub(1),
        ..Options::default()
    };
    let mut out = Vec::new();
    let _ = top::write_top(&mut out, &p, &options);
    if let Ok(report) = Report::new(&p, &options, "traces") {
        let _ = traces::write_traces(&mut out, &p, &report, &p.num_label_units());
    }
    let _ = callgrind::write_callgrind(&mut out, &p, &options);
    if let Ok(graph) = dot::DotGraph::new(&p, &options) {
        let _ = graph.write(&mut out);
        let _ = svg::render(&graph);
    }
});
