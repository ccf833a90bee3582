//! `traces` against `go tool pprof -traces` output, header lines included.

mod pprof_pipeline;

use oxprof_profile::{FilterOptions, Label, Profile, Sample, ValueType};
use oxprof_report::traces::write_traces;
use oxprof_report::{Options, Report};
use pprof_pipeline::{
    aggregate_keeping_samples, assert_text_eq, go_testdata, golden, prepare, testdata,
};

const SEPARATOR: &str = "-----------+-------------------------------------------------------";

/// The traces report of a profile prepared as pprof prepares it, at function granularity
/// (or lines with `lines`), for the sample type `sample_index` names.
fn traces(data: &[u8], sample_index: &str, lines: bool) -> String {
    let mut p = prepare(
        data,
        "traces",
        sample_index,
        Options::default(),
        &FilterOptions::default(),
    );
    aggregate_keeping_samples(&mut p.profile, lines, lines);
    let mut out = Vec::new();
    write_traces(&mut out, &p.profile, &p.report, &p.units).unwrap();
    String::from_utf8(out).unwrap()
}

fn check(got: String, golden_text: &str) {
    assert_text_eq(&got, golden_text);
}

#[test]
fn cpu_matches_go_tool_pprof() {
    let want = String::from_utf8(go_testdata("golden/cpu.traces.txt")).unwrap();
    check(traces(&go_testdata("cpu.pprof"), "", false), &want);
}

#[test]
fn goroutine_matches_go_tool_pprof() {
    let want = String::from_utf8(go_testdata("golden/goroutine.traces.txt")).unwrap();
    check(traces(&go_testdata("goroutine.pprof"), "", false), &want);
}

#[test]
fn string_labels_match_go_tool_pprof() {
    check(
        traces(&testdata("labels.goroutine.pprof"), "", false),
        &golden("labels.goroutine.traces.txt"),
    );
    check(
        traces(&testdata("labels.cpu.pprof"), "", false),
        &golden("labels.cpu.traces.txt"),
    );
}

#[test]
fn numeric_labels_match_go_tool_pprof() {
    check(
        traces(&go_testdata("heap.pprof"), "", false),
        &golden("heap.traces.txt"),
    );
}

#[test]
fn lines_granularity_and_other_sample_index_match_go_tool_pprof() {
    check(
        traces(&go_testdata("heap.pprof"), "alloc_objects", true),
        &golden("heap.traces-lines-alloc_objects.txt"),
    );
}

#[test]
fn units_inlining_unsymbolized_and_negative_values_match_go_tool_pprof() {
    check(
        traces(&testdata("edge.pprof"), "", false),
        &golden("edge.traces.txt"),
    );
}

#[test]
fn empty_profile_prints_one_separator() {
    let p = Profile {
        sample_type: vec![ValueType::new("samples", "count")],
        ..Profile::default()
    };
    let report = Report::new(&p, &Options::default(), "traces").unwrap();
    let mut out = Vec::new();
    write_traces(&mut out, &p, &report, &p.num_label_units()).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        format!("Type: samples\n{SEPARATOR}\n")
    );
}

#[test]
fn mean_divides_by_the_first_value_and_unknown_frames_are_named() {
    let p = Profile {
        sample_type: vec![
            ValueType::new("contentions", "count"),
            ValueType::new("delay", "nanoseconds"),
        ],
        sample: vec![Sample {
            location_id: vec![1, 99],
            value: vec![4, 10_000_000],
            label: vec![Label::num("bytes", 3 << 20, "")],
        }],
        location: vec![oxprof_profile::Location {
            id: 1,
            ..Default::default()
        }],
        ..Profile::default()
    };
    let options = Options {
        sample_index: 1,
        mean: true,
        ..Options::default()
    };
    let report = Report::new(&p, &options, "traces").unwrap();
    let mut out = Vec::new();
    write_traces(&mut out, &p, &report, &p.num_label_units()).unwrap();
    let want = format!(
        "Type: mean_delay\n{SEPARATOR}\n     bytes:  3MB\n    2.50ms   <unknown>\n{SEPARATOR}\n"
    );
    assert_eq!(String::from_utf8(out).unwrap(), want);
}
